"""The business checks every supplier e-invoice passes once read, whatever its format
(docs/supplier-invoices.md, "Reading"): it is an invoice (not a credit note), dated no
later than today, its values fit the columns that keep them, the totals add up, each
rate's base is its lines and charges and its VAT is the base times the rate, each line
is its quantity times its net price, the currency is the euro, the fields the
cooperative needs are there, its document-level charges are shipping. Pure: a
ReceivedInvoice (and today's date) in, the French reasons out.

For a UBL invoice these checks stand in for the EN 16931 schematron the project does not
ship for that syntax; a CII invoice passes them too (before its schematron), so that the
reason a supplier reads is in French and names the amounts.
"""

import datetime as dt
import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from .document import ReceivedCharge, ReceivedInvoice

CENT = Decimal("0.01")
# One cent either way on a line or a rate: what rounding may leave (docs/supplier-invoices.md).
TOLERANCE = CENT
CURRENCY = "EUR"

# BT-3: the invoices the cooperative takes (docs/supplier-invoices.md, "What is
# checked"): a commercial invoice, a corrected invoice, a self-billed invoice. The
# credit notes (UNTDID 1001 381, 261, 262, 296, 308, 396, 420, 458, 532) are refused:
# booked as a purchase they would be counted the wrong way round.
INVOICE_TYPES = {"380", "384", "389"}
CREDIT_NOTE_TYPES = {"381", "261", "262", "296", "308", "396", "420", "458", "532"}
CREDIT_NOTES_REFUSED = "Les avoirs fournisseurs ne sont pas encore pris en charge"

# The columns that keep what is read (purchasing.models.SupplierInvoice*): the number
# (100 characters), the order reference (100), amounts (12 digits, 2 decimals), the
# quantity (14 digits, 4 decimals), the net unit price (16 digits, 6 decimals), the VAT
# rates (0 to 100, 2 decimals).
NUMBER_MAX = 100
ORDER_REFERENCE_MAX = 100
AMOUNT_PLACES, AMOUNT_INTEGER_DIGITS = 2, 10
QUANTITY_PLACES, QUANTITY_INTEGER_DIGITS = 4, 10
PRICE_PLACES, PRICE_INTEGER_DIGITS = 6, 10
RATE_PLACES = 2

# A document-level charge is the supplier's shipping when its reason code (BT-105,
# UNTDID 7161) is FC (freight service) or DL (delivery), or, whatever its code, its
# reason (BT-104) speaks of transport. Any other charge, and any allowance, is refused
# (docs/supplier-invoices.md, "Charges and allowances").
SHIPPING_REASON_CODES = {"FC", "DL"}
SHIPPING_WORDS = re.compile(
    r"\b(port|transport|livraison|fret|exp[ée]dition|acheminement|messagerie|"
    r"freight|shipping|delivery|carriage)\b",
    re.IGNORECASE,
)


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


def type_problem(invoice: ReceivedInvoice) -> str | None:
    """Why the document is not an invoice the cooperative takes (BT-3, or a negative
    total: a credit note in an invoice's clothes); None when it is one."""
    code = (invoice.type_code or "").strip()
    if code in CREDIT_NOTE_TYPES:
        return (
            f"{CREDIT_NOTES_REFUSED} : le document {invoice.number[:NUMBER_MAX]} est un avoir "
            f"(type {code}, BT-3). Seules les factures (380), les factures rectificatives "
            "(384) et les autofactures (389) sont acceptées."
        )
    if code not in INVOICE_TYPES:
        named = f"type {code[:10]}" if code else "type absent"
        return (
            f"Type de document non pris en charge ({named}, BT-3) : seules les factures "
            "(380), les factures rectificatives (384) et les autofactures (389) sont "
            "acceptées."
        )
    total = invoice.total_incl_vat
    if total < 0 and abs(total) < Decimal(10) ** AMOUNT_INTEGER_DIGITS:
        return (
            f"{CREDIT_NOTES_REFUSED} : le total TTC de cette facture est négatif (BT-112 : "
            f"{_fr(total)}), c'est un avoir."
        )
    return None


def _plain(value: Decimal) -> str:
    text = f"{value:f}"
    return text if len(text) <= 40 else text[:37] + "…"


def _fits(value: Decimal, *, places: int, integer_digits: int) -> str | None:
    """Why `value` does not fit a column of `integer_digits` + `places` digits (without
    rounding it); None when it fits."""
    if abs(value) >= Decimal(10) ** integer_digits:
        return f"dépasse {integer_digits} chiffres avant la virgule ({_plain(value)})"
    if value != value.quantize(Decimal(1).scaleb(-places)):
        return f"a plus de {places} décimales ({_plain(value)})"
    return None


def _rate_fits(value: Decimal) -> str | None:
    if not Decimal(0) <= value <= Decimal(100):
        return f"n'est pas entre 0 et 100 % ({_plain(value)})"
    return _fits(value, places=RATE_PLACES, integer_digits=3)


def bounds_problems(invoice: ReceivedInvoice) -> list[str]:
    """The values the cooperative's columns cannot keep as written (too long, too large,
    too many decimals, a rate outside 0..100 %), each named; [] when all fit."""
    found = []
    if len(invoice.number) > NUMBER_MAX:
        found.append(f"le numéro de facture (BT-1) dépasse {NUMBER_MAX} caractères")
    if len(invoice.order_reference) > ORDER_REFERENCE_MAX:
        found.append(f"la référence de commande (BT-13) dépasse {ORDER_REFERENCE_MAX} caractères")
    amounts = [
        ("le total des lignes (BT-106)", invoice.total_lines),
        ("le total des remises (BT-107)", invoice.total_allowances),
        ("le total des frais (BT-108)", invoice.total_charges),
        ("le total HT (BT-109)", invoice.total_excl_vat),
        ("le total de TVA (BT-110)", invoice.total_vat),
        ("le total TTC (BT-112)", invoice.total_incl_vat),
        ("le montant dû (BT-115)", invoice.amount_due),
    ]
    rates = []
    for line in invoice.lines:
        where = f"ligne {line.line_id or '?'}"
        amounts.append((f"{where} : le montant (BT-131)", line.amount))
        rates.append((f"{where} : le taux de TVA (BT-152)", line.vat_rate))
        if why := _fits(
            line.quantity, places=QUANTITY_PLACES, integer_digits=QUANTITY_INTEGER_DIGITS
        ):
            found.append(f"{where} : la quantité (BT-129) {why}")
        if why := _fits(
            line.net_unit_price, places=PRICE_PLACES, integer_digits=PRICE_INTEGER_DIGITS
        ):
            found.append(f"{where} : le prix net (BT-146) {why}")
    for charge in invoice.charges:
        what = "un frais (BT-99)" if charge.is_charge else "une remise (BT-92)"
        amounts.append((f"le montant d'{what}", charge.amount))
        rates.append((f"le taux de TVA d'{what}", charge.vat_rate))
    for vat in invoice.vat:
        amounts.append(("une base de TVA (BT-116)", vat.base))
        amounts.append(("un montant de TVA (BT-117)", vat.amount))
        rates.append(("un taux du détail de la TVA (BT-119)", vat.rate))
    for label, value in amounts:
        if why := _fits(value, places=AMOUNT_PLACES, integer_digits=AMOUNT_INTEGER_DIGITS):
            found.append(f"{label} {why}")
    for label, value in rates:
        if why := _rate_fits(value):
            found.append(f"{label} {why}")
    return found


def is_shipping(charge: ReceivedCharge) -> bool:
    """A document-level charge the cooperative books as the supplier's shipping
    (SHIPPING_REASON_CODES, SHIPPING_WORDS)."""
    return charge.is_charge and (
        charge.reason_code.strip().upper() in SHIPPING_REASON_CODES
        or bool(SHIPPING_WORDS.search(charge.reason or ""))
    )


def charges_problem(invoice: ReceivedInvoice) -> str | None:
    """The document-level allowances and the charges other than shipping, named; None
    when there are none (zero amounts aside)."""
    refused = []
    for charge in invoice.charges:
        if not charge.amount or is_shipping(charge):
            continue
        what = "frais" if charge.is_charge else "remise"
        code = f" (code {charge.reason_code[:10]})" if charge.reason_code else ""
        reason = (charge.reason or "sans motif")[:60]
        refused.append(f"{what} « {reason} »{code} de {_fr(charge.amount)}")
    if not refused:
        return None
    return (
        "Remises et frais de pied de facture non pris en charge : "
        + " ; ".join(refused)
        + ". Seul le transport est accepté en pied de facture (code FC ou DL, ou un motif "
        "qui le dit) ; une remise doit être portée sur les lignes, dans leur prix net."
    )


def vat_breakdown_problems(invoice: ReceivedInvoice) -> list[str]:
    """Each rate's base (BT-116) against the lines plus the charges less the allowances
    at that rate (BR-S-08 and its kin), and each rate of a line or a charge present in
    the breakdown (BG-23)."""
    lines, charges, allowances = (defaultdict(lambda: Decimal(0)) for _ in range(3))
    for line in invoice.lines:
        lines[line.vat_rate] += line.amount
    for charge in invoice.charges:
        (charges if charge.is_charge else allowances)[charge.vat_rate] += charge.amount
    declared = defaultdict(lambda: Decimal(0))
    for vat in invoice.vat:
        declared[vat.rate] += vat.base
    found = []
    for rate in sorted(set(lines) | set(charges) | set(allowances) | set(declared)):
        expected = lines[rate] + charges[rate] - allowances[rate]
        if rate not in declared:
            found.append(
                f"le taux {_rate(rate)} des lignes ou des frais n'a pas de ligne dans le "
                "détail de la TVA (BG-23)"
            )
        elif declared[rate] != expected:
            found.append(
                f"base de TVA à {_rate(rate)} (BT-116 : {_fr(declared[rate])}) ≠ lignes + "
                f"frais − remises à ce taux ({_fr(lines[rate])} + {_fr(charges[rate])} − "
                f"{_fr(allowances[rate])} = {_fr(expected)})"
            )
    return found


def problems(invoice: ReceivedInvoice, *, today: dt.date | None = None) -> list[str]:
    """Every reason, in French, why `invoice` cannot be taken as it is; [] when none.
    `today`: an issue date after it is refused (None: not checked). A document that is
    not an invoice, or whose values do not fit, gives that reason alone."""
    if problem := type_problem(invoice):
        return [problem]
    if out_of_bounds := bounds_problems(invoice):
        return ["Valeurs hors limites : " + " ; ".join(out_of_bounds) + "."]
    found = []
    if missing := missing_fields(invoice):
        found.append("Champs obligatoires absents : " + ", ".join(missing) + ".")
    if today is not None and invoice.issued_on is not None and invoice.issued_on > today:
        found.append(
            f"La date de facture (BT-2 : {invoice.issued_on:%d/%m/%Y}) est postérieure à "
            f"aujourd'hui ({today:%d/%m/%Y}) : une facture ne peut être datée du futur."
        )
    if invoice.currency != CURRENCY:
        found.append(
            f"La facture est en {invoice.currency or 'devise inconnue'} : seules les "
            "factures en euros (EUR) sont acceptées."
        )
    if problem := charges_problem(invoice):
        found.append(problem)

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
    totals += vat_breakdown_problems(invoice)
    if totals:
        found.append("Les totaux ne s'additionnent pas : " + " ; ".join(totals) + ".")
    return found
