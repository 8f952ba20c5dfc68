"""The cooperative's catalogue: suppliers, their products and volume price tiers.

The tables kept the names they had under purchasing (migration 0001_initial of this app
only moved them in Django's state).
"""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from mache.validators import (
    place_check,
    validate_bic,
    validate_iban,
    validate_latitude,
    validate_longitude,
    validate_siret,
)

from .labels import validate_labels

MAX_UNITS = 100_000  # per order line: more is a typing error, not a village shop's order


class VatRate(models.TextChoices):
    """The French VAT rates a product may carry (docs/money.md)."""

    ZERO = "0.00", "0 %"
    SUPER_REDUCED = "2.10", "2,1 %"
    REDUCED = "5.50", "5,5 %"
    INTERMEDIATE = "10.00", "10 %"
    STANDARD = "20.00", "20 %"


def money_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)


def unit_price_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=4, **kwargs)


def vat_rate_field(verbose_name="taux de TVA", **kwargs):
    return models.DecimalField(
        verbose_name,
        max_digits=4,
        decimal_places=2,
        choices=[(Decimal(v), label) for v, label in VatRate.choices],
        **kwargs,
    )


class SupplierKind(models.TextChoices):
    PRODUCER = "producer", "Producteur"
    PROCESSOR = "processor", "Transformateur"
    WHOLESALER = "wholesaler", "Grossiste"


class Supplier(models.Model):
    name = models.CharField(
        "nom",
        max_length=200,
        unique=True,
        error_messages={"unique": "Un fournisseur porte déjà ce nom."},
    )
    siret = models.CharField("SIRET", max_length=14, blank=True, validators=[validate_siret])
    email = models.EmailField("e-mail de commande", blank=True)
    address = models.CharField("adresse", max_length=300, blank=True)
    # Its intra-community VAT number when it has one (a foreign supplier has no SIRET):
    # with the SIRET and its SIREN, what recognises its e-invoices (docs/supplier-invoices.md).
    vat_number = models.CharField(
        "n° de TVA intracommunautaire", max_length=20, blank=True, default="", db_default=""
    )
    # Where the cooperative pays the supplier (SEPA credit transfers, docs/sepa.md).
    iban = models.CharField(
        "IBAN", max_length=34, blank=True, default="", validators=[validate_iban]
    )
    bic = models.CharField("BIC", max_length=11, blank=True, default="", validators=[validate_bic])
    min_order_amount = money_field(
        "minimum de commande HT",
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    free_shipping_threshold = money_field(
        "franco de port HT", null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    shipping_fee = money_field(
        "frais de port HT", default=Decimal("0.00"), validators=[MinValueValidator(Decimal("0"))]
    )
    # Who the supplier is and where it produces (docs/local-producers.md): its distance to
    # the hub and whether it is local are computed (catalogue.local), never stored.
    kind = models.CharField(
        "type",
        max_length=20,
        choices=SupplierKind.choices,
        default=SupplierKind.WHOLESALER,
        db_default=SupplierKind.WHOLESALER,
    )
    commune = models.CharField("commune", max_length=120, blank=True, default="", db_default="")
    latitude = models.DecimalField(
        "latitude",
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[validate_latitude],
    )
    longitude = models.DecimalField(
        "longitude",
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[validate_longitude],
    )
    # Codes of catalogue.labels.LABELS (AB, HVE, LABEL_ROUGE, AOP, IGP...).
    labels = models.JSONField(
        "labels", default=list, db_default=[], blank=True, validators=[validate_labels]
    )

    class Meta:
        db_table = "purchasing_supplier"
        verbose_name = "fournisseur"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_order_amount__gte=0) & Q(shipping_fee__gte=0),
                name="supplier_amounts_positive",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        place_check(self, "latitude", "longitude")


class Product(models.Model):
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="products", verbose_name="fournisseur"
    )
    sku = models.CharField("référence", max_length=64)
    name = models.CharField("désignation", max_length=200)
    unit_label = models.CharField("unité", max_length=40, default="unité")
    # A shelf's word (« Boissons », « Épicerie sucrée »): the order form filters by it.
    category = models.CharField("catégorie", max_length=60, blank=True, default="", db_default="")
    case_size = models.PositiveIntegerField(
        "unités par colis", default=1, validators=[MinValueValidator(1)]
    )
    unit_price = unit_price_field(
        "prix unitaire HT", validators=[MinValueValidator(Decimal("0.0001"))]
    )
    vat_rate = vat_rate_field()
    active = models.BooleanField("actif", default=True)
    # The product's own origin and labels, when they differ from its supplier's
    # (docs/local-producers.md: a product's labels are its own when it has any, else its
    # supplier's).
    origin = models.CharField("origine", max_length=120, blank=True, default="", db_default="")
    labels = models.JSONField(
        "labels", default=list, db_default=[], blank=True, validators=[validate_labels]
    )

    class Meta:
        db_table = "purchasing_product"
        verbose_name = "produit"
        ordering = ["supplier_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "sku"],
                name="product_sku_per_supplier",
                violation_error_message="Cette référence existe déjà chez ce fournisseur.",
            ),
            models.CheckConstraint(condition=Q(case_size__gte=1), name="product_case_size_min"),
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="product_price_positive"),
            models.CheckConstraint(
                condition=Q(vat_rate__in=[Decimal(v) for v, _ in VatRate.choices]),
                name="product_vat_rate_lawful",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.sku})"


class PriceTier(models.Model):
    """A volume price: from `min_cases` cases of the whole group, every unit costs less."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="price_tiers")
    min_cases = models.PositiveIntegerField(
        "à partir de (colis)", validators=[MinValueValidator(1)]
    )
    unit_price = unit_price_field(
        "prix unitaire HT", validators=[MinValueValidator(Decimal("0.0001"))]
    )

    class Meta:
        db_table = "purchasing_pricetier"
        verbose_name = "palier de prix"
        verbose_name_plural = "paliers de prix"
        ordering = ["product_id", "min_cases"]
        constraints = [
            models.UniqueConstraint(fields=["product", "min_cases"], name="tier_min_cases_unique"),
            models.CheckConstraint(condition=Q(min_cases__gte=1), name="tier_min_cases_min"),
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="tier_price_positive"),
        ]
