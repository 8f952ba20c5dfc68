"""Reads of the books, scoped: a shop's ledger to those who may see the shop; the
cooperative's ledger (`shop=coop`) to coordinators only."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from mache.permissions import scope_to_user, sees_all_shops
from shops.selectors import visible_shop

from .models import Account, Entry, EntryLine, Journal, Ledger, SalesDay

COOP = "coop"


def ledger_list(*, user) -> QuerySet[Ledger]:
    if sees_all_shops(user):
        return Ledger.objects.select_related("shop")
    return scope_to_user(Ledger.objects.select_related("shop"), user=user)


def ledger_for(*, user, shop_param) -> Ledger:
    """The ledger named by a `shop` parameter: a shop id, or "coop" for the cooperative.

    Raises Http404 for a ledger the user may not see, exactly as for one that does not
    exist (docs/security.md, Tenancy).
    """
    if shop_param == COOP:
        if not sees_all_shops(user):
            raise Http404
        ledger = Ledger.objects.filter(kind=Ledger.Kind.COOPERATIVE).first()
    else:
        shop = visible_shop(user=user, shop_id=shop_param)
        ledger = Ledger.objects.filter(shop=shop).select_related("shop").first() if shop else None
    if ledger is None:
        raise Http404
    return ledger


def entry_list(*, user) -> QuerySet[Entry]:
    return scope_to_user(
        Entry.objects.select_related("journal", "ledger")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=EntryLine.objects.select_related("account", "auxiliary").order_by("id"),
            )
        )
        .order_by("date", "journal__code", "number"),
        user=user,
        shop_field="ledger__shop",
    )


def account_list(*, ledger) -> QuerySet[Account]:
    return ledger.accounts.order_by("number")


def journal_list(*, ledger) -> QuerySet[Journal]:
    return ledger.journals.order_by("code")


def sales_day_list(*, user) -> QuerySet[SalesDay]:
    """The Z tickets that stand (a reversed one gave its day back), latest first."""
    return scope_to_user(
        SalesDay.objects.filter(reversed_by__isnull=True)
        .select_related("entry__journal")
        .prefetch_related("lines")
        .order_by("-date", "-id"),
        user=user,
    )
