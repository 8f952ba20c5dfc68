"""French formats in templates: {{ amount|eur }} -> "1 234,56 €", {{ day|frdate }},
{% plural count "facture émise" "factures émises" %} -> "1 facture émise" (docs/french.md)."""

import datetime as dt

from django import template
from django.utils import timezone

from mache.formats import (
    format_date,
    format_eur,
    format_long_date,
    format_month_name,
    format_percent,
    format_quantity,
    format_rate,
    format_unit_price,
    plural,
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
def frlongdate(value):
    """ "12 novembre 2026"."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        value = paris_date(value)
    return format_long_date(value)


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
def percent(value):
    """ "43 %" (rounded to the unit)."""
    return "" if value is None or value == "" else format_percent(value)


@register.simple_tag(name="plural")
def plural_tag(count, singular, plural_form):
    """{% plural n "produit" "produits" %} -> "0 produit", "1 produit", "2 produits"."""
    return plural(count or 0, singular, plural_form)


@register.filter(name="plural")
def plural_filter(count, forms):
    """{{ n|plural:"lot,lots" }}: the same, for words without a comma."""
    singular, _, plural_form = forms.partition(",")
    return plural(count or 0, singular, plural_form or singular)


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


@register.filter
def frpluralize(count, suffixes="s"):
    """Django's `pluralize` with the French rule: 0 and 1 take the singular
    ("0 lot", Django would say "0 lots"). `{{ n|frpluralize:"al,aux" }}` as in Django."""
    singular, _, plural_suffix = suffixes.rpartition(",")
    return plural_suffix if abs(int(count or 0)) >= 2 else singular
