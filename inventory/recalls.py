"""Recalls of a lot (docs/recalls.md): the coordinator recalls a lot of a product, which
blocks it in every shop (inventory/services.py: sales and losses out of it answer 409
lot_recalled, FEFO skips it), tells every shop that received it by e-mail (after commit,
through the outbox), and each shop confirms the withdrawal: a `recall` movement of the
units of the lot it still holds.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalogue.models import Product
from mache.errors import BusinessRuleError, InvalidInput
from mache.notifications import notify_on_commit

from .models import Recall, RecallShop, StockBalance, StockLot, StockMovement
from .notifications import recall_notice
from .services import MovementIn, _lock_balances, movements_record
from .traceability import lot_code_clean, lot_trace, product_of

REASON_MAX_LENGTH = 500


class RecallExists(BusinessRuleError):
    code = "recall_exists"
    default_detail = "Ce lot est déjà rappelé."


class RecallConfirmed(BusinessRuleError):
    code = "recall_confirmed"
    default_detail = "Le retrait de ce lot est déjà confirmé pour ce commerce."


def _exists(product, code) -> RecallExists:
    return RecallExists(f"Le lot {code} de « {product.name} » est déjà rappelé.")


def recall_create(*, product, lot, reason, user) -> Recall:
    """Recall `lot` of `product` (a Product or its id). 400 on `product` (unknown),
    `lot` (never entered any shop's stock) or `reason` (empty); 409 recall_exists for a
    lot already recalled. Each shop's line is what the traceability says once the shops'
    stock of the product is locked, so no sale slips between the figures and the block.
    """
    if not hasattr(product, "pk"):
        product = product_of(product)
    code = lot_code_clean(lot)
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidInput({"reason": ["Indiquez le motif du rappel."]})
    if len(reason) > REASON_MAX_LENGTH:
        raise InvalidInput({"reason": [f"Le motif a au plus {REASON_MAX_LENGTH} caractères."]})
    if code and Recall.objects.filter(product=product, lot=code).exists():
        raise _exists(product, code)
    with transaction.atomic():
        # Every shop's balance of the product (in-flight sales and losses finish first),
        # then the product's row, which an entry of a coded lot locks too before it
        # looks for recalls (services._recalled_arrivals): the shops read below are all
        # those holding the lot, and a delivery committed later reopens its shop's line.
        list(
            StockBalance.objects.select_for_update()
            .filter(product=product)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        list(
            Product.objects.select_for_update(no_key=True)
            .filter(pk=product.pk)
            .values_list("pk", flat=True)
        )
        trace = lot_trace(user=None, product=product, lot=code)  # 400 on lot
        try:
            with transaction.atomic():
                recall = Recall.objects.create(
                    product=product, lot=trace.lot, reason=reason, created_by=user
                )
        except IntegrityError:  # recalled at the same moment by another request
            raise _exists(product, code) from None
        lines = RecallShop.objects.bulk_create(
            RecallShop(
                recall=recall,
                shop=shop.shop,
                received=shop.received,
                sold_or_lost=shop.sold_or_lost,
                left=shop.left,
            )
            for shop in trace.shops
        )
        for line in lines:
            notify_on_commit(recall_notice, line.pk)
    return recall


def recall_confirm(*, recall: Recall, shop, user) -> RecallShop:
    """The shop confirms it withdrew the units of the recalled lot it holds: a `recall`
    movement of all of them (none when nothing is left: the confirmation alone). 400 on
    `shop` if the recall does not concern it; 409 recall_confirmed the second time."""
    with transaction.atomic():
        # The balance first, then the line: the order of an entry that reopens it.
        _lock_balances({(shop.pk, recall.product_id)})
        line = RecallShop.objects.select_for_update().filter(recall=recall, shop=shop).first()
        if line is None:
            raise InvalidInput({"shop": [f"Le rappel ne concerne pas {shop.name}."]})
        if line.confirmed_at is not None:
            raise RecallConfirmed()
        units = sum(
            StockLot.objects.filter(
                shop=shop, product_id=recall.product_id, code=recall.lot, remaining__gt=0
            ).values_list("remaining", flat=True)
        )
        now = timezone.now()
        if units:
            [line.movement] = movements_record(
                movements=[
                    MovementIn(
                        shop_id=shop.pk,
                        product_id=recall.product_id,
                        kind=StockMovement.Kind.RECALL,
                        quantity=-units,
                        occurred_at=now,
                        lot=recall.lot,
                        # A reopened line's next withdrawal: its own key.
                        source=f"recall:{recall.pk}:shop:{shop.pk}"
                        + (f":after:{line.movement_id}" if line.movement_id else ""),
                        note=f"Rappel du lot {recall.lot}",
                        user_id=getattr(user, "pk", None),
                    )
                ]
            )
        line.confirmed_at = now
        line.confirmed_by = user
        line.save(update_fields=["confirmed_at", "confirmed_by", "movement"])
    return line


def withdrawn(line: RecallShop) -> int:
    """The units a shop withdrew: by its last confirmation (its movement's), plus, for a
    line reopened by a later delivery, by the earlier ones (received - sold_or_lost -
    left, as the line was reopened: docs/recalls.md, "Late arrivals")."""
    earlier = line.received - line.sold_or_lost - line.left
    return earlier + (-line.movement.quantity if line.movement_id else 0)
