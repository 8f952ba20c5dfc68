"""Stock per shop. Every change of stock is a movement; nothing edits a quantity.

The balance row of a (shop, product) is the lock every movement of that pair takes,
and holds the running quantity, average cost and value. Each movement also keeps the
state after it, so the stock of any past date is read from the last movement before it.
Lots cover the quantity on hand exactly: every entry creates one, every exit consumes
them first-expiry-first-out.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


def cost_field(verbose_name, **kwargs):
    """A unit cost: 8 decimals, so that a receipt's full cost survives its division by
    its units (inventory/costing.py, docs/inventory.md)."""
    return models.DecimalField(verbose_name, max_digits=16, decimal_places=8, **kwargs)


def value_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)


class StockBalance(models.Model):
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="balances")
    product = models.ForeignKey(
        "catalogue.Product", on_delete=models.PROTECT, related_name="balances"
    )
    quantity = models.IntegerField("quantité en stock", default=0)
    average_cost = cost_field("coût unitaire moyen pondéré", default=0)
    value = value_field("valeur", default=0)
    minimum = models.PositiveIntegerField("stock minimum", null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "stock"
        verbose_name_plural = "stocks"
        ordering = ["shop_id", "product_id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "product"], name="one_balance_per_product"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="balance_not_negative"),
        ]


class StockCount(models.Model):
    """A physical count: its differences are posted as adjustments."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="counts")
    counted_on = models.DateField("compté le")
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="compté par",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "inventaire"
        ordering = ["-counted_on", "-id"]


class StockCountLine(models.Model):
    count = models.ForeignKey(StockCount, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalogue.Product", on_delete=models.PROTECT, related_name="+")
    expected = models.IntegerField("attendu")
    counted = models.PositiveIntegerField("compté")

    class Meta:
        ordering = ["count_id", "product_id"]
        constraints = [
            models.UniqueConstraint(fields=["count", "product"], name="one_count_line_per_product"),
        ]


class StockMovement(models.Model):
    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Réception"
        SALE = "sale", "Vente"
        LOSS = "loss", "Perte"
        ADJUSTMENT = "adjustment", "Ajustement"
        # Goods a credit note takes back from the shop (docs/credit-notes.md).
        RETURN = "return", "Retour"
        # Units of a recalled lot withdrawn from sale (issue 17, docs/recalls.md).
        RECALL = "recall", "Retrait (rappel)"

    class Reason(models.TextChoices):
        EXPIRED = "expired", "Périmé"
        DAMAGED = "damaged", "Abîmé"
        THEFT = "theft", "Vol"
        OTHER = "other", "Autre"

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="stock_movements")
    product = models.ForeignKey(
        "catalogue.Product", on_delete=models.PROTECT, related_name="stock_movements"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    reason = models.CharField("motif", max_length=10, choices=Reason.choices, blank=True)
    # Signed: receipts add, sales, losses and returns take away, adjustments go either way (a
    # count's is recomputed by a backdated movement's replay: docs/inventory.md).
    quantity = models.IntegerField()
    # What one unit moved at: the receipt's cost, else the average cost of the moment.
    unit_cost = cost_field("coût unitaire")
    occurred_at = models.DateTimeField()
    quantity_after = models.IntegerField()
    average_cost_after = cost_field("coût moyen après")
    value_after = value_field("valeur après")
    # The source document of a movement recorded by another app, by a key of its own
    # ("allocation:<id>" for a receipt of pooled purchasing): never recorded twice.
    source = models.CharField("document d'origine", max_length=80, blank=True, default="")
    count = models.ForeignKey(
        StockCount, on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "mouvement de stock"
        verbose_name_plural = "mouvements de stock"
        ordering = ["shop_id", "occurred_at", "id"]
        indexes = [
            models.Index(fields=["shop", "product", "occurred_at", "id"]),
            models.Index(fields=["shop", "kind", "occurred_at"]),
        ]
        constraints = [
            # A count line keeps its adjustment even at 0: the count's fixed point when a
            # backdated movement replays it (docs/inventory.md).
            models.CheckConstraint(
                condition=~Q(quantity=0) | Q(kind="adjustment", count__isnull=False),
                name="movement_quantity_not_zero",
            ),
            models.CheckConstraint(
                condition=Q(quantity_after__gte=0), name="movement_never_below_zero"
            ),
            models.CheckConstraint(
                condition=~Q(kind="receipt") | Q(quantity__gt=0), name="receipt_positive"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["sale", "loss", "return"]) | Q(quantity__lt=0),
                name="exits_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind="loss") | ~Q(reason=""), name="loss_has_reason"
            ),
            models.UniqueConstraint(
                fields=["source"], condition=~Q(source=""), name="movement_source_once"
            ),
        ]


class StockLot(models.Model):
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="lots")
    product = models.ForeignKey("catalogue.Product", on_delete=models.PROTECT, related_name="+")
    code = models.CharField("lot", max_length=64, blank=True)
    expires_on = models.DateField("date limite", null=True, blank=True)
    received_at = models.DateTimeField("entré le")
    initial = models.PositiveIntegerField("quantité entrée")
    remaining = models.PositiveIntegerField("quantité restante")
    movement = models.OneToOneField(
        StockMovement, on_delete=models.PROTECT, related_name="created_lot"
    )

    class Meta:
        verbose_name = "lot"
        ordering = ["shop_id", "product_id", "expires_on", "received_at", "id"]
        indexes = [
            models.Index(
                fields=["shop", "product"], condition=Q(remaining__gt=0), name="lot_open_idx"
            ),
            models.Index(
                fields=["shop", "expires_on"], condition=Q(remaining__gt=0), name="lot_expiry_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__lte=models.F("initial")),
                name="lot_remaining_at_most_initial",
            ),
        ]


class MovementLot(models.Model):
    """How many units of which lot an exit took."""

    movement = models.ForeignKey(StockMovement, on_delete=models.PROTECT, related_name="lot_parts")
    lot = models.ForeignKey(StockLot, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["movement", "lot"], name="one_part_per_lot"),
        ]


class Recall(models.Model):
    """A recall of one lot of a product (a Rappel Conso notice; issue 17, docs/recalls.md):
    the lot is blocked in every shop (no sale or loss out of it, FEFO skips it), every shop
    that received it is told, and each confirms the units it withdrew."""

    product = models.ForeignKey(
        "catalogue.Product",
        on_delete=models.PROTECT,
        related_name="recalls",
        verbose_name="produit",
    )
    lot = models.CharField("lot", max_length=64)
    reason = models.CharField("motif", max_length=500)
    created_at = models.DateTimeField("rappelé le", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "rappel de lot"
        verbose_name_plural = "rappels de lots"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "lot"], name="one_recall_per_lot"),
        ]

    def __str__(self):
        return f"Rappel {self.product_id} lot {self.lot}"


class RecallShop(models.Model):
    """A shop concerned by a recall: what the traceability said at the recall (received,
    sold or lost, left), when it was told, and when it confirmed the withdrawal (its
    `recall` movement)."""

    recall = models.ForeignKey(Recall, on_delete=models.CASCADE, related_name="shops")
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="recalls")
    received = models.PositiveIntegerField("reçues")
    sold_or_lost = models.PositiveIntegerField("vendues ou perdues")
    left = models.PositiveIntegerField("restantes")
    notified_at = models.DateTimeField("prévenu le", null=True, blank=True)
    confirmed_at = models.DateTimeField("retrait confirmé le", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    movement = models.ForeignKey(
        StockMovement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["recall_id", "shop_id"]
        constraints = [
            models.UniqueConstraint(fields=["recall", "shop"], name="one_recall_line_per_shop"),
        ]
