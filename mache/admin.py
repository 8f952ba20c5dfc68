"""The admin's shared pieces, and the outbox's page."""

from django.contrib import admin

from .models import OutboxMessage


class ReadOnlyMixin:
    """Viewable by whoever may view the model; nobody adds, changes or deletes: what the
    services write (entries, stock, invoices, rounds) is shown, never edited here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    related = ()  # foreign keys shown in the rows, fetched with them (no query per row)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        # Only when named: select_related() without arguments would follow every key.
        return queryset.select_related(*self.related) if self.related else queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """Read-only: what was sent to the broker, when, after how many attempts."""

    list_display = ["task_name", "task_id", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = ["task_name", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["task_id", "task_name"]
    date_hierarchy = "created_at"
