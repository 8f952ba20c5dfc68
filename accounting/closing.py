"""Closing the books: a month of a ledger (`period_close`); a fiscal year's closing is
`accounting.years.fiscal_year_close` (docs/fiscal-years.md), which closes its months here.

A closed month accepts no entry (`accounting.services.entries_post` refuses it under the
ledger's row lock, which closing takes too, so no entry slips into a month being closed).
"""

import datetime as dt

from django.db import transaction

from mache.errors import InvalidInput, NotAllowed
from mache.periods import current_month

from .models import ClosedPeriod, Ledger
from .postings import stock_variation_post


def period_close(*, ledger: Ledger, month: dt.date, user=None) -> ClosedPeriod:
    """Close a month of a ledger: it accepts no entry afterwards. Idempotent.

    A shop's month is closed with its stock variation posted first (once the month is
    over), so that the closed month holds its inventory entry.
    """
    # Closing is for good: the coordinator's decision, not the accountant's (who may post
    # and reverse). `user` is None for the system's own closings.
    if user is not None and not user.is_coordinator:
        raise NotAllowed("Seul le coordinateur peut clôturer un mois.")
    if month.day != 1:
        raise InvalidInput({"month": ["Un mois se désigne par son premier jour."]})
    if month >= current_month():
        raise InvalidInput({"month": ["Seul un mois terminé peut être clôturé."]})
    with transaction.atomic():
        if ledger.shop_id and not ClosedPeriod.objects.filter(ledger=ledger, month=month).exists():
            stock_variation_post(shop=ledger.shop, month=month)
        Ledger.objects.select_for_update().get(pk=ledger.pk)
        period, _ = ClosedPeriod.objects.get_or_create(
            ledger=ledger, month=month, defaults={"closed_by": user}
        )
    return period
