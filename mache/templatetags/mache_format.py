"""French formats in templates: {{ amount|eur }} -> "1 234,56 €", {{ day|frdate }}."""

import datetime as dt

from django import template
from django.utils import timezone

from mache.formats import (
    format_date,
    format_eur,
    format_month_name,
    format_quantity,
    format_rate,
    format_unit_price,
)
from mache.periods import PARIS, paris_date

register = template.Library()


@register.filter
def eur(value):
    return "" if value is None or value == "" else format_eur(value)


@register.filter
def unit_price(value):
    return "" if value is None else format_unit_price(value)


@register.filter
def frdate(value):
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        value = paris_date(value)
    return format_date(value)


@register.filter
def frdatetime(value):
    if not value:
        return ""
    local = value.astimezone(PARIS)
    return f"{format_date(local.date())} à {local:%H:%M}"


@register.filter
def frmonth(value):
    return format_month_name(value) if value else ""


@register.filter
def rate(value):
    return "" if value is None else format_rate(value)


@register.filter
def qty(value):
    return "" if value is None else format_quantity(value)


@register.filter
def time_left(deadline):
    """ "2 j 5 h", "3 h 10 min", "12 min" or "clos" before a deadline."""
    seconds = int((deadline - timezone.now()).total_seconds())
    if seconds <= 0:
        return "clos"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} j {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{max(minutes, 1)} min"
