"""The business checks every supplier e-invoice passes once read, whatever its format
(docs/supplier-invoices.md, "Reading"): the totals add up, the VAT of each rate is its
base times its rate, each line is its quantity times its net price, the currency is the
euro, the fields the cooperative needs are there. Pure: a ReceivedInvoice in, the French
reasons out.

For a UBL invoice these checks stand in for the EN 16931 schematron the project does not
ship for that syntax; a CII invoice passes them too (before its schematron), so that the
reason a supplier reads is in French and names the amounts.
"""

from decimal import ROUND_HALF_UP, Decimal

from .document import ReceivedInvoice

CENT = Decimal("0.01")
# One cent either way on a line or a rate: what rounding may leave (docs/supplier-invoices.md).
TOLERANCE = CENT
CURRENCY = "EUR"


def _fr(amount: Decimal) -> str:
    """An amount as the French read it: 1234.5 -> "1 234,50"."""
    sign = "-" if amount < 0 else ""
    text = f"{abs(amount).quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"
    return sign + text.replace(",", "\u202f").replace(".", ",")


def _rate(rate: Decimal) -> str:
    return f"{rate.normalize():f}".replace(".", ",") + " %"


def _total(values) -> Decimal:
    return sum(values, Decimal("0"))


def _close(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) <= TOLERANCE


def missing_fields(invoice: ReceivedInvoice) -> list[str]:
    """The fields the cooperative cannot do without, named in French, that are absent."""
    missing = []
    if not invoice.number:
        missing.append("le numéro de facture (BT-1)")
    if invoice.issued_on is None:
        missing.append("la date de facture (BT-2)")
    if not (invoice.seller.name or invoice.seller.siret or invoice.seller.vat_number):
        missing.append("le vendeur (BG-4)")
    if not invoice.lines:
        missing.append("au moins une ligne (BG-25)")
    return missing


def problems(invoice: ReceivedInvoice) -> list[str]:
    """Every reason, in French, why `invoice` cannot be taken as it is; [] when none."""
    found = []
    if missing := missing_fields(invoice):
        found.append("Champs obligatoires absents : " + ", ".join(missing) + ".")
    if invoice.currency != CURRENCY:
        found.append(
            f"La facture est en {invoice.currency or 'devise inconnue'} : seules les "
            "factures en euros (EUR) sont acceptées."
        )

    for line in invoice.lines:
        expected = (line.quantity * line.net_unit_price).quantize(CENT, rounding=ROUND_HALF_UP)
        if not _close(expected, line.amount):
            found.append(
                f"Ligne {line.line_id or '?'} ({line.name}) : le montant {_fr(line.amount)} "
                f"n'est pas la quantité × le prix net ({line.quantity.normalize():f} × "
                f"{line.net_unit_price.normalize():f} = {_fr(expected)})."
            )

    totals = []
    lines_sum = _total(line.amount for line in invoice.lines)
    if lines_sum != invoice.total_lines:
        totals.append(
            f"la somme des lignes ({_fr(lines_sum)}) n'est pas le total des lignes "
            f"(BT-106 : {_fr(invoice.total_lines)})"
        )
    charges = _total(c.amount for c in invoice.charges if c.is_charge)
    allowances = _total(c.amount for c in invoice.charges if not c.is_charge)
    if charges != invoice.total_charges:
        totals.append(
            f"la somme des frais ({_fr(charges)}) n'est pas leur total "
            f"(BT-108 : {_fr(invoice.total_charges)})"
        )
    if allowances != invoice.total_allowances:
        totals.append(
            f"la somme des remises ({_fr(allowances)}) n'est pas leur total "
            f"(BT-107 : {_fr(invoice.total_allowances)})"
        )
    excl = invoice.total_lines - invoice.total_allowances + invoice.total_charges
    if excl != invoice.total_excl_vat:
        totals.append(
            f"total HT (BT-109 : {_fr(invoice.total_excl_vat)}) ≠ total des lignes − remises "
            f"+ frais ({_fr(invoice.total_lines)} − {_fr(invoice.total_allowances)} + "
            f"{_fr(invoice.total_charges)} = {_fr(excl)})"
        )
    incl = invoice.total_excl_vat + invoice.total_vat
    if incl != invoice.total_incl_vat:
        totals.append(
            f"total TTC (BT-112 : {_fr(invoice.total_incl_vat)}) ≠ total HT + TVA "
            f"({_fr(invoice.total_excl_vat)} + {_fr(invoice.total_vat)} = {_fr(incl)})"
        )
    vat_sum = _total(vat.amount for vat in invoice.vat)
    if vat_sum != invoice.total_vat:
        totals.append(
            f"total de TVA (BT-110 : {_fr(invoice.total_vat)}) ≠ somme de la TVA par taux "
            f"({_fr(vat_sum)})"
        )
    bases = _total(vat.base for vat in invoice.vat)
    if bases != invoice.total_excl_vat:
        totals.append(
            f"somme des bases de TVA ({_fr(bases)}) ≠ total HT "
            f"(BT-109 : {_fr(invoice.total_excl_vat)})"
        )
    for vat in invoice.vat:
        expected = (vat.base * vat.rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        if not _close(expected, vat.amount):
            totals.append(
                f"TVA à {_rate(vat.rate)} : {_fr(vat.amount)} au lieu de {_fr(expected)} "
                f"({_fr(vat.base)} × {_rate(vat.rate)})"
            )
    if totals:
        found.append("Les totaux ne s'additionnent pas : " + " ; ".join(totals) + ".")
    return found
