"""Rounds run by the coordinator (docs/rounds.md): their dates changed while open, a past
round cloned, weekly schedules that open rounds by themselves, and the reminder to the
shops that have not ordered yet (by the coordinator's button, or by the beat sweep 24 h
before the deadline, once)."""

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from mache.errors import BusinessRuleError, InvalidInput
from mache.notifications import notify_on_commit
from mache.periods import PARIS, paris_date

from .. import selectors
from ..models import Round, RoundSchedule
from . import notifications
from .orders import check_round_dates, round_create, round_lock

log = logging.getLogger(__name__)

REMINDER_BEFORE = dt.timedelta(hours=24)


class RoundNotEditable(BusinessRuleError):
    code = "round_closed"
    default_detail = "La tournée n'est plus ouverte : ses dates ne peuvent plus changer."


class RoundNotTakingOrders(BusinessRuleError):
    code = "round_closed"
    default_detail = "La tournée est close : il n'y a plus personne à relancer."


class RoundNotOpenYet(BusinessRuleError):
    code = "round_not_open"
    default_detail = (
        "La tournée n'est pas encore ouverte : relancez les commerces une fois qu'ils "
        "peuvent commander."
    )


# --- One round ------------------------------------------------------------------------


def round_update(
    *, round_id: int, closes_at=None, delivery_date=None, delivery=None, now=None
) -> Round:
    """A new deadline (to extend the round, or bring it forward), delivery day and/or
    place of delivery (the hub or each shop, docs/distribution.md) of an open round,
    checked as at creation. A deadline moved more than 24 h away again makes the
    automatic reminder due once more, before the new deadline."""
    with transaction.atomic():
        round_ = round_lock(round_id)
        if round_.status != Round.Status.OPEN:
            raise RoundNotEditable()
        now = now or timezone.now()
        new_closes_at = closes_at or round_.closes_at
        new_delivery = delivery_date or round_.delivery_date
        check_round_dates(
            opens_at=round_.opens_at,
            closes_at=new_closes_at,
            delivery_date=new_delivery,
            now=now,
        )
        round_.closes_at = new_closes_at
        round_.delivery_date = new_delivery
        round_.delivery = delivery or round_.delivery
        if new_closes_at - REMINDER_BEFORE > now:
            round_.reminder_sent_at = None
        round_.save(update_fields=["closes_at", "delivery_date", "delivery", "reminder_sent_at"])
    return round_


def round_clone(*, round_id: int, opens_at, closes_at, delivery_date, user=None) -> Round:
    """A new open round of the same supplier as round `round_id` (any status), with the
    dates given, delivered as it was (docs/distribution.md)."""
    source = Round.objects.select_related("supplier").get(pk=round_id)
    with transaction.atomic():
        return round_create(
            supplier=source.supplier,
            opens_at=opens_at,
            closes_at=closes_at,
            delivery_date=delivery_date,
            delivery=source.delivery,
            user=user,
        )


def clone_dates(round_: Round, *, now=None) -> dict:
    """The dates a clone is offered: the round's, moved on by whole weeks until its
    deadline is at least a day ahead (same weekdays and hours); opening now at the latest."""
    now = now or timezone.now()
    weeks = 0
    while round_.closes_at + dt.timedelta(weeks=weeks) < now + dt.timedelta(days=1):
        weeks += 1
    shift = dt.timedelta(weeks=weeks)
    closes_at = _same_paris_time(round_.closes_at, shift)
    return {
        "opens_at": min(_same_paris_time(round_.opens_at, shift), now),
        "closes_at": closes_at,
        "delivery_date": round_.delivery_date + shift,
    }


def _same_paris_time(moment: dt.datetime, shift: dt.timedelta) -> dt.datetime:
    # The same wall-clock time in Paris, even across a daylight-saving change.
    local = moment.astimezone(PARIS)
    return dt.datetime.combine(local.date() + shift, local.time(), tzinfo=PARIS)


# --- Weekly schedules -----------------------------------------------------------------


def schedule_deadline(schedule: RoundSchedule, week: dt.date) -> dt.datetime:
    """The deadline of `schedule` in the week starting on Monday `week` (Paris)."""
    day = week + dt.timedelta(days=schedule.weekday)
    return dt.datetime.combine(day, schedule.closes_at_time, tzinfo=PARIS)


def schedule_round_dates(schedule: RoundSchedule, week: dt.date) -> dict:
    """Opening, deadline and delivery of the round of `schedule` for `week`: it opens at
    midnight (Paris) `opens_days_before` days before the deadline's day, and is delivered
    on the first `delivery_weekday` on or after the deadline's day."""
    closes_at = schedule_deadline(schedule, week)
    closing_day = closes_at.date()
    opening_day = closing_day - dt.timedelta(days=schedule.opens_days_before)
    ahead = (schedule.delivery_weekday - closing_day.weekday()) % 7
    return {
        "opens_at": dt.datetime.combine(opening_day, dt.time(0, 0), tzinfo=PARIS),
        "closes_at": closes_at,
        "delivery_date": closing_day + dt.timedelta(days=ahead),
    }


def schedule_weeks_due(schedule: RoundSchedule, now: dt.datetime) -> list[dt.date]:
    """The weeks (their Mondays) whose round of `schedule` is open at `now`: opened
    already, deadline still to come. Several when it opens more than a week ahead."""
    today = paris_date(now)
    this_week = today - dt.timedelta(days=today.weekday())
    weeks = []
    for offset in range(0, schedule.opens_days_before // 7 + 2):
        week = this_week + dt.timedelta(weeks=offset)
        dates = schedule_round_dates(schedule, week)
        if dates["opens_at"] <= now < dates["closes_at"]:
            weeks.append(week)
    return weeks


def schedules_open_due(*, now=None) -> list[int]:
    """Run by the beat sweep: opens the round of every active schedule whose opening has
    come and whose deadline has not. Idempotent: the unique (schedule, schedule_week)
    constraint refuses a second round of the same week, even from another worker at the
    same instant (its INSERT waits for ours, then fails and is skipped). Returns the ids
    of the rounds opened by this call."""
    now = now or timezone.now()
    opened = []
    for schedule in RoundSchedule.objects.filter(active=True).select_related("supplier"):
        for week in schedule_weeks_due(schedule, now):
            if Round.objects.filter(schedule=schedule, schedule_week=week).exists():
                continue
            try:
                with transaction.atomic():
                    round_ = round_create(
                        supplier=schedule.supplier,
                        now=now,
                        schedule=schedule,
                        schedule_week=week,
                        **schedule_round_dates(schedule, week),
                    )
            except IntegrityError:
                continue  # another sweep opened it first
            except InvalidInput as exc:
                # Out of the cooperative's dates (before its founding): said, not raised,
                # so that the other schedules still open their rounds.
                log.warning("schedule %s, week %s: not opened (%s)", schedule.pk, week, exc)
                continue
            opened.append(round_.pk)
    return opened


# --- Who has not ordered --------------------------------------------------------------


def round_remind_missing(*, round_id: int) -> dict:
    """The coordinator's "Relancer ces commerces": every active shop without an order is
    e-mailed (after commit). Returns {"emailed": n, "without_email": m}: the shops that
    have an address to write to, and those that have none."""
    with transaction.atomic():
        round_ = round_lock(round_id)
        now = timezone.now()
        if not round_.takes_orders(now):
            raise RoundNotTakingOrders()
        if now < round_.opens_at:
            raise RoundNotOpenYet()
        missing = selectors.round_missing_shops(round_=round_)
        shops = list(missing)
        addresses = selectors.shop_email_addresses(missing)
        emailed = sum(1 for shop in shops if addresses.get(shop.pk))
        if emailed:
            notify_on_commit(notifications.missing_shops_reminder, round_.pk)
    return {"emailed": emailed, "without_email": len(shops) - emailed}


def round_reminders_send(*, now=None) -> list[int]:
    """Run by the beat sweep: the rounds whose deadline is within 24 h and whose reminder
    has not gone yet get it, once: the conditional UPDATE (reminder_sent_at still empty)
    lets only one sweep claim a round, and the e-mail is enqueued in the same
    transaction. Returns the ids of the rounds reminded by this call."""
    now = now or timezone.now()
    candidates = Round.objects.filter(
        status=Round.Status.OPEN,
        reminder_sent_at__isnull=True,
        opens_at__lte=now,
        closes_at__gt=now,
        closes_at__lte=now + REMINDER_BEFORE,
    ).values_list("id", flat=True)
    reminded = []
    for round_id in list(candidates):
        with transaction.atomic():
            claimed = Round.objects.filter(
                pk=round_id, status=Round.Status.OPEN, reminder_sent_at__isnull=True
            ).update(reminder_sent_at=now)
            if claimed:
                notify_on_commit(notifications.missing_shops_reminder, round_id)
                reminded.append(round_id)
    return reminded


# --- Schedules written by the coordinator ----------------------------------------------

SCHEDULE_FIELDS = (
    "supplier",
    "weekday",
    "closes_at_time",
    "delivery_weekday",
    "opens_days_before",
    "active",
)


def round_schedule_save(*, schedule: RoundSchedule | None = None, **fields) -> RoundSchedule:
    """Create (`schedule` None) or change a weekly schedule. Its rounds already opened keep
    their dates; the next ones follow the new settings. Raises InvalidInput on the field."""
    schedule = schedule or RoundSchedule()
    for name, value in fields.items():
        if name not in SCHEDULE_FIELDS:
            raise TypeError(f"unknown schedule field {name!r}")
        setattr(schedule, name, value)
    try:
        schedule.full_clean(exclude=["created_at"])
    except ValidationError as exc:
        raise InvalidInput(exc.message_dict) from exc
    with transaction.atomic():
        schedule.save()
    return schedule
