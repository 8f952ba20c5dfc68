"""Business time: months and days as the cooperative lives them, in Europe/Paris."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.utils import timezone

PARIS = ZoneInfo("Europe/Paris")
MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(value: str) -> dt.date:
    """'2026-11' -> date(2026, 11, 1); ValueError on anything else."""
    match = MONTH_RE.match(value or "")
    if not match:
        raise ValueError("Mois attendu au format AAAA-MM.")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


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
