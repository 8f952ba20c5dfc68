"""Double-entry books: one ledger per shop and one for the cooperative (docs/postings.md).

Invariants held by PostgreSQL itself (migration 0002): an entry balances and has two
lines at least (a deferred constraint trigger, checked at commit); a line has one side,
not negative (check constraints); posted entries and lines are never updated or
deleted (triggers). Numbers are gap-free per ledger, journal and fiscal year: they
come from a counter row locked in the posting transaction.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from . import accounts


def amount_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)


class Ledger(models.Model):
    class Kind(models.TextChoices):
        SHOP = "shop", "Commerce"
        COOPERATIVE = "cooperative", "Coopérative"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    shop = models.OneToOneField(
        "shops.Shop", on_delete=models.PROTECT, null=True, blank=True, related_name="ledger"
    )
    # The PCG names no single account for the cooperative's fee: a setting of the ledger.
    fee_account = models.CharField(
        "compte des frais de coopérative", max_length=8, default=accounts.INTERMEDIARIES
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "livre comptable"
        verbose_name_plural = "livres comptables"
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="shop") & Q(shop__isnull=False))
                | (Q(kind="cooperative") & Q(shop__isnull=True)),
                name="ledger_kind_matches_shop",
            ),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(kind="cooperative"), name="one_cooperative_ledger"
            ),
        ]

    def __str__(self):
        return f"Livre de {self.shop}" if self.shop_id else "Livre de la coopérative"


class Account(models.Model):
    class Kind(models.TextChoices):
        ASSET = "asset", "Actif"
        LIABILITY = "liability", "Passif"
        EQUITY = "equity", "Capitaux"
        INCOME = "income", "Produit"
        EXPENSE = "expense", "Charge"

    ledger = models.ForeignKey(Ledger, on_delete=models.PROTECT, related_name="accounts")
    number = models.CharField("numéro", max_length=8)
    label = models.CharField("intitulé", max_length=120)
    kind = models.CharField(max_length=10, choices=Kind.choices)

    class Meta:
        verbose_name = "compte"
        ordering = ["ledger_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["ledger", "number"], name="account_number_per_ledger"),
            models.CheckConstraint(
                condition=Q(number__regex=r"^[1-8][0-9]{2}[0-9]{0,5}$"), name="account_number_pcg"
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.label}"


class AuxiliaryAccount(models.Model):
    """A third party under a collective account (401000 suppliers, 411000 clients)."""

    ledger = models.ForeignKey(Ledger, on_delete=models.PROTECT, related_name="auxiliaries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="auxiliaries")
    code = models.CharField(max_length=17)
    label = models.CharField(max_length=120)

    class Meta:
        ordering = ["ledger_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["ledger", "code"], name="aux_code_per_ledger"),
        ]

    def __str__(self):
        return f"{self.code} {self.label}"


class Journal(models.Model):
    ledger = models.ForeignKey(Ledger, on_delete=models.PROTECT, related_name="journals")
    code = models.CharField(max_length=3)
    label = models.CharField(max_length=60)

    class Meta:
        ordering = ["ledger_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["ledger", "code"], name="journal_code_per_ledger"),
        ]

    def __str__(self):
        return f"{self.code} {self.label}"


class EntrySequence(models.Model):
    """Last entry number of a ledger's journal in a fiscal year (locked while posting)."""

    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["journal", "fiscal_year"], name="one_sequence_per_journal_year"
            ),
        ]


class Entry(models.Model):
    ledger = models.ForeignKey(Ledger, on_delete=models.PROTECT, related_name="entries")
    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="entries")
    fiscal_year = models.PositiveIntegerField()
    number = models.PositiveIntegerField()
    date = models.DateField("date")
    label = models.CharField("libellé", max_length=200)
    piece_ref = models.CharField("pièce", max_length=60)
    piece_date = models.DateField("date de pièce")
    # The automatic posting's source document: never posted twice (unique key).
    # NULL for manual entries: the unique key then ignores them (an empty string would not).
    source = models.CharField(max_length=80, null=True, blank=True)  # noqa: DJ001
    reversal_of = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    posted_at = models.DateTimeField("validée le")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "écriture"
        ordering = ["ledger_id", "date", "journal_id", "number"]
        indexes = [models.Index(fields=["ledger", "date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["journal", "fiscal_year", "number"], name="entry_number_unique"
            ),
            models.UniqueConstraint(fields=["ledger", "source"], name="entry_source_once"),
        ]

    def __str__(self):
        return f"{self.journal.code}-{self.fiscal_year}-{self.number:06d}"

    @property
    def reference(self) -> str:
        return f"{self.journal.code}-{self.fiscal_year}-{self.number:06d}"


class EntryLine(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="lines")
    # Denormalised from the entry so that statements aggregate lines without a join.
    ledger = models.ForeignKey(Ledger, on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    auxiliary = models.ForeignKey(
        AuxiliaryAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="lines"
    )
    label = models.CharField(max_length=200)
    debit = amount_field("débit", default=0)
    credit = amount_field("crédit", default=0)
    # The VAT rate a base or a tax line belongs to (the VAT statement groups by it).
    vat_rate = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["entry_id", "id"]
        indexes = [
            models.Index(fields=["ledger", "account", "date"]),
            models.Index(fields=["ledger", "date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(debit__gte=0) & Q(credit__gte=0), name="line_amounts_not_negative"
            ),
            models.CheckConstraint(
                condition=(Q(debit=0) & Q(credit__gt=0)) | (Q(credit=0) & Q(debit__gt=0)),
                name="line_one_side_only",
            ),
        ]


class ClosedPeriod(models.Model):
    """A month of a ledger that accepts no entry any more."""

    ledger = models.ForeignKey(Ledger, on_delete=models.PROTECT, related_name="closed_periods")
    month = models.DateField("mois")  # the first day of the month
    closed_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["ledger_id", "month"]
        constraints = [
            models.UniqueConstraint(fields=["ledger", "month"], name="period_closed_once"),
            models.CheckConstraint(condition=Q(month__day=1), name="period_is_a_month"),
        ]


class SalesDay(models.Model):
    """A shop's daily till summary (Z ticket), posted to its books when recorded."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="sales_days")
    date = models.DateField("date")
    # How the day's sales were paid; they add up to the lines' total (the service checks).
    cash = amount_field("espèces")
    card = amount_field("carte bancaire")
    other = amount_field("autres règlements")
    # The number of sales the till counted that day (B2C e-reporting, docs/e-reporting.md);
    # null for a ticket recorded without it.
    transactions = models.PositiveIntegerField("nombre de ventes", null=True, blank=True)
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="sales_day")
    # The reversal of the ticket's entry: set with it (accounting.services.entry_reverse),
    # the ticket then no longer stands and its day takes a new ticket.
    reversed_by = models.OneToOneField(
        Entry, on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_sales_day"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "ticket Z"
        verbose_name_plural = "tickets Z"
        ordering = ["shop_id", "date"]
        constraints = [
            # One standing ticket per shop and day; reversed ones are kept beside it.
            models.UniqueConstraint(
                fields=["shop", "date"],
                condition=Q(reversed_by__isnull=True),
                name="one_sales_day_per_shop",
            ),
            models.CheckConstraint(
                condition=Q(cash__gte=0) & Q(card__gte=0) & Q(other__gte=0),
                name="sales_day_payments_not_negative",
            ),
        ]

    def __str__(self):
        return f"Ticket Z du {self.date:%d/%m/%Y} ({self.shop})"

    @property
    def stands(self) -> bool:
        return self.reversed_by_id is None

    @property
    def total_incl_vat(self):
        return self.cash + self.card + self.other


class SalesDayLine(models.Model):
    """The day's sales at one VAT rate, VAT included, as the till prints them."""

    sales_day = models.ForeignKey(SalesDay, on_delete=models.CASCADE, related_name="lines")
    vat_rate = models.DecimalField("taux de TVA", max_digits=4, decimal_places=2)
    amount_incl_vat = amount_field("montant TTC")

    class Meta:
        ordering = ["sales_day_id", "vat_rate"]
        constraints = [
            models.UniqueConstraint(
                fields=["sales_day", "vat_rate"], name="one_sales_line_per_rate"
            ),
            models.CheckConstraint(
                condition=Q(amount_incl_vat__gte=0), name="sales_line_not_negative"
            ),
        ]


class FiscalYear(models.Model):
    """A fiscal year (exercice) of a ledger (docs/fiscal-years.md): calendar by default,
    any closing date at a month's end, a first year up to 24 months long. Its entries
    carry `Entry.fiscal_year` = the year of its `end` (an exercice is named by its
    closing). Closed (`fiscal_year_close`), it accepts no entry, by the posting engine
    and by PostgreSQL (migration 0005); `opening_entry` is the AN entry of the next year
    its closing stored."""

    class Status(models.TextChoices):
        OPEN = "open", "Ouvert"
        CLOSED = "closed", "Clôturé"

    ledger = models.ForeignKey(Ledger, on_delete=models.PROTECT, related_name="fiscal_years")
    start = models.DateField("début")
    end = models.DateField("clôture")
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField("clôturé le", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opening_entry = models.OneToOneField(
        Entry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "exercice"
        ordering = ["ledger_id", "start"]
        constraints = [
            models.UniqueConstraint(fields=["ledger", "start"], name="fiscal_year_start_once"),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="fiscal_year_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(closed_at__isnull=False),
                name="fiscal_year_closed_has_date",
            ),
        ]

    def __str__(self):
        return f"Exercice {self.start:%d/%m/%Y} – {self.end:%d/%m/%Y}"

    @property
    def name(self) -> int:
        return self.end.year


class Lettering(models.Model):
    """A letter (lettrage): lines of one auxiliary account that balance to zero, matched
    together (docs/lettering.md). Codes run `AA`, `AB`, ... `ZZ`,
    `AAA` ... per auxiliary account and are never reused: a removed letter keeps its row
    (with `removed_at`) so that its code stays taken. Lines are never changed (they are
    posted): the match lives in `LetteredLine`."""

    ledger = models.ForeignKey(Ledger, on_delete=models.PROTECT, related_name="+")
    auxiliary = models.ForeignKey(AuxiliaryAccount, on_delete=models.PROTECT, related_name="+")
    code = models.CharField("lettre", max_length=4)
    date = models.DateField("lettré le")
    removed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["auxiliary_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["auxiliary", "code"], name="letter_code_once"),
        ]

    def __str__(self):
        return self.code


class LetteredLine(models.Model):
    line = models.OneToOneField(EntryLine, on_delete=models.PROTECT, related_name="lettered")
    lettering = models.ForeignKey(Lettering, on_delete=models.CASCADE, related_name="lines")
