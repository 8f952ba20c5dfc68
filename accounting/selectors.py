"""Reads of the books, scoped: a shop's ledger to those who may see the shop; the
cooperative's ledger (`shop=coop`) to coordinators only."""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from catalogue.models import Supplier
from mache.permissions import scope_to_user, sees_all_shops
from mache.search import fold, search_q
from shops.models import Shop
from shops.selectors import visible_shop

from . import accounts
from .auxiliaries import COOP_AUX, shop_aux, supplier_aux
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


@dataclass(frozen=True)
class AccountHit:
    """A result of `account_search`: an account, and the third party under it if any."""

    account: str
    aux: str
    label: str


def account_search(*, ledger: Ledger, text: str, limit: int = 10) -> list[AccountHit]:
    """The accounts of `ledger` and the third parties a 401/411 line may name
    (accounting.auxiliaries) matching `text`, accents and case aside (mache.search):
    the chart by number or label, the ledger's auxiliary accounts by code or label, the
    suppliers and (in the cooperative's books) the shops by name. Four queries at most;
    empty text: nothing. Call with a ledger `ledger_for` gave (the user may see it)."""
    if not text.strip():
        return []
    hits = [
        AccountHit(a.number, "", a.label)
        for a in ledger.accounts.filter(search_q(["number", "label"], text)).order_by("number")[
            :limit
        ]
    ]
    known = list(
        ledger.auxiliaries.filter(search_q(["code", "label"], text))
        .select_related("account")
        .order_by("code")[:limit]
    )
    hits += [AccountHit(aux.account.number, aux.code, aux.label) for aux in known]
    codes = {aux.code for aux in known}
    shop_ledger = ledger.shop_id is not None
    coop_words = fold(" ".join(COOP_AUX))
    if (
        shop_ledger
        and COOP_AUX[0] not in codes
        and all(word in coop_words for word in fold(text).split())
    ):
        hits.append(AccountHit(accounts.SUPPLIERS, *COOP_AUX))
    suppliers = Supplier.objects.filter(search_q(["name"], text)).order_by("name")[:limit]
    hits += [
        AccountHit(accounts.SUPPLIERS, *supplier_aux(s.pk, s.name))
        for s in suppliers
        if supplier_aux(s.pk, s.name)[0] not in codes
    ]
    if not shop_ledger:
        shops = Shop.objects.filter(search_q(["name"], text)).order_by("name")[:limit]
        hits += [
            AccountHit(accounts.CUSTOMERS, *shop_aux(s.pk, s.name))
            for s in shops
            if shop_aux(s.pk, s.name)[0] not in codes
        ]
    return hits
