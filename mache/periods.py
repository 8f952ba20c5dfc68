"""Business time: months and days as the cooperative lives them, in Europe/Paris."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.utils import timezone

PARIS = ZoneInfo("Europe/Paris")
# ASCII digits only (\d would take "２０２６"), and no trailing newline ($ would).
MONTH_RE = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
# The sane years of a month named in a request: outside them the cooperative has no
# business, and year 1 or 9999 overflow the date arithmetic of previous/next months.
FIRST_YEAR = 2000
LAST_YEAR = 2100


def parse_month(value: str) -> dt.date:
    """'2026-11' -> date(2026, 11, 1); ValueError (its message in French) on anything else,
    a year outside FIRST_YEAR..LAST_YEAR included."""
    match = MONTH_RE.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise ValueError("Mois attendu au format AAAA-MM.")
    year = int(match.group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"Mois entre {FIRST_YEAR}-01 et {LAST_YEAR}-12.")
    return dt.date(year, int(match.group(2)), 1)


def format_month(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def previous_month(month: dt.date) -> dt.date:
    return dt.date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def last_day_of_month(month: dt.date) -> dt.date:
    return next_month(month) - dt.timedelta(days=1)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a Paris month as aware datetimes (DST-safe: built from local midnight)."""
    first = dt.datetime(month.year, month.month, 1, tzinfo=PARIS)
    following = next_month(month)
    end = dt.datetime(following.year, following.month, 1, tzinfo=PARIS)
    return first, end


def paris_now() -> dt.datetime:
    return timezone.now().astimezone(PARIS)


def paris_today() -> dt.date:
    return paris_now().date()


def paris_date(moment: dt.datetime) -> dt.date:
    """The Paris calendar day of an aware datetime."""
    return moment.astimezone(PARIS).date()


def current_month() -> dt.date:
    return paris_today().replace(day=1)
