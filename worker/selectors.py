"""Reads of reports: a shop's reports for those who see the shop; the cooperative's
(shop NULL) for coordinators only (scope_to_user drops NULL shops for everyone else)."""

from django.db.models import QuerySet

from mache.permissions import scope_to_user

from .models import Report


def report_list(*, user) -> QuerySet[Report]:
    return scope_to_user(
        Report.objects.select_related("shop", "document").order_by("-month", "shop_id"),
        user=user,
    )
