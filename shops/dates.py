"""Business dates that mean something: the one rule every service applies to a date it
records (an entry, a reversal, a Z ticket, a stock movement or count, a round, a receipt,
a report's month).

A business date lies between the day the shop joined the cooperative (for the
cooperative's own books and its rounds: the day the cooperative was founded) and today
in Europe/Paris; rounds and deliveries may look up to a year ahead. Both bounds are
inclusive. A shop with no joining date yet (a candidate) is held to the cooperative's
founding; a cooperative with no founding date on record, to `EARLIEST_DATE`.

`date_bounds_error` is the pure rule; `business_date_bounds` reads the dates it needs,
and `business_date_check` raises the 400 naming the field.
"""

import datetime as dt
from dataclasses import dataclass

from mache.errors import InvalidInput
from mache.formats import format_date
from mache.periods import last_day_of_month, paris_today

from .models import Cooperative

# When nothing says when the cooperative started: no business of it is older (the FEC
# export starts at the same year).
EARLIEST_DATE = dt.date(2000, 1, 1)
# Rounds and deliveries are planned up to a year ahead (366 days: a leap year included).
YEAR_AHEAD_DAYS = 366


@dataclass(frozen=True)
class Bounds:
    """The first and last days a business date may take, and what each one is."""

    earliest: dt.date
    since: str  # "adhésion du commerce", "création de la coopérative"
    latest: dt.date


def cooperative_founded_on() -> dt.date:
    founded = Cooperative.objects.values_list("founded_on", flat=True).first()
    return founded or EARLIEST_DATE


def earliest_date(shop) -> tuple[dt.date, str]:
    """The first day of business of `shop` (None: the cooperative's own books)."""
    if shop is not None and shop.joined_on:
        return shop.joined_on, "adhésion du commerce"
    return cooperative_founded_on(), "création de la coopérative"


def business_date_bounds(
    *,
    shop,
    future_days: int = 0,
    today: dt.date | None = None,
    not_before: tuple[dt.date, str] | None = None,
) -> Bounds:
    """The bounds of a business date of `shop` (None: the cooperative). `not_before`
    (a date and what it is) raises the lower bound when it is later (a receipt comes
    after the round closed)."""
    earliest, since = earliest_date(shop)
    if not_before and not_before[0] > earliest:
        earliest, since = not_before
    today = today or paris_today()
    return Bounds(earliest, since, today + dt.timedelta(days=future_days))


def date_bounds_error(on: dt.date, bounds: Bounds, *, today: dt.date) -> str | None:
    """Why `on` is out of `bounds` (French, one sentence), or None."""
    if bounds.earliest <= on <= bounds.latest:
        return None
    if bounds.earliest > bounds.latest:
        return (
            f"Aucune date n'est encore possible : le {format_date(bounds.earliest)} "
            f"({bounds.since}) n'est pas arrivé."
        )
    until = "aujourd'hui" if bounds.latest == today else f"le {format_date(bounds.latest)}"
    return (
        f"La date doit être comprise entre le {format_date(bounds.earliest)} "
        f"({bounds.since}) et {until}."
    )


def business_date_error(
    *, on: dt.date, shop, future_days: int = 0, not_before: tuple[dt.date, str] | None = None
) -> str | None:
    today = paris_today()
    bounds = business_date_bounds(
        shop=shop, future_days=future_days, today=today, not_before=not_before
    )
    return date_bounds_error(on, bounds, today=today)


def business_date_check(
    *,
    on: dt.date,
    shop,
    field: str,
    future_days: int = 0,
    not_before: tuple[dt.date, str] | None = None,
) -> None:
    """Raise InvalidInput (400 on `field`) when `on` is not a business date of `shop`
    (None: the cooperative); see the module doc."""
    error = business_date_error(on=on, shop=shop, future_days=future_days, not_before=not_before)
    if error:
        raise InvalidInput({field: [error]})


def report_month_error(month: dt.date, *, today: dt.date | None = None) -> str | None:
    """Why no report can be made of `month` (its first day), or None: only a month that
    is over has one (the current month is not finished, a later one not begun)."""
    this_month = (today or paris_today()).replace(day=1)
    if month > this_month:
        return "Ce mois n'a pas encore commencé : seul un mois terminé a un rapport."
    if month == this_month:
        return "Ce mois n'est pas terminé : seul un mois terminé a un rapport."
    return None


def member_by_month_end(shop, month: dt.date) -> bool:
    """Whether `shop` (None: the cooperative) had joined (been founded) by the end of
    `month`: only then has the month a report for it."""
    if shop is not None and not shop.joined_on:
        return False
    return earliest_date(shop)[0] <= last_day_of_month(month)
