"""Money after the invoice (docs/settlement.md): payments of the shops, SEPA mandates and
direct-debit batches, credit transfers to suppliers, bank statements and their lines,
payment reminders.

What a payment does to an invoice is an `purchasing.InvoiceSettlement` (the invoice's
own record of what settles it); a payment here keeps its entries and its allocations.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from catalogue.models import money_field
from mache.validators import validate_bic, validate_iban


class Payment(models.Model):
    """Money received from a shop (docs/settlement.md, "Payments").

    Posted in both books when recorded (`entry`: the cooperative's BQ entry, `shop_entry`:
    the shop's); `unallocated` is what no invoice took, kept as the shop's credit
    (419100). Cancelled (a cheque returned, a direct debit rejected), its entries are
    reversed (`cancel_entry`, `shop_cancel_entry`) and it stays, with `cancelled_at`.
    """

    class Method(models.TextChoices):
        TRANSFER = "transfer", "Virement"
        CHEQUE = "cheque", "Chèque"
        CASH = "cash", "Espèces"
        DIRECT_DEBIT = "direct_debit", "Prélèvement"
        CARD = "card", "Carte bancaire"

    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.PROTECT, related_name="payments", verbose_name="commerce"
    )
    date = models.DateField("date")
    amount = money_field("montant")
    method = models.CharField("mode", max_length=12, choices=Method.choices)
    reference = models.CharField("référence", max_length=140, blank=True, default="")
    unallocated = money_field("non imputé", default=0)
    entry = models.ForeignKey(
        "accounting.Entry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    shop_entry = models.ForeignKey(
        "accounting.Entry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField("annulé le", null=True, blank=True)
    cancel_reason = models.CharField("motif d'annulation", max_length=200, blank=True, default="")
    cancel_entry = models.ForeignKey(
        "accounting.Entry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    shop_cancel_entry = models.ForeignKey(
        "accounting.Entry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "règlement"
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["shop", "date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0)
                & Q(unallocated__gte=0)
                & Q(unallocated__lte=models.F("amount")),
                name="payment_positive_unallocated_within",
            ),
        ]

    def __str__(self):
        return f"Règlement {self.pk} de {self.amount} €"


class PaymentAllocation(models.Model):
    """The part of a payment that settled one invoice."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    settlement = models.OneToOneField(
        "purchasing.InvoiceSettlement", on_delete=models.PROTECT, related_name="allocation"
    )

    class Meta:
        ordering = ["payment_id", "id"]


class Mandate(models.Model):
    """A shop's SEPA direct-debit mandate (docs/sepa.md): one per
    shop. The IBAN is kept as given (checked by schwifty) and shown masked to anyone but
    a coordinator. `first_collected_on` set: the next collections are `RCUR`."""

    class Scheme(models.TextChoices):
        B2B = "B2B", "B2B (entre professionnels)"
        CORE = "CORE", "CORE"

    shop = models.OneToOneField(
        "shops.Shop", on_delete=models.PROTECT, related_name="mandate", verbose_name="commerce"
    )
    reference = models.CharField(
        "référence unique de mandat (RUM)",
        max_length=35,
        unique=True,
        error_messages={"unique": "Un autre mandat porte déjà cette référence."},
    )
    signed_on = models.DateField("signé le")
    iban = models.CharField("IBAN", max_length=34, validators=[validate_iban])
    bic = models.CharField("BIC", max_length=11, validators=[validate_bic])
    scheme = models.CharField("type", max_length=4, choices=Scheme.choices, default=Scheme.B2B)
    # Days between the pre-notification and the collection; none: 2 (B2B) or 14 (CORE).
    prenotification_days = models.PositiveSmallIntegerField(
        "préavis (jours)", null=True, blank=True
    )
    first_collected_on = models.DateField("premier prélèvement le", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "mandat de prélèvement"
        constraints = [
            models.CheckConstraint(
                condition=Q(reference__regex=r"^[A-Za-z0-9+?/:().,' -]{1,35}$"),
                name="mandate_reference_sepa_charset",
            ),
        ]

    def __str__(self):
        return self.reference


class DirectDebitBatch(models.Model):
    """A SEPA direct-debit batch (pain.008.001.02): one collection date, one transaction
    per shop."""

    class Status(models.TextChoices):
        PREPARED = "prepared", "Préparé"
        SENT = "sent", "Envoyé"
        SETTLED = "settled", "Réglé"

    collection_date = models.DateField("date de prélèvement")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PREPARED)
    message_id = models.CharField(max_length=35, unique=True)
    count = models.PositiveIntegerField(default=0)
    total = money_field("total", default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "lot de prélèvements"
        ordering = ["-collection_date", "-id"]

    def __str__(self):
        return self.message_id


class DirectDebitItem(models.Model):
    """One shop's transaction in a batch: the sum of its invoices. Settled from the bank
    statement (it becomes `payment`); a rejection (R-transaction) cancels that payment."""

    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        SETTLED = "settled", "Réglé"
        REJECTED = "rejected", "Rejeté"

    batch = models.ForeignKey(DirectDebitBatch, on_delete=models.CASCADE, related_name="items")
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="items")
    amount = money_field("montant")
    sequence_type = models.CharField(max_length=4)  # FRST | RCUR
    end_to_end_id = models.CharField(max_length=35, unique=True)
    invoices = models.ManyToManyField("purchasing.Invoice", related_name="direct_debit_items")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="direct_debit_item"
    )
    return_reason = models.CharField("motif de rejet", max_length=4, blank=True, default="")
    prenotified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "shop"], name="one_item_per_shop_and_batch"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="direct_debit_item_positive"),
        ]


class CreditTransferBatch(models.Model):
    """A batch of SEPA credit transfers to suppliers (pain.001.001.03)."""

    class Status(models.TextChoices):
        PREPARED = "prepared", "Préparé"
        SENT = "sent", "Envoyé"
        SETTLED = "settled", "Réglé"

    execution_date = models.DateField("date d'exécution")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PREPARED)
    message_id = models.CharField(max_length=35, unique=True)
    count = models.PositiveIntegerField(default=0)
    total = money_field("total", default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "lot de virements"
        ordering = ["-execution_date", "-id"]


class CreditTransferItem(models.Model):
    """One transfer to a supplier for a received supplier order (until supplier
    e-invoices land, the supplier order stands for the supplier's invoice)."""

    batch = models.ForeignKey(CreditTransferBatch, on_delete=models.CASCADE, related_name="items")
    supplier = models.ForeignKey("catalogue.Supplier", on_delete=models.PROTECT, related_name="+")
    # What the transfer pays: an approved supplier invoice (issue 16). Transfers made
    # before supplier invoices existed paid a received supplier order instead.
    supplier_invoice = models.ForeignKey(
        "purchasing.SupplierInvoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_transfers",
    )
    supplier_order = models.ForeignKey(
        "purchasing.SupplierOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_transfers",
    )
    amount = money_field("montant")
    iban = models.CharField(max_length=34)
    bic = models.CharField(max_length=11)
    end_to_end_id = models.CharField(max_length=35, unique=True)
    # The BQ entry (debit 401000 aux supplier, credit 512000), posted when the bank
    # statement shows the transfer.
    entry = models.ForeignKey(
        "accounting.Entry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["batch_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_transfer_positive"),
            models.CheckConstraint(
                condition=Q(supplier_invoice__isnull=False) | Q(supplier_order__isnull=False),
                name="credit_transfer_pays_something",
            ),
        ]


class BankStatement(models.Model):
    """An imported bank statement (CAMT.053 or CFONB 120): recognised by its account,
    dates and statement id, so that one imported twice is refused."""

    class Format(models.TextChoices):
        CAMT053 = "camt053", "CAMT.053"
        CFONB120 = "cfonb120", "CFONB 120"

    account_iban = models.CharField(max_length=34)
    statement_id = models.CharField(max_length=35)
    from_date = models.DateField("du")
    to_date = models.DateField("au")
    format = models.CharField(max_length=8, choices=Format.choices)
    file_sha256 = models.CharField(max_length=64)
    file_name = models.CharField(max_length=200, blank=True, default="")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "relevé bancaire"
        ordering = ["-to_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account_iban", "statement_id", "from_date", "to_date"],
                name="bank_statement_once",
            ),
        ]


class BankLine(models.Model):
    """One booked line of a statement. Credits are matched to payments (automatically or
    by hand); a returned direct debit (R-transaction) cancels the payment it hits."""

    class Status(models.TextChoices):
        MATCHED = "matched", "Rapprochée"
        UNMATCHED = "unmatched", "À rapprocher"
        IGNORED = "ignored", "Ignorée"

    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    booked_on = models.DateField("date")
    value_on = models.DateField("date de valeur", null=True, blank=True)
    # Signed: positive for a credit (money in), negative for a debit.
    amount = money_field("montant")
    text = models.CharField("libellé", max_length=500, blank=True, default="")
    end_to_end_id = models.CharField(max_length=35, blank=True, default="")
    mandate_reference = models.CharField(max_length=35, blank=True, default="")
    batch_reference = models.CharField(max_length=35, blank=True, default="")
    return_reason = models.CharField(max_length=4, blank=True, default="")
    counterparty = models.CharField(max_length=140, blank=True, default="")
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.UNMATCHED)
    payments = models.ManyToManyField(Payment, blank=True, related_name="bank_lines")
    direct_debit_batch = models.ForeignKey(
        DirectDebitBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    credit_transfer_batch = models.ForeignKey(
        CreditTransferBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    matched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "ligne de relevé"
        ordering = ["statement_id", "position"]
        indexes = [models.Index(fields=["status"])]
        constraints = [
            models.UniqueConstraint(fields=["statement", "position"], name="bank_line_position"),
        ]


class PaymentReminder(models.Model):
    """A reminder e-mailed for an overdue invoice: one per invoice and level (7 and 21
    days after the due date by default), never two."""

    invoice = models.ForeignKey("purchasing.Invoice", on_delete=models.PROTECT, related_name="+")
    days_overdue = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "relance"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "days_overdue"], name="one_reminder_per_invoice_and_level"
            ),
        ]
