"""The books in the admin: to read. Entries are posted by the services only, and the
database refuses to change them anyway."""

from django.contrib import admin

from .models import Account, ClosedPeriod, Entry, EntryLine, Journal, Ledger


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EntryLineInline(ReadOnly, admin.TabularInline):
    model = EntryLine
    fields = ["account", "auxiliary", "label", "debit", "credit", "vat_rate"]
    readonly_fields = fields
    extra = 0


@admin.register(Entry)
class EntryAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["__str__", "ledger", "date", "label", "piece_ref", "reversal_of"]
    list_filter = ["journal__code", "ledger__kind", "fiscal_year"]
    search_fields = ["label", "piece_ref", "ledger__shop__name"]
    date_hierarchy = "date"
    inlines = [EntryLineInline]
    list_select_related = ["journal", "ledger__shop", "reversal_of__journal"]


@admin.register(Ledger)
class LedgerAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["__str__", "kind", "fee_account", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["shop"]


@admin.register(Account)
class AccountAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["number", "label", "kind", "ledger"]
    list_filter = ["kind", "ledger__kind"]
    search_fields = ["number", "label"]
    list_select_related = ["ledger__shop"]


@admin.register(Journal)
class JournalAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["code", "label", "ledger"]
    list_select_related = ["ledger__shop"]


@admin.register(ClosedPeriod)
class ClosedPeriodAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["ledger", "month", "closed_at", "closed_by"]
    list_select_related = ["ledger__shop", "closed_by"]
