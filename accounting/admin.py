"""The books in the admin: to read. Entries are posted by the services only, and the
database refuses to change them anyway."""

from django.contrib import admin

from mache.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Account, ClosedPeriod, Entry, EntryLine, Journal, Ledger


class EntryLineInline(ReadOnlyInline):
    model = EntryLine
    fields = ["account", "auxiliary", "label", "debit", "credit", "vat_rate"]
    readonly_fields = fields
    extra = 0


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "ledger", "date", "label", "piece_ref", "reversal_of"]
    list_filter = ["journal__code", "ledger__kind", "fiscal_year"]
    search_fields = ["label", "piece_ref", "ledger__shop__name"]
    date_hierarchy = "date"
    inlines = [EntryLineInline]
    list_select_related = ["journal", "ledger__shop", "reversal_of__journal"]


@admin.register(Ledger)
class LedgerAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "fee_account", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["shop"]


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["number", "label", "kind", "ledger"]
    list_filter = ["kind", "ledger__kind"]
    search_fields = ["number", "label"]
    list_select_related = ["ledger__shop"]


@admin.register(Journal)
class JournalAdmin(ReadOnlyAdmin):
    list_display = ["code", "label", "ledger"]
    list_select_related = ["ledger__shop"]


@admin.register(ClosedPeriod)
class ClosedPeriodAdmin(ReadOnlyAdmin):
    list_display = ["ledger", "month", "closed_at", "closed_by"]
    list_select_related = ["ledger__shop", "closed_by"]
