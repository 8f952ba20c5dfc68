"""Receipt of a supplier order; the shops' invoices and their posting (the review and
the cancellation before it: `purchasing.services.lifecycle`).

Receipt is one transaction under the supplier order's row lock: reallocation of
shortfalls (rule 5), the goods into each shop's stock, one invoice per shop with a
gap-free number (rule 6). A second receipt finds the order received: 409.

The receipt is dated (`received_on`, default today in Paris): the goods enter the stock
that day, the invoices are issued and numbered in that day's year, the entries are
dated that day. It is a business date (shops.dates) of the cooperative and of every
shop served, not before the round closed (nor its supplier order was placed) and not
in the future.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounting import postings
from accounting.documents import SupplierOrderToPost
from inventory.costing import unit_cost_of
from inventory.services import ReceiptIn, end_of_day, stock_receipts_record
from mache.errors import BusinessRuleError, InvalidInput
from mache.formats import plural
from mache.money import ZERO
from mache.periods import paris_date, paris_today
from shops.dates import Bounds, date_bounds_error, earliest_date
from shops.models import Cooperative, Shop

from .. import rules
from ..documents import documents_store_on_commit
from ..models import (
    Allocation,
    Invoice,
    Round,
    SupplierOrder,
    SupplierOrderLine,
)
from .einvoicing import einvoices_deposit_on_commit
from .invoicing import invoices_issue, invoices_to_post
from .lifecycle import supplier_order_check_not_empty, supplier_order_lock
from .settlement import shop_credit_use, shops_with_credit
from .supplier_invoices import supplier_invoices_rematch


class AlreadyReceived(BusinessRuleError):
    code = "already_received"
    default_detail = "Cette commande fournisseur a déjà été réceptionnée."


class NeedsReview(BusinessRuleError):
    code = "needs_review"
    default_detail = (
        "Cette commande fournisseur est sous le minimum : confirmez-la avant de la réceptionner."
    )


class SupplierOrderCancelled(BusinessRuleError):
    code = "round_cancelled"
    default_detail = "La tournée et sa commande fournisseur sont annulées."


def receipt_date_error(
    supplier_order: SupplierOrder, received_on: dt.date, *, today: dt.date
) -> str | None:
    """Why `received_on` cannot date the receipt of `supplier_order`, or None: the latest
    of the round's close, the supplier order's placing, the cooperative's founding and
    the joining of each shop served bounds it below, today above (module doc)."""
    closed = paris_date(supplier_order.round.closes_at)
    placed = paris_date(supplier_order.created_at)
    candidates = [
        (closed, "clôture de la tournée"),
        (placed, "commande au fournisseur"),
        earliest_date(None),
    ]
    shops = (
        Shop.objects.filter(
            allocations__supplier_order=supplier_order, allocations__allocated__gt=0
        )
        .distinct()
        .order_by("pk")
    )
    candidates += [(shop.joined_on, f"adhésion de {shop.name}") for shop in shops if shop.joined_on]
    earliest, since = max(candidates, key=lambda candidate: candidate[0])
    return date_bounds_error(received_on, Bounds(earliest, since, today), today=today)


def supplier_order_receive(
    *,
    supplier_order_id: int,
    received: dict[int, int],
    lots: dict[int, tuple[str, object]] | None = None,
    received_on: dt.date | None = None,
) -> list[Invoice]:
    """Record a delivery: `received` maps product ids to received units; products not
    named were received in full. `lots` gives, per product, the (lot code, expiry date)
    printed on the delivery, when it gives them. `received_on`: the day of the delivery
    (default today, Paris; see the module doc for its bounds). Returns the invoices
    issued, dated `received_on`.

    The supplier's goods go into the cooperative's books and each invoice into the
    shop's and the cooperative's, in this same transaction."""
    lots = lots or {}
    today = paris_today()
    received_on = received_on or today
    with transaction.atomic():
        supplier_order = supplier_order_lock(supplier_order_id)
        status = supplier_order.status
        if status == SupplierOrder.Status.RECEIVED:
            raise AlreadyReceived()
        if status == SupplierOrder.Status.CANCELLED:
            raise SupplierOrderCancelled()
        supplier_order_check_not_empty(supplier_order)
        if status == SupplierOrder.Status.NEEDS_REVIEW:
            raise NeedsReview()

        if error := receipt_date_error(supplier_order, received_on, today=today):
            raise InvalidInput({"received_on": [error]})
        lines = {line.product_id: line for line in supplier_order.lines.select_related("product")}
        errors = []
        for product_id, units in received.items():
            line = lines.get(product_id)
            if line is None:
                errors.append(f"Produit {product_id} : absent de cette commande fournisseur.")
            elif not 0 <= units <= line.units:
                errors.append(
                    f"« {line.product.name} » : {plural(units, 'reçu', 'reçus')} pour "
                    f"{plural(line.units, 'commandé', 'commandés')} ; au plus la quantité "
                    "commandée."
                )
        for product_id, (_, expires_on) in lots.items():
            if product_id not in lines:
                errors.append(f"Produit {product_id} : absent de cette commande fournisseur.")
            elif expires_on and expires_on < received_on:
                errors.append(
                    f"« {lines[product_id].product.name} » : la date limite "
                    f"{expires_on:%d/%m/%Y} précède la réception."
                )
        if errors:
            raise InvalidInput({"lines": sorted(set(errors), key=errors.index)})

        for product_id, line in lines.items():
            line.received_units = received.get(product_id, line.units)
        SupplierOrderLine.objects.bulk_update(lines.values(), ["received_units"])

        allocations = list(
            supplier_order.allocations.filter(allocated__gt=0).order_by(
                "product_id", "rank", "shop_id"
            )
        )
        by_product = defaultdict(list)
        for allocation in allocations:
            by_product[allocation.product_id].append(allocation)
        for product_id, group in by_product.items():
            shares = rules.reallocate(
                lines[product_id].received_units, [a.allocated for a in group]
            )
            for allocation, share in zip(group, shares, strict=True):
                allocation.received = share
        Allocation.objects.bulk_update(allocations, ["received"], batch_size=5000)

        now = timezone.now()
        # The cooperative as it is now: its fee rate, and the seller printed on the
        # invoices (a stand-in before it is recorded, with the default rate).
        coop = Cooperative.current()
        drafts = _invoice_drafts(supplier_order, lines, allocations, coop=coop)
        # The goods enter each shop's stock at their full cost: the invoice's goods line
        # plus its share of the shipping and the fee (docs/inventory.md, "Stock at its
        # full cost").
        full_costs = {draft.shop: rules.goods_full_costs(draft) for draft in drafts}
        # Today's receipt enters the stock now; an earlier one at the end of its day.
        occurred_at = end_of_day(received_on)
        stock_receipts_record(
            receipts=[
                ReceiptIn(
                    shop_id=a.shop_id,
                    product_id=a.product_id,
                    quantity=a.received,
                    unit_cost=unit_cost_of(full_costs[a.shop_id][a.product_id], a.received),
                    source=f"allocation:{a.pk}",
                    occurred_at=occurred_at,
                    lot=lots.get(a.product_id, ("", None))[0],
                    expires_on=lots.get(a.product_id, ("", None))[1],
                )
                for a in allocations
                if a.received
            ]
        )

        invoices = invoices_issue(
            supplier_order=supplier_order,
            drafts=drafts,
            coop=coop,
            issued_on=received_on,
            products={product_id: line.product for product_id, line in lines.items()},
        )
        # Issue 15: each invoice goes to the e-invoicing platform once this commits.
        einvoices_deposit_on_commit(invoices=invoices)
        receipt_post(
            supplier_order=supplier_order,
            lines=list(lines.values()),
            invoices=invoices,
            date=received_on,
        )
        # A shop with a credit (an overpayment, the excess of a credit note) pays its new
        # invoice with it (docs/settlement.md, "The shop's credit").
        for shop_id in shops_with_credit({invoice.shop_id for invoice in invoices}):
            shop_credit_use(shop=Shop.objects.get(pk=shop_id), date=received_on)
        supplier_order.status = SupplierOrder.Status.RECEIVED
        supplier_order.received_at = now
        supplier_order.save(update_fields=["status", "received_at"])
        # The delivery notes are issued with the receipt: stored once this commits
        # (docs/documents.md), as the invoices are by invoices_issue.
        documents_store_on_commit(delivery_notes=[supplier_order])
        Round.objects.filter(pk=supplier_order.round_id).update(status=Round.Status.INVOICED)
        # Issue 16: a supplier's invoice received before the goods is matched again with
        # what was received (docs/supplier-invoices.md, "Matching").
        supplier_invoices_rematch(supplier_order_id=supplier_order.pk)
    return invoices


def supplier_order_to_post(
    *,
    supplier_order_id: int,
    date: dt.date,
    supplier_id: int,
    supplier_name: str,
    goods: dict[Decimal, Decimal],
    shipping: Decimal,
) -> SupplierOrderToPost:
    """The supplier's invoice for what was received, as accounting posts it: `goods`
    (excl. VAT per VAT rate) and the shipping, split over the rates of the goods it
    carries (as for the shops, rule 6), VAT per rate."""
    split = rules.split_by_rate(shipping, dict(goods))
    bases = defaultdict(lambda: ZERO)
    for rate, amount in [*goods.items(), *split.items()]:
        bases[rate] += amount
    vat = {rate: rules.vat_amount(base, rate) for rate, base in bases.items()}
    return SupplierOrderToPost(
        id=supplier_order_id,
        date=date,
        supplier_id=supplier_id,
        supplier_name=supplier_name,
        total_incl_vat=sum(bases.values(), ZERO) + sum(vat.values(), ZERO),
        goods=dict(goods),
        shipping=split,
        vat=vat,
    )


def receipt_post(*, supplier_order, lines, invoices: list[Invoice], date: dt.date) -> None:
    """Post a received supplier order and the shops' invoices, in one batch (posting them
    again posts nothing). `lines`: the supplier order's lines with their product and
    received units.

    Call inside the receipt's transaction: the books move with the goods, or neither.
    """
    goods = defaultdict(lambda: ZERO)
    for line in lines:
        if line.received_units:
            goods[line.product.vat_rate] += rules.line_amount(line.received_units, line.unit_price)
    supplier = supplier_order.round.supplier
    postings.receipt_post(
        supplier_order=supplier_order_to_post(
            supplier_order_id=supplier_order.pk,
            date=date,
            supplier_id=supplier.pk,
            supplier_name=supplier.name,
            goods=goods,
            shipping=supplier_order.shipping,
        ),
        invoices=invoices_to_post(invoices),
    )


def _invoice_drafts(supplier_order, lines, allocations, *, coop) -> list[rules.InvoiceDraft]:
    """The shops' invoices of what they received (rule 6), as drafts, at `coop`'s fee
    rate."""
    return rules.shop_invoices(
        rules.goods_by_shop(
            [
                (
                    allocation.shop_id,
                    allocation.rank,
                    rules.GoodsLine(
                        product=allocation.product_id,
                        label=lines[allocation.product_id].product.name,
                        units=allocation.received,
                        unit_price=lines[allocation.product_id].unit_price,
                        base_unit_price=lines[allocation.product_id].base_unit_price,
                        vat_rate=lines[allocation.product_id].product.vat_rate,
                    ),
                )
                for allocation in allocations
            ]
        ),
        shipping=supplier_order.shipping,
        fee_rate=rules.fee_rate(coop.service_fee_rate),
    )
