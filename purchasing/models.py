"""Pooled purchasing: rounds, orders, supplier orders, invoices."""

from types import SimpleNamespace

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from catalogue.models import (
    MAX_UNITS,
    Product,
    Supplier,
    money_field,
    unit_price_field,
    vat_rate_field,
)


class RoundSchedule(models.Model):
    """A weekly round of one supplier, opened by the beat sweep (docs/rounds.md): the
    deadline falls every `weekday` at `closes_at_time` (Paris), the round opens
    `opens_days_before` days before it (at midnight, Paris) and is delivered on the first
    `delivery_weekday` on or after the deadline's day."""

    WEEKDAYS = [
        (0, "lundi"),
        (1, "mardi"),
        (2, "mercredi"),
        (3, "jeudi"),
        (4, "vendredi"),
        (5, "samedi"),
        (6, "dimanche"),
    ]
    supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        related_name="round_schedules",
        verbose_name="fournisseur",
    )
    weekday = models.PositiveSmallIntegerField(
        "jour de la date limite", choices=WEEKDAYS, validators=[MaxValueValidator(6)]
    )
    closes_at_time = models.TimeField("heure de la date limite")
    delivery_weekday = models.PositiveSmallIntegerField(
        "jour de livraison", choices=WEEKDAYS, validators=[MaxValueValidator(6)]
    )
    opens_days_before = models.PositiveSmallIntegerField(
        "ouverture (jours avant la date limite)",
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
    )
    active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "tournée hebdomadaire"
        verbose_name_plural = "tournées hebdomadaires"
        ordering = ["supplier__name", "weekday", "closes_at_time", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__lte=6) & Q(delivery_weekday__lte=6),
                name="round_schedule_weekdays",
            ),
            models.CheckConstraint(
                condition=Q(opens_days_before__gte=1) & Q(opens_days_before__lte=28),
                name="round_schedule_opens_days_before",
            ),
        ]

    def __str__(self):
        return f"{self.supplier} — chaque {self.get_weekday_display()}"


class Round(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Ouverte"
        CONSOLIDATED = "consolidated", "Consolidée"
        RECEIVED = "received", "Reçue"
        INVOICED = "invoiced", "Facturée"
        CANCELLED = "cancelled", "Annulée"

    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="rounds", verbose_name="fournisseur"
    )
    opens_at = models.DateTimeField("ouverture")
    closes_at = models.DateTimeField("date limite")
    delivery_date = models.DateField("livraison prévue")
    status = models.CharField("statut", max_length=20, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Opened by a weekly schedule: the Monday (Paris) of its deadline's week. One round
    # per schedule and week, whoever opens it (docs/rounds.md).
    schedule = models.ForeignKey(
        RoundSchedule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rounds",
        verbose_name="tournée hebdomadaire",
    )
    schedule_week = models.DateField("semaine", null=True, blank=True)
    # The automatic reminder to the shops that have not ordered, 24 h before the
    # deadline: set by a conditional UPDATE, so it goes once even with two workers.
    reminder_sent_at = models.DateTimeField("relance automatique envoyée le", null=True, blank=True)

    # Where the supplier delivers (issue 17, docs/distribution.md): the cooperative's hub
    # (its address, a setting of the cooperative) or each shop at its own address.
    class Delivery(models.TextChoices):
        HUB = "hub", "À la plateforme de la coopérative"
        SHOPS = "shops", "Dans chaque commerce"

    delivery = models.CharField(
        "livraison",
        max_length=5,
        choices=Delivery.choices,
        default=Delivery.HUB,
        db_default=Delivery.HUB,
    )

    class Meta:
        verbose_name = "tournée de commande"
        verbose_name_plural = "tournées de commande"
        ordering = ["-closes_at", "-id"]
        indexes = [models.Index(fields=["status", "closes_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="round_closes_after_opening"
            ),
            models.UniqueConstraint(
                fields=["schedule", "schedule_week"], name="one_round_per_schedule_and_week"
            ),
        ]

    def __str__(self):
        return f"{self.supplier} — {self.closes_at:%d/%m/%Y}"

    def takes_orders(self, now) -> bool:
        """Open and before its deadline (it may not have opened yet: see opens_at). For a
        write, read `now` after taking the round's row lock."""
        return self.status == self.Status.OPEN and now < self.closes_at


class Order(models.Model):
    """One shop's order in one round (at most one: a unique constraint says so)."""

    round = models.ForeignKey(
        Round, on_delete=models.PROTECT, related_name="orders", verbose_name="tournée"
    )
    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.PROTECT, related_name="orders", verbose_name="commerce"
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "commande"
        ordering = ["round_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "shop"], name="one_order_per_shop_and_round"),
        ]

    def __str__(self):
        return f"{self.shop} / {self.round}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(
        "quantité", validators=[MinValueValidator(1), MaxValueValidator(MAX_UNITS)]
    )
    tolerance = models.PositiveIntegerField(
        "tolérance", default=0, validators=[MaxValueValidator(MAX_UNITS)]
    )

    class Meta:
        verbose_name = "ligne de commande"
        ordering = ["order_id", "product_id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="one_line_per_product"),
            models.CheckConstraint(
                condition=Q(quantity__gte=1) & Q(tolerance__gte=0), name="order_line_quantities"
            ),
        ]


class SupplierOrder(models.Model):
    """The consolidated order of a round: exactly one per round (the idempotency key)."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmée"
        NEEDS_REVIEW = "needs_review", "À valider"
        RECEIVED = "received", "Reçue"
        CANCELLED = "cancelled", "Annulée"

    round = models.OneToOneField(Round, on_delete=models.PROTECT, related_name="supplier_order")
    status = models.CharField("statut", max_length=20, choices=Status.choices)
    total_excl_vat = money_field("total HT")
    shipping = money_field("frais de port HT")
    warnings = models.JSONField("avertissements", default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    # The purchase order e-mailed to the supplier once confirmed (docs/rounds.md).
    sent_to_supplier_at = models.DateTimeField("envoyée au fournisseur le", null=True, blank=True)
    sent_to_email = models.EmailField("envoyée à", blank=True, default="", db_default="")

    class Meta:
        verbose_name = "commande fournisseur"
        verbose_name_plural = "commandes fournisseur"
        ordering = ["-id"]

    def __str__(self):
        return f"Commande fournisseur n°{self.pk} ({self.round})"


class SupplierOrderLine(models.Model):
    supplier_order = models.ForeignKey(
        SupplierOrder, on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    cases = models.PositiveIntegerField("colis")
    units = models.PositiveIntegerField("unités")
    unit_price = unit_price_field("prix unitaire groupé HT")
    base_unit_price = unit_price_field("prix unitaire de base HT")
    amount = money_field("montant HT")
    received_units = models.PositiveIntegerField("unités reçues", null=True, blank=True)

    class Meta:
        ordering = ["supplier_order_id", "product_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier_order", "product"], name="one_supplier_line_per_product"
            ),
            models.CheckConstraint(
                condition=Q(received_units__isnull=True) | Q(received_units__lte=models.F("units")),
                name="received_at_most_ordered",
            ),
        ]


class Allocation(models.Model):
    """What one shop's order line gets of a product: planned at consolidation, then received."""

    # The four references have no per-row foreign key in PostgreSQL: one check per
    # statement (triggers of migration 0015_allocation_statement_checks) proves that
    # (order, product) is a line of the order, that the order is the shop's and in the
    # supplier order's round, and refuses to delete or move what an allocation points at
    # (docs/consolidation.md, "How it stays fast"). The ORM behaves as before.
    # No index of its own: the unique (supplier_order, shop, product) index starts with it.
    supplier_order = models.ForeignKey(
        SupplierOrder,
        on_delete=models.CASCADE,
        related_name="allocations",
        db_index=False,
        db_constraint=False,
    )
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="allocations", db_constraint=False
    )
    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.PROTECT, related_name="allocations", db_constraint=False
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    rank = models.PositiveIntegerField("rang de la commande")
    quantity = models.PositiveIntegerField("quantité demandée")
    tolerance = models.PositiveIntegerField("tolérance")
    allocated = models.PositiveIntegerField("unités attribuées")
    received = models.PositiveIntegerField("unités reçues", null=True, blank=True)

    class Meta:
        ordering = ["supplier_order_id", "product_id", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier_order", "shop", "product"], name="one_allocation_per_shop_product"
            ),
            models.CheckConstraint(
                condition=Q(allocated__lte=models.F("quantity") + models.F("tolerance")),
                name="allocation_within_tolerance",
            ),
            models.CheckConstraint(
                condition=Q(received__isnull=True) | Q(received__lte=models.F("allocated")),
                name="allocation_received_at_most_allocated",
            ),
        ]


class InvoiceSequence(models.Model):
    """The last invoice number of a year: locked and moved in the invoice's transaction,
    so numbers have no gap (a rolled-back invoice rolls its number back too)."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)


def party_field(verbose_name, max_length):
    # A database default too: rows loaded by COPY (the benchmarks) without it still insert.
    return models.CharField(verbose_name, max_length=max_length, blank=True, db_default="")


class Invoice(models.Model):
    """The cooperative's invoice to one shop for one received round.

    Issued once and never changed: PostgreSQL refuses any update or delete of an invoice,
    its lines and its VAT lines (migration 0003_invoice_snapshot). The identities and
    addresses of both parties are kept as issued (the `seller_*` and `buyer_*` fields),
    so later changes of the shop or the cooperative never reach an issued invoice.
    """

    number = models.CharField("numéro", max_length=32, unique=True)
    year = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField()
    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.PROTECT, related_name="invoices", verbose_name="commerce"
    )
    round = models.ForeignKey(
        Round, on_delete=models.PROTECT, related_name="invoices", verbose_name="tournée"
    )
    supplier_order = models.ForeignKey(
        SupplierOrder, on_delete=models.PROTECT, related_name="invoices"
    )
    # A supplementary invoice (issue 16, docs/supplier-invoices.md): what the supplier
    # billed more than the shop was invoiced for, re-invoiced once the coordinator
    # accepted it; names the invoice of the round it adds to. Null for a round's invoice.
    supplements = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supplementary_invoices",
        verbose_name="complète la facture",
    )
    issued_on = models.DateField("émise le")
    goods_excl_vat = money_field("marchandises HT")
    shipping = money_field("quote-part de port HT")
    fee = money_field("frais de service HT")
    total_excl_vat = money_field("total HT")
    total_vat = money_field("TVA")
    total_incl_vat = money_field("total TTC")
    savings = money_field("économie de mutualisation")
    # issued_on + the cooperative's payment term at issue (docs/settlement.md).
    due_on = models.DateField("échéance")
    # What settles the invoice so far: the only columns PostgreSQL lets change once it is
    # issued (migration 0007), moved by purchasing.services.settlement under the invoice's
    # row lock; a check constraint keeps their sum within the total.
    amount_paid = money_field("payé", default=0, db_default=0)
    amount_credited = money_field("avoirs", default=0, db_default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # The parties as issued: the seller is the cooperative, the buyer the shop.
    seller_name = party_field("vendeur : nom", 200)
    seller_legal_name = party_field("vendeur : raison sociale", 200)
    seller_siret = party_field("vendeur : SIRET", 14)
    seller_address = party_field("vendeur : adresse", 300)
    seller_postcode = party_field("vendeur : code postal", 5)
    seller_commune = party_field("vendeur : commune", 120)
    buyer_name = party_field("client : nom", 200)
    buyer_legal_name = party_field("client : raison sociale", 200)
    buyer_siret = party_field("client : SIRET", 14)
    buyer_address = party_field("client : adresse", 300)
    buyer_postcode = party_field("client : code postal", 5)
    buyer_commune = party_field("client : commune", 120)
    # Issue 15 (docs/e-invoicing.md, "Identities"): the rest of what a Factur-X invoice
    # says of the parties and of the payment, as at issue. Each column has a database
    # default: the benchmarks load invoices by COPY without them.
    seller_vat_number = party_field("vendeur : n° de TVA", 20)
    seller_legal_form = party_field("vendeur : forme juridique", 60)
    seller_share_capital = models.DecimalField(
        "vendeur : capital social", max_digits=14, decimal_places=2, null=True, blank=True
    )
    seller_rcs = party_field("vendeur : RCS", 80)
    seller_iban = party_field("vendeur : IBAN", 34)
    seller_bic = party_field("vendeur : BIC", 11)
    seller_creditor_id = party_field("vendeur : identifiant de créancier SEPA", 35)
    seller_vat_on_debits = models.BooleanField(
        "vendeur : TVA sur les débits", default=False, db_default=False
    )
    buyer_vat_number = party_field("client : n° de TVA", 20)

    class PaymentMeans(models.TextChoices):
        TRANSFER = "transfer", "Virement SEPA"
        DIRECT_DEBIT = "direct_debit", "Prélèvement SEPA"

    # Direct debit when the shop had a mandate at issue (payments answers through
    # purchasing.hooks.invoice_mandates), with the mandate's reference (RUM).
    payment_means = models.CharField(
        "moyen de paiement",
        max_length=12,
        choices=PaymentMeans.choices,
        default=PaymentMeans.TRANSFER,
        db_default=PaymentMeans.TRANSFER,
    )
    mandate_reference = party_field("référence du mandat (RUM)", 35)

    PARTY_FIELDS = ("name", "legal_name", "siret", "address", "postcode", "commune")
    # Snapshot field -> the cooperative's attribute it is taken from.
    SELLER_FIELDS = {
        **{field: field for field in PARTY_FIELDS},
        "vat_number": "effective_vat_number",
        "legal_form": "legal_form",
        "share_capital": "share_capital",
        "rcs": "rcs",
        "iban": "iban",
        "bic": "bic",
        "creditor_id": "sepa_creditor_id",
        "vat_on_debits": "vat_on_debits",
    }
    BUYER_FIELDS = {**{field: field for field in PARTY_FIELDS}, "vat_number": "vat_number"}

    class Meta:
        verbose_name = "facture"
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="invoice_number_per_year"),
            models.UniqueConstraint(
                fields=["supplier_order", "shop"],
                condition=Q(supplements__isnull=True),
                name="one_invoice_per_shop_and_supplier_order",
            ),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0)
                & Q(amount_credited__gte=0)
                & Q(total_incl_vat__gte=models.F("amount_paid") + models.F("amount_credited")),
                name="invoice_settled_within_total",
            ),
        ]
        indexes = [models.Index(fields=["shop", "due_on"])]

    def __str__(self):
        return self.number

    @classmethod
    def parties(cls, *, seller, buyer, mandate_reference: str = "") -> dict:
        """The snapshot fields of an invoice from the cooperative and the shop as they are
        now (at issue, or for the data migration), and its payment means: direct debit
        when `mandate_reference` (the shop's mandate at issue) is given."""
        values = {}
        for side, party, fields in (
            ("seller", seller, cls.SELLER_FIELDS),
            ("buyer", buyer, cls.BUYER_FIELDS),
        ):
            for field, source in fields.items():
                value = getattr(party, source)
                # Text blank rather than None; the capital (None: not stated) and the
                # VAT-on-debits option keep their type.
                values[f"{side}_{field}"] = (
                    "" if value is None and field != "share_capital" else value
                )
        values["payment_means"] = (
            cls.PaymentMeans.DIRECT_DEBIT if mandate_reference else cls.PaymentMeans.TRANSFER
        )
        values["mandate_reference"] = mandate_reference or ""
        return values

    @property
    def amount_due(self):
        return self.total_incl_vat - self.amount_paid - self.amount_credited

    def status_on(self, today) -> str:
        """`open`, `partially_paid`, `paid`, `overdue` or `credited` on `today`
        (docs/settlement.md)."""
        from .rules import invoice_status

        return invoice_status(
            total=self.total_incl_vat,
            paid=self.amount_paid,
            credited=self.amount_credited,
            due_on=self.due_on,
            today=today,
        )

    def party(self, side: str) -> SimpleNamespace:
        """The seller or the buyer ("seller" | "buyer") as issued: name, legal_name,
        siret, address, postcode, commune, vat_number; the seller also legal_form,
        share_capital, rcs, iban, bic, creditor_id, vat_on_debits. (The payment means
        are the invoice's own: `payment_means`, `mandate_reference`.)"""
        fields = self.SELLER_FIELDS if side == "seller" else self.BUYER_FIELDS
        return SimpleNamespace(**{field: getattr(self, f"{side}_{field}") for field in fields})


class InvoiceLine(models.Model):
    class Kind(models.TextChoices):
        GOODS = "goods", "Marchandises"
        SHIPPING = "shipping", "Port"
        FEE = "fee", "Frais de service"

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    label = models.CharField(max_length=200)
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = models.PositiveIntegerField()
    unit_price = unit_price_field("prix unitaire HT")
    amount = money_field("montant HT")
    vat_rate = vat_rate_field()
    base_unit_price = unit_price_field("prix de base HT", null=True, blank=True)

    class Meta:
        ordering = ["invoice_id", "position"]


class InvoiceVat(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="vat_lines")
    rate = vat_rate_field()
    base = money_field("base HT")
    amount = money_field("TVA")

    class Meta:
        ordering = ["invoice_id", "rate"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "rate"], name="one_vat_line_per_rate"),
        ]


class CreditNoteSequence(models.Model):
    """The last credit note number of a year (series MACHE-AV-YYYY-NNNNNN), locked and
    moved in the credit note's transaction: no gap."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)


class CreditNote(models.Model):
    """An avoir: cancels all or part of one invoice (docs/credit-notes.md).

    Issued once and never changed, like invoices (PostgreSQL refuses updates and deletes,
    migration 0007). `applied` is what it took off its invoice's amount due; the rest
    (the invoice was already paid) is a credit of the shop (419100), used by the next
    invoices.
    """

    number = models.CharField("numéro", max_length=32, unique=True)
    year = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField()
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="credit_notes", verbose_name="facture"
    )
    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.PROTECT, related_name="credit_notes", verbose_name="commerce"
    )
    issued_on = models.DateField("émis le")
    reason = models.CharField("motif", max_length=300)
    total_excl_vat = money_field("total HT")
    total_vat = money_field("TVA")
    total_incl_vat = money_field("total TTC")
    applied = money_field("imputé sur la facture")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "avoir"
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "sequence"], name="credit_note_number_per_year"
            ),
            models.CheckConstraint(
                condition=Q(total_incl_vat__gt=0)
                & Q(applied__gte=0)
                & Q(applied__lte=models.F("total_incl_vat")),
                name="credit_note_positive_applied_within",
            ),
        ]

    def __str__(self):
        return self.number


class CreditNoteLine(models.Model):
    """Units of an invoice line taken back (at its unit price and VAT rate), or an amount
    at a VAT rate (`invoice_line` empty: a shipping share, a fee)."""

    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    invoice_line = models.ForeignKey(
        InvoiceLine, on_delete=models.PROTECT, null=True, blank=True, related_name="credited"
    )
    kind = models.CharField(max_length=10, choices=InvoiceLine.Kind.choices)
    label = models.CharField(max_length=200)
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = models.PositiveIntegerField(null=True, blank=True)
    unit_price = unit_price_field("prix unitaire HT", null=True, blank=True)
    amount = money_field("montant HT")
    vat_rate = vat_rate_field()
    return_to_supplier = models.BooleanField("renvoyé au fournisseur", default=False)

    class Meta:
        ordering = ["credit_note_id", "position"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_note_line_positive"),
            models.CheckConstraint(
                condition=Q(invoice_line__isnull=True) | Q(quantity__gt=0),
                name="credit_note_line_units",
            ),
        ]


class CreditNoteVat(models.Model):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="vat_lines")
    rate = vat_rate_field()
    base = money_field("base HT")
    amount = money_field("TVA")

    class Meta:
        ordering = ["credit_note_id", "rate"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_note", "rate"], name="one_credit_note_vat_per_rate"
            ),
        ]


class InvoiceSettlement(models.Model):
    """Money taken off an invoice's amount due: a payment's allocation, a credit note, or
    the shop's credit (an earlier overpayment) used (docs/settlement.md,
    "Settlements"). `line` is its 411000 line in the cooperative's books, lettered with the
    invoice's when the invoice is settled. Cancelled (a cheque returned), it stays with
    `cancelled_at` and no longer counts."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Règlement"
        CREDIT_NOTE = "credit_note", "Avoir"
        CREDIT = "credit", "Avoir ou trop-perçu utilisé"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="settlements")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount = money_field("montant")
    date = models.DateField("date")
    line = models.ForeignKey(
        "accounting.EntryLine", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    credit_note = models.ForeignKey(
        CreditNote, on_delete=models.PROTECT, null=True, blank=True, related_name="settlements"
    )
    # The entry that moved the shop's credit (419100 -> 411000) for a `credit` settlement.
    entry = models.ForeignKey(
        "accounting.Entry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["invoice_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="settlement_positive"),
        ]


class EInvoiceEvent(models.Model):
    """One step of an invoice's or a credit note's e-invoicing lifecycle, as the platform
    reported it (docs/e-invoicing.md, "Lifecycle and the platform"): `deposited` (handed
    to the platform), `rejected` (by the platform), `refused` (by the buyer), `approved`.
    Rows are only added: the document's current status is its latest event, `issued`
    when it has none, `paid` when the money says so (purchasing.einvoice_rules).
    Documents themselves never change (migration 0008), hence a table of their own.

    `source` says where the event came from and makes recording it idempotent: a deposit
    (`deposit:invoice:12`), a status file of the inbox (its name and digest)."""

    class Status(models.TextChoices):
        DEPOSITED = "deposited", "Déposé"
        REJECTED = "rejected", "Rejeté par la plateforme"
        REFUSED = "refused", "Refusé par le commerce"
        APPROVED = "approved", "Approuvé"

    # Indexed by the (document, at, id) indexes below, which the latest event reads.
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="einvoice_events",
        db_index=False,
    )
    credit_note = models.ForeignKey(
        CreditNote,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="einvoice_events",
        db_index=False,
    )
    status = models.CharField("statut", max_length=10, choices=Status.choices)
    at = models.DateTimeField("le")
    # The platform's reference of a deposit, or the reason of a rejection or refusal.
    detail = models.CharField("détail", max_length=500, blank=True, db_default="")
    source = models.CharField("origine", max_length=300, unique=True)

    class Meta:
        verbose_name = "statut de facture électronique"
        verbose_name_plural = "statuts de factures électroniques"
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(invoice__isnull=False) & Q(credit_note__isnull=True))
                | (Q(invoice__isnull=True) & Q(credit_note__isnull=False)),
                name="einvoice_event_one_document",
            ),
        ]
        indexes = [
            models.Index(fields=["invoice", "at", "id"], name="einvoice_event_invoice"),
            models.Index(fields=["credit_note", "at", "id"], name="einvoice_event_credit_note"),
        ]

    def __str__(self):
        return f"{self.invoice_id or self.credit_note_id} {self.status}"


class SupplierInvoice(models.Model):
    """An e-invoice received from a supplier (issue 16, docs/supplier-invoices.md): the
    file kept as received, its EN 16931 fields as read, the supplier order it was matched
    to and the differences found against the order and its receipt.

    `matched` / `discrepancies` until the coordinator approves it (the cooperative's
    purchase is then posted from it, and the differences settled with the shops) or
    rejects it (`reason`, e-mail to the supplier). One per supplier and number."""

    class Status(models.TextChoices):
        MATCHED = "matched", "Rapprochée"
        DISCREPANCIES = "discrepancies", "Écarts à examiner"
        APPROVED = "approved", "Approuvée"
        REJECTED = "rejected", "Rejetée"

    class Format(models.TextChoices):
        FACTURX = "facturx", "Factur-X / ZUGFeRD (PDF)"
        CII = "cii", "CII (XML)"
        UBL = "ubl", "UBL 2.1 (XML)"

    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="invoices", verbose_name="fournisseur"
    )
    number = models.CharField("numéro", max_length=100)  # BT-1
    type_code = models.CharField("type", max_length=3, default="380")  # BT-3
    issued_on = models.DateField("émise le")  # BT-2
    due_on = models.DateField("échéance", null=True, blank=True)  # BT-9
    delivery_date = models.DateField("livrée le", null=True, blank=True)  # BT-72
    order_reference = models.CharField(
        "référence de commande", max_length=100, blank=True, default=""
    )  # BT-13
    supplier_order = models.ForeignKey(
        SupplierOrder,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supplier_invoices",
        verbose_name="commande fournisseur",
    )
    total_excl_vat = money_field("total HT")  # BT-109
    total_vat = money_field("TVA")  # BT-110
    total_incl_vat = money_field("total TTC")  # BT-112
    # What is left to pay (BT-115: BT-112 less what was prepaid, BT-113, plus the rounding,
    # BT-114): what a transfer pays (docs/sepa.md, "Paying suppliers").
    amount_due = money_field("net à payer", null=True, blank=True)
    shipping = money_field("port HT", default=0)  # document-level charges (BG-21)
    status = models.CharField("statut", max_length=14, choices=Status.choices)
    # [{"product", "field", "expected", "invoiced"}], as the API gives them.
    differences = models.JSONField("écarts", default=list, blank=True)
    format = models.CharField("format", max_length=8, choices=Format.choices)
    file_name = models.CharField("fichier", max_length=255)
    # The file exactly as received, and its SHA-256.
    original = models.BinaryField("fichier reçu")
    sha256 = models.CharField(max_length=64)
    # Where it came from: "upload", "api", or "platform:<file name>".
    source = models.CharField("origine", max_length=300)
    received_at = models.DateTimeField("reçue le", auto_now_add=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField("décidée le", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField("motif du rejet", max_length=500, blank=True, default="")
    # The rejection e-mailed to the supplier: set with it, so that a task run again sends
    # nothing (purchasing.services.notifications.supplier_invoice_rejected).
    rejection_sent_at = models.DateTimeField("rejet envoyé le", null=True, blank=True)
    # The ACH entry posted from the invoice at approval.
    entry = models.ForeignKey(
        "accounting.Entry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "facture fournisseur"
        verbose_name_plural = "factures fournisseurs"
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "number"], name="one_supplier_invoice_per_number"
            ),
        ]

    def __str__(self):
        return f"{self.number} ({self.supplier_id})"


class SupplierInvoiceLine(models.Model):
    """One line of a received invoice (BG-25) as read, and the product it was matched
    to (by the supplier's SKU, BT-155, or the buyer's item id, BT-156)."""

    invoice = models.ForeignKey(SupplierInvoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    line_id = models.CharField(max_length=100, blank=True, default="")  # BT-126
    name = models.CharField("désignation", max_length=300)  # BT-153
    seller_item_id = models.CharField(max_length=100, blank=True, default="")  # BT-155
    buyer_item_id = models.CharField(max_length=100, blank=True, default="")  # BT-156
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = models.DecimalField("quantité", max_digits=14, decimal_places=4)  # BT-129
    unit_code = models.CharField(max_length=10, blank=True, default="")  # BT-130
    net_unit_price = models.DecimalField(
        "prix unitaire net", max_digits=16, decimal_places=6
    )  # BT-146 / BT-149
    amount = money_field("montant HT")  # BT-131
    vat_category = models.CharField(max_length=3, blank=True, default="S")  # BT-151
    vat_rate = models.DecimalField("taux de TVA", max_digits=5, decimal_places=2)  # BT-152

    class Meta:
        ordering = ["invoice_id", "position"]


class SupplierInvoiceVat(models.Model):
    """The VAT breakdown of a received invoice (BG-23), per category and rate."""

    invoice = models.ForeignKey(SupplierInvoice, on_delete=models.CASCADE, related_name="vat_lines")
    category = models.CharField(max_length=3, default="S")  # BT-118
    rate = models.DecimalField("taux", max_digits=5, decimal_places=2)  # BT-119
    base = money_field("base HT")  # BT-116
    amount = money_field("TVA")  # BT-117

    class Meta:
        ordering = ["invoice_id", "rate"]
