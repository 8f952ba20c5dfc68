"""Stock per shop. Every change of stock is a movement; nothing edits a quantity."""

from django.db import models
from django.db.models import Q


class StockMovement(models.Model):
    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Réception"
        SALE = "sale", "Vente"
        LOSS = "loss", "Perte"
        ADJUSTMENT = "adjustment", "Ajustement"

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT,
                             related_name="stock_movements")
    product = models.ForeignKey("purchasing.Product", on_delete=models.PROTECT,
                                related_name="stock_movements")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # Signed: receipts add, sales and losses take away, adjustments go either way.
    quantity = models.IntegerField()
    unit_cost = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    occurred_at = models.DateTimeField()
    # A receipt comes from exactly one allocation of pooled purchasing: never twice.
    allocation = models.OneToOneField("purchasing.Allocation", on_delete=models.PROTECT,
                                      null=True, blank=True, related_name="stock_movement")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "mouvement de stock"
        verbose_name_plural = "mouvements de stock"
        ordering = ["shop_id", "occurred_at", "id"]
        indexes = [models.Index(fields=["shop", "product", "occurred_at"])]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="movement_quantity_not_zero"),
            models.CheckConstraint(
                condition=~Q(kind="receipt") | (Q(quantity__gt=0) & Q(unit_cost__isnull=False)),
                name="receipt_positive_with_cost"),
        ]
