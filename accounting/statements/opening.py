"""Where a ledger's books start for a statement (docs/statements.md, "Where the books
start"): at its latest opening entry (journal `AN`, à-nouveaux) dated on or before a day.

An opening entry restates the balances of classes 1 to 5 and the previous year's result
(on 120000/129000): lines dated before it are already inside it, and summing both would
count them twice. Without an opening entry the books start at their first line.
"""

import datetime as dt

from django.db.models import DateField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from ..models import Entry, Ledger

OPENING_JOURNAL = "AN"


def books_start(*, ledger: Ledger | OuterRef, on: dt.date):
    """An expression (no query of its own: it goes inside the statement's one query):
    the date of the latest opening entry of the ledger dated on or before `on`, or
    date.min. Filter lines with `date__gte=books_start(...)`."""
    latest = (
        Entry.objects.filter(ledger=ledger, journal__code=OPENING_JOURNAL, date__lte=on)
        .order_by("-date")
        .values("date")[:1]
    )
    return Coalesce(Subquery(latest), Value(dt.date.min), output_field=DateField())
