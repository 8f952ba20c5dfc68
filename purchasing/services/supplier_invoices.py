"""Suppliers' e-invoices: receiving one, matching it with its supplier order and the
receipt, approving or rejecting it (docs/supplier-invoices.md, "Receiving", "Matching",
"Approval and the books").

Receiving reads the file (purchasing.supplier_invoices.reading), recognises the
supplier, finds the supplier order and records the invoice with the differences found
(purchasing.supplier_invoices.matching), in one transaction: a refused file writes
nothing. Approval posts the purchase from the invoice, reverses the receipt's entry of
the purchase as ordered, and settles the differences with the shops
(purchasing.services.supplier_differences); rejection records the reason and e-mails
the supplier.
"""

import datetime as dt
import hashlib
import re
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from accounting import postings
from accounting.documents import SupplierInvoiceToPost
from catalogue.models import Product, Supplier
from mache.errors import BusinessRuleError, InvalidInput
from mache.identifiers import vat_number_for
from mache.money import ZERO
from mache.notifications import notify_on_commit
from mache.periods import paris_today

from ..models import (
    CreditNoteLine,
    SupplierInvoice,
    SupplierInvoiceLine,
    SupplierInvoiceVat,
    SupplierOrder,
)
from ..supplier_invoices import matching
from ..supplier_invoices.document import ReceivedInvoice, ReceivedParty
from .lifecycle import supplier_order_lock
from .notifications import supplier_invoice_rejected
from .supplier_differences import supplier_differences_settle

MAX_REASON = 500


class SupplierInvoiceExists(BusinessRuleError):
    code = "supplier_invoice_exists"
    default_detail = "Cette facture de ce fournisseur est déjà enregistrée."


class SupplierOrderInvoiced(BusinessRuleError):
    code = "supplier_order_invoiced"
    default_detail = "Cette commande fournisseur est déjà entièrement facturée."


class SupplierInvoiceDecided(BusinessRuleError):
    code = "supplier_invoice_decided"
    default_detail = "Cette facture fournisseur est déjà approuvée ou rejetée."


class SupplierInvoiceUnmatched(BusinessRuleError):
    code = "supplier_invoice_unmatched"
    default_detail = (
        "Aucune commande fournisseur ne correspond à cette facture : rejetez-la ou "
        "demandez au fournisseur la référence de commande."
    )


class SupplierOrderNotReceived(BusinessRuleError):
    code = "supplier_order_not_received"
    default_detail = (
        "La commande fournisseur n'est pas encore réceptionnée : réceptionnez-la avant "
        "d'approuver sa facture."
    )


class SupplierInvoiceUnexpected(BusinessRuleError):
    code = "supplier_invoice_unexpected"
    default_detail = (
        "La facture porte des produits qui n'ont pas été reçus : elle ne peut être "
        "approuvée, rejetez-la."
    )


class SupplierInvoiceInconsistent(BusinessRuleError):
    code = "supplier_invoice_inconsistent"
    default_detail = (
        "Le détail de la TVA de cette facture ne correspond pas à ses lignes et à son "
        "port : elle ne peut être comptabilisée, rejetez-la."
    )


# --- Recognising the supplier and the order -------------------------------------------


def _digits(value: str) -> str:
    return re.sub(r"\s", "", value or "")


def _compact_vat(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "").upper()


def supplier_recognise(seller: ReceivedParty) -> Supplier:
    """The supplier of the seller (docs/supplier-invoices.md, "Receiving"): by its SIRET,
    else its SIREN (the first nine digits of a supplier's SIRET), else its VAT number
    (the supplier's own, or the one its SIRET gives). Unknown: 400."""
    siret, siren, vat = (
        _digits(seller.siret),
        _digits(seller.siren),
        _compact_vat(seller.vat_number),
    )
    if not siren and len(siret) == 14:
        siren = siret[:9]
    if siret:
        found = Supplier.objects.filter(siret=siret).order_by("pk").first()
        if found:
            return found
    if len(siren) == 9:
        found = list(Supplier.objects.filter(siret__startswith=siren).order_by("name"))
        if found:
            return _only_one(found, f"Le SIREN {siren}", seller)
    if vat:
        found = [
            supplier
            for supplier in Supplier.objects.filter(
                Q(siret__startswith=vat[-9:]) | ~Q(vat_number="")
            ).order_by("name")
            if (_compact_vat(supplier.vat_number) or vat_number_for(supplier.siret)) == vat
        ]
        if found:
            return _only_one(found, f"Le numéro de TVA {vat}", seller)
    ids = ", ".join(
        f"{label} {value}"
        for label, value in (("SIRET", siret), ("SIREN", siren), ("TVA", vat))
        if value
    )
    raise InvalidInput(
        {
            "file": [
                f"Fournisseur inconnu : {seller.name or 'sans nom'}"
                + (f" ({ids})" if ids else " (ni SIRET, ni SIREN, ni numéro de TVA)")
                + ". Enregistrez-le dans le catalogue avec son SIRET ou son numéro de TVA."
            ]
        }
    )


def _only_one(found: list[Supplier], what: str, seller: ReceivedParty) -> Supplier:
    """The one supplier `what` (a SIREN, a VAT number: a company's) names; 400 naming
    them when it is several establishments of one company, each a supplier: the invoice
    must give the SIRET (docs/supplier-invoices.md, "Receiving")."""
    if len(found) == 1:
        return found[0]
    names = ", ".join(supplier.name for supplier in found[:5]) + (", …" if len(found) > 5 else "")
    raise InvalidInput(
        {
            "file": [
                f"{what} de {seller.name or 'ce vendeur'} est celui de plusieurs fournisseurs "
                f"({names}) : la facture doit donner le SIRET de l'établissement."
            ]
        }
    )


ORDER_REFERENCE = re.compile(r"(?:CF[-\s]?)?0*(\d{1,12})", re.IGNORECASE)


def supplier_order_find(*, supplier: Supplier, received: ReceivedInvoice) -> SupplierOrder | None:
    """The supplier order the invoice bills: by its reference (BT-13, "CF-000123" or
    "123") among the supplier's orders, else the supplier's order delivered on the
    invoice's delivery date (the round's delivery date, or the day it was received)
    when exactly one is."""
    orders = SupplierOrder.objects.filter(round__supplier=supplier).exclude(
        status=SupplierOrder.Status.CANCELLED
    )
    match = ORDER_REFERENCE.fullmatch(received.order_reference.strip())
    if match:
        found = orders.filter(pk=int(match.group(1))).first()
        if found:
            return found
    if received.delivery_date:
        candidates = list(
            orders.filter(
                Q(round__delivery_date=received.delivery_date)
                | Q(received_at__date=received.delivery_date)
            ).order_by("pk")[:2]
        )
        if len(candidates) == 1:
            return candidates[0]
    return None


def _order_label(supplier_order_id: int) -> str:
    return f"CF-{supplier_order_id:06d}"


def _check_not_invoiced(supplier_order_id: int, *, but: int | None = None) -> None:
    """409 when the supplier order already has an invoice that is not rejected."""
    other = (
        SupplierInvoice.objects.filter(supplier_order_id=supplier_order_id)
        .exclude(status=SupplierInvoice.Status.REJECTED)
        .exclude(pk=but)
        .first()
    )
    if other is not None:
        raise SupplierOrderInvoiced(
            f"La commande {_order_label(supplier_order_id)} est déjà entièrement facturée "
            f"(facture {other.number})."
        )


# --- Matching ------------------------------------------------------------------------


def returned_units(supplier_order_id: int) -> dict[int, int]:
    """The units of each product the shops sent back to the supplier (their credit
    notes' lines `return_to_supplier` on the order's invoices)."""
    return dict(
        CreditNoteLine.objects.filter(
            credit_note__invoice__supplier_order_id=supplier_order_id,
            return_to_supplier=True,
            product__isnull=False,
            quantity__isnull=False,
        )
        .order_by()
        .values("product")
        .annotate(units=Sum("quantity"))
        .values_list("product", "units")
    )


def expected_lines(supplier_order: SupplierOrder) -> list[matching.ExpectedLine]:
    """What the supplier should bill: what was received (the ordered units before the
    receipt) less the units the shops sent back to it, at the order's unit prices
    (docs/supplier-invoices.md, "Matching")."""
    returned = returned_units(supplier_order.pk)
    return [
        matching.ExpectedLine(
            product=line.product_id,
            sku=line.product.sku,
            name=line.product.name,
            units=max(
                (line.units if line.received_units is None else line.received_units)
                - returned.get(line.product_id, 0),
                0,
            ),
            unit_price=line.unit_price,
            vat_rate=line.product.vat_rate,
        )
        for line in supplier_order.lines.select_related("product").order_by("product_id")
    ]


def _supplier_products(supplier_id: int) -> tuple[dict[str, int], set[int]]:
    rows = list(Product.objects.filter(supplier_id=supplier_id).values_list("sku", "pk"))
    return {sku: pk for sku, pk in rows}, {pk for _, pk in rows}


def _match(
    invoice: SupplierInvoice,
    lines: list[SupplierInvoiceLine],
    vat_rows: list[SupplierInvoiceVat] | None = None,
) -> None:
    """Set each line's product, the invoice's differences and status (not saved).
    `vat_rows`: its VAT breakdown (default: as stored)."""
    skus, product_ids = _supplier_products(invoice.supplier_id)
    for line in lines:
        product = matching.line_product(
            seller_item_id=line.seller_item_id,
            buyer_item_id=line.buyer_item_id,
            skus=skus,
            product_ids=product_ids,
        )
        line.product_id = product
    if invoice.supplier_order_id is None:
        found = [
            matching.Difference(
                None,
                "order",
                "",
                invoice.order_reference or "aucune référence de commande",
            )
        ]
    else:
        supplier_order = invoice.supplier_order
        found = matching.differences(
            expected=expected_lines(supplier_order),
            billed=_billed(lines),
            expected_shipping=supplier_order.shipping,
            invoiced_shipping=invoice.shipping,
            invoiced_vat=_vat_by_rate(invoice.vat_lines.all() if vat_rows is None else vat_rows),
        )
    invoice.differences = [difference.as_json() for difference in found]
    invoice.status = (
        SupplierInvoice.Status.DISCREPANCIES if found else SupplierInvoice.Status.MATCHED
    )


def _vat_by_rate(vat_rows) -> dict:
    vat = defaultdict(lambda: ZERO)
    for row in vat_rows:
        vat[row.rate] += row.amount
    return dict(vat)


def _billed(lines) -> list[matching.BilledLine]:
    return [
        matching.BilledLine(
            product=line.product_id,
            name=line.name,
            quantity=line.quantity,
            net_unit_price=line.net_unit_price,
            amount=line.amount,
            vat_rate=line.vat_rate,
        )
        for line in lines
    ]


def supplier_invoices_rematch(*, supplier_order_id: int) -> int:
    """Match again the undecided invoices of a supplier order (its receipt changed what
    was expected). Call inside the receipt's transaction. Returns how many."""
    invoices = list(
        SupplierInvoice.objects.select_for_update()
        .filter(
            supplier_order_id=supplier_order_id,
            status__in=[SupplierInvoice.Status.MATCHED, SupplierInvoice.Status.DISCREPANCIES],
        )
        .order_by("pk")
    )
    for invoice in invoices:
        lines = list(invoice.lines.all())
        _match(invoice, lines)
        SupplierInvoiceLine.objects.bulk_update(lines, ["product"])
        invoice.save(update_fields=["differences", "status"])
    return len(invoices)


# --- Receiving -----------------------------------------------------------------------


def supplier_invoice_record(
    *, received: ReceivedInvoice, data: bytes, filename: str, source: str, user=None
) -> SupplierInvoice:
    """Record an invoice as read (`received`), the file `data` kept as received. 400 for
    an unknown supplier; 409 `supplier_invoice_exists` for the supplier's number twice,
    `supplier_order_invoiced` for an order already invoiced. Nothing written then."""
    supplier = supplier_recognise(received.seller)
    with transaction.atomic():
        _check_not_recorded(supplier, received.number)
        supplier_order = supplier_order_find(supplier=supplier, received=received)
        if supplier_order is not None:
            # Locked: two invoices for one order, one wins. The same file sent twice at
            # once waits here for the first: checked again once the lock is held (a new
            # statement sees what the first committed), it is the same invoice, not a
            # second one for the order (docs/supplier-invoices.md, "Receiving").
            supplier_order = supplier_order_lock(supplier_order.pk)
            _check_not_recorded(supplier, received.number)
            _check_not_invoiced(supplier_order.pk)
        invoice = SupplierInvoice(
            supplier=supplier,
            number=received.number,
            type_code=received.type_code or "380",
            issued_on=received.issued_on,
            due_on=received.due_on,
            delivery_date=received.delivery_date,
            order_reference=received.order_reference,
            supplier_order=supplier_order,
            total_excl_vat=received.total_excl_vat,
            total_vat=received.total_vat,
            total_incl_vat=received.total_incl_vat,
            amount_due=received.amount_due,
            shipping=received.shipping,
            format=received.format,
            file_name=(filename or f"{received.number}.{_extension(received.format)}")[:255],
            original=bytes(data),
            sha256=hashlib.sha256(data).hexdigest(),
            source=source[:300],
            received_by=user if user is not None and user.is_authenticated else None,
        )
        lines = [
            SupplierInvoiceLine(
                invoice=invoice,
                position=position,
                line_id=line.line_id[:100],
                name=(line.name or line.seller_item_id or "?")[:300],
                seller_item_id=line.seller_item_id[:100],
                buyer_item_id=line.buyer_item_id[:100],
                quantity=line.quantity,
                unit_code=line.unit_code[:10],
                net_unit_price=line.net_unit_price,
                amount=line.amount,
                vat_category=line.vat_category[:3],
                vat_rate=line.vat_rate,
            )
            for position, line in enumerate(received.lines, start=1)
        ]
        vat_rows = [
            SupplierInvoiceVat(
                invoice=invoice,
                category=vat.category[:3],
                rate=vat.rate,
                base=vat.base,
                amount=vat.amount,
            )
            for vat in received.vat
        ]
        _match(invoice, lines, vat_rows)
        try:
            with transaction.atomic():
                invoice.save()
        except IntegrityError as exc:  # the same number recorded meanwhile
            raise SupplierInvoiceExists(
                f"La facture {received.number} de {supplier.name} est déjà enregistrée."
            ) from exc
        SupplierInvoiceLine.objects.bulk_create(lines)
        SupplierInvoiceVat.objects.bulk_create(vat_rows)
    return invoice


def _check_not_recorded(supplier: Supplier, number: str) -> None:
    """409 `supplier_invoice_exists` when the supplier's invoice `number` is recorded."""
    if SupplierInvoice.objects.filter(supplier=supplier, number=number).exists():
        raise SupplierInvoiceExists(f"La facture {number} de {supplier.name} est déjà enregistrée.")


def _extension(format_: str) -> str:
    return "pdf" if format_ == SupplierInvoice.Format.FACTURX else "xml"


def supplier_invoice_receive(
    *, data: bytes, filename: str = "", source: str = "upload", user=None
) -> SupplierInvoice:
    """Read the file (400 naming why it is not a valid e-invoice) and record it."""
    from ..supplier_invoices.reading import read_einvoice

    received = read_einvoice(data, filename)
    return supplier_invoice_record(
        received=received, data=data, filename=filename, source=source, user=user
    )


# --- Approval and rejection ----------------------------------------------------------


def _lock(supplier_invoice_id: int) -> SupplierInvoice:
    invoice = (
        SupplierInvoice.objects.select_for_update(of=("self",))
        .select_related("supplier")
        .get(pk=supplier_invoice_id)
    )
    if invoice.status in (SupplierInvoice.Status.APPROVED, SupplierInvoice.Status.REJECTED):
        raise SupplierInvoiceDecided(
            f"La facture {invoice.number} est déjà "
            f"{'approuvée' if invoice.status == SupplierInvoice.Status.APPROVED else 'rejetée'}."
        )
    return invoice


def supplier_invoice_to_post(invoice: SupplierInvoice, *, date: dt.date) -> SupplierInvoiceToPost:
    """The purchase as the supplier billed it: goods per rate from its lines, shipping
    per rate its shipping charges at that rate, VAT per rate from the breakdown, the
    total BT-112. The charges are not kept one by one: the reader made sure each rate's
    base is its lines plus its charges (purchasing.supplier_invoices.checks), so the
    charges at a rate are its base less its lines; 409 when that is negative at a rate
    (docs/supplier-invoices.md, "Approval and the books")."""
    goods = defaultdict(lambda: ZERO)
    for line in invoice.lines.all():
        goods[line.vat_rate] += line.amount
    bases = defaultdict(lambda: ZERO)
    vat = defaultdict(lambda: ZERO)
    for row in invoice.vat_lines.all():
        bases[row.rate] += row.base
        vat[row.rate] += row.amount
    shipping = {rate: base - goods.get(rate, ZERO) for rate, base in bases.items()}
    if any(amount < 0 for amount in shipping.values()):
        raise SupplierInvoiceInconsistent()
    return SupplierInvoiceToPost(
        id=invoice.pk,
        number=invoice.number,
        issued_on=invoice.issued_on,
        date=date,
        supplier_id=invoice.supplier_id,
        supplier_name=invoice.supplier.name,
        total_incl_vat=invoice.total_incl_vat,
        goods=dict(goods),
        shipping={rate: amount for rate, amount in shipping.items() if amount},
        vat=dict(vat),
    )


def supplier_invoice_approve(
    *, supplier_invoice_id: int, user=None, on: dt.date | None = None
) -> SupplierInvoice:
    """Approve an invoice (docs/supplier-invoices.md, "Approval and the books"): under
    the invoice's and its order's locks, match it again, post the purchase from it (ACH,
    piece = the supplier's number), reverse the receipt's entry of the purchase as
    ordered, and settle the differences with the shops, all dated `on` (default today).
    409 when it is decided already, matched to no order, its order not received, or it
    bills products not received."""
    on = on or paris_today()
    with transaction.atomic():
        # The order's lock first, as the receipt takes it (then the invoices'): no
        # deadlock with a receipt matching this invoice again.
        order_id = (
            SupplierInvoice.objects.filter(pk=supplier_invoice_id)
            .values_list("supplier_order_id", flat=True)
            .get()
        )
        supplier_order = supplier_order_lock(order_id) if order_id else None
        invoice = _lock(supplier_invoice_id)
        if supplier_order is None:
            raise SupplierInvoiceUnmatched()
        if supplier_order.status != SupplierOrder.Status.RECEIVED:
            raise SupplierOrderNotReceived()
        invoice.supplier_order = supplier_order
        lines = list(invoice.lines.all())
        _match(invoice, lines)
        SupplierInvoiceLine.objects.bulk_update(lines, ["product"])
        if any(d["field"] == "unexpected" for d in invoice.differences):
            raise SupplierInvoiceUnexpected()
        expected = expected_lines(supplier_order)
        deltas = matching.deltas(
            expected=expected,
            billed=_billed(lines),
            expected_shipping=supplier_order.shipping,
            invoiced_shipping=invoice.shipping,
        )
        entry = postings.supplier_invoice_post(invoice=supplier_invoice_to_post(invoice, date=on))
        postings.supplier_order_entry_reverse(
            supplier_order_id=supplier_order.pk, date=on, user=user
        )
        if deltas:
            supplier_differences_settle(
                supplier_order=supplier_order,
                deltas=deltas,
                issued_on=on,
                reason=f"Facture {invoice.number} de {invoice.supplier.name}",
                user=user,
            )
        invoice.status = SupplierInvoice.Status.APPROVED
        invoice.entry = entry
        invoice.decided_at = timezone.now()
        invoice.decided_by = user if user is not None and user.is_authenticated else None
        invoice.save(update_fields=["status", "differences", "entry", "decided_at", "decided_by"])
    return invoice


def supplier_invoice_reject(*, supplier_invoice_id: int, reason: str, user=None) -> SupplierInvoice:
    """Reject an invoice with the reason (required), e-mailed to the supplier once this
    commits. 409 when it is decided already."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": ["Indiquez le motif du rejet."]})
    if len(reason) > MAX_REASON:
        raise InvalidInput({"reason": [f"{MAX_REASON} caractères au plus."]})
    with transaction.atomic():
        invoice = _lock(supplier_invoice_id)
        invoice.status = SupplierInvoice.Status.REJECTED
        invoice.reason = reason
        invoice.decided_at = timezone.now()
        invoice.decided_by = user if user is not None and user.is_authenticated else None
        invoice.save(update_fields=["status", "reason", "decided_at", "decided_by"])
        notify_on_commit(supplier_invoice_rejected, invoice.pk)
    return invoice
