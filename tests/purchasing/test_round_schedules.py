"""Weekly schedules (docs/rounds.md): the API, the dates of a week's round, and the beat
sweep opening exactly one round per schedule and week, even when two sweeps run at once
on two database connections."""

import datetime as dt
import threading

import pytest
from django.db import transaction
from django.utils import timezone

from mache.periods import PARIS, paris_date
from purchasing.models import Round, RoundSchedule
from purchasing.services.rounds import (
    schedule_round_dates,
    schedule_weeks_due,
    schedules_open_due,
)
from purchasing.tasks import sweep_rounds
from shops.models import User
from tests.factories import SupplierFactory, UserFactory

from .test_deadline_race import run_in_thread, wait_for_lock_waiter


@pytest.fixture
def week() -> dt.date:
    """A Monday well ahead, so that every date below is still to come (read as the test
    starts, not at import)."""
    ahead = paris_date(timezone.now()) + dt.timedelta(days=14)
    return ahead - dt.timedelta(days=ahead.weekday())


def paris(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS)


def thursday_schedule(**changes) -> RoundSchedule:
    """Deadline every Thursday 18:00, delivered the Tuesday after, open 3 days before."""
    fields = {
        "supplier": changes.pop("supplier", None) or SupplierFactory(),
        "weekday": 3,
        "closes_at_time": dt.time(18, 0),
        "delivery_weekday": 1,
        "opens_days_before": 3,
        "active": True,
    }
    return RoundSchedule.objects.create(**{**fields, **changes})


# --- The dates ------------------------------------------------------------------------


def test_the_round_of_a_week_opens_at_midnight_and_is_delivered_on_the_next_delivery_day(db, week):
    schedule = thursday_schedule()
    dates = schedule_round_dates(schedule, week)
    thursday = week + dt.timedelta(days=3)
    assert dates == {
        "opens_at": paris(week, 0),  # Monday 00:00, three days before Thursday
        "closes_at": paris(thursday, 18),
        "delivery_date": week + dt.timedelta(days=8),  # the Tuesday after
    }


def test_a_delivery_on_the_deadline_weekday_is_the_same_day(db, week):
    schedule = thursday_schedule(delivery_weekday=3)
    assert schedule_round_dates(schedule, week)["delivery_date"] == week + dt.timedelta(days=3)


def test_the_due_weeks_are_those_whose_round_is_open_now(db, week):
    schedule = thursday_schedule()
    thursday = week + dt.timedelta(days=3)
    assert schedule_weeks_due(schedule, paris(week, 0) - dt.timedelta(minutes=1)) == []
    assert schedule_weeks_due(schedule, paris(week, 0)) == [week]
    assert schedule_weeks_due(schedule, paris(thursday, 17, 59)) == [week]
    assert schedule_weeks_due(schedule, paris(thursday, 18)) == []  # deadline reached
    # Opening 10 days ahead: on Friday, next week's round is open, and the one after not yet.
    long = thursday_schedule(opens_days_before=10)
    assert schedule_weeks_due(long, paris(week + dt.timedelta(days=4), 12)) == [
        week + dt.timedelta(days=7)
    ]


# --- The sweep ------------------------------------------------------------------------


def test_the_sweep_opens_one_round_per_week(db, week):
    schedule = thursday_schedule()
    tuesday_noon = paris(week + dt.timedelta(days=1), 12)
    opened = schedules_open_due(now=tuesday_noon)
    round_ = Round.objects.get()
    assert opened == [round_.pk]
    assert (round_.supplier, round_.schedule, round_.schedule_week) == (
        schedule.supplier,
        schedule,
        week,
    )
    assert round_.status == Round.Status.OPEN
    assert round_.closes_at == paris(week + dt.timedelta(days=3), 18)
    # The same week again (a minute later, an hour later): nothing more.
    assert schedules_open_due(now=tuesday_noon + dt.timedelta(minutes=1)) == []
    assert schedules_open_due(now=tuesday_noon + dt.timedelta(hours=30)) == []
    # The next week: its own round.
    next_week = schedules_open_due(now=tuesday_noon + dt.timedelta(days=7))
    assert len(next_week) == 1
    assert Round.objects.count() == 2


def test_a_cancelled_round_of_the_week_is_not_opened_again(db, week):
    thursday_schedule()
    now = paris(week + dt.timedelta(days=1), 12)
    [round_id] = schedules_open_due(now=now)
    Round.objects.filter(pk=round_id).update(status=Round.Status.CANCELLED)
    assert schedules_open_due(now=now + dt.timedelta(hours=1)) == []


def test_an_inactive_schedule_opens_nothing(db, week):
    thursday_schedule(active=False)
    assert schedules_open_due(now=paris(week + dt.timedelta(days=1), 12)) == []
    assert not Round.objects.exists()


def test_the_beat_task_opens_this_weeks_round_once(db):
    # Real time: a deadline two days from now, opened a week before.
    deadline_day = paris_date(timezone.now()) + dt.timedelta(days=2)
    thursday_schedule(weekday=deadline_day.weekday(), opens_days_before=7)
    sweep_rounds.run()
    sweep_rounds.run()
    round_ = Round.objects.get()
    assert paris_date(round_.closes_at) == deadline_day


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_open_one_round(week):
    """Sweep A has inserted the week's round and not committed; sweep B, on another
    connection, finds nothing yet, inserts too and waits on the unique index; A commits;
    B's insert fails on the constraint and B skips it. One round."""
    thursday_schedule()
    now = paris(week + dt.timedelta(days=1), 12)
    inserted, release = threading.Event(), threading.Event()

    def sweep_a():
        with transaction.atomic():
            opened = schedules_open_due(now=now)
            inserted.set()
            release.wait(timeout=20)
        return opened

    thread_a, outcome_a = run_in_thread(sweep_a)
    assert inserted.wait(timeout=20)
    thread_b, outcome_b = run_in_thread(lambda: schedules_open_due(now=now))
    wait_for_lock_waiter()  # sweep B waits on sweep A's round (else it raises)
    release.set()
    thread_a.join(timeout=20)
    thread_b.join(timeout=20)
    assert "error" not in outcome_a and "error" not in outcome_b, (outcome_a, outcome_b)
    assert len(outcome_a["value"]) == 1
    assert outcome_b["value"] == []
    assert Round.objects.count() == 1


# --- The API --------------------------------------------------------------------------


def schedule_body(supplier_obj, **changes):
    return {
        "supplier": supplier_obj.pk,
        "weekday": 3,
        "closes_at_time": "18:00",
        "delivery_weekday": 1,
        "opens_days_before": 3,
        **changes,
    }


def test_the_coordinator_creates_lists_and_deactivates_schedules(api, coordinator):
    supplier = SupplierFactory()
    client = api.as_user(coordinator)
    response = client.post("/api/round-schedules/", schedule_body(supplier), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body == {
        "id": body["id"],
        "supplier": supplier.pk,
        "weekday": 3,
        "closes_at_time": "18:00",
        "delivery_weekday": 1,
        "opens_days_before": 3,
        "active": True,
    }
    listed = client.get("/api/round-schedules/").json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]
    response = client.patch(f"/api/round-schedules/{body['id']}/", {"active": False}, format="json")
    assert response.status_code == 200
    assert RoundSchedule.objects.get().active is False
    assert client.delete(f"/api/round-schedules/{body['id']}/").status_code == 405


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weekday": 7}, "weekday"),
        ({"delivery_weekday": -1}, "delivery_weekday"),
        ({"opens_days_before": 0}, "opens_days_before"),
        ({"opens_days_before": 29}, "opens_days_before"),
        ({"closes_at_time": "25:00"}, "closes_at_time"),
        ({"supplier": 999999}, "supplier"),
    ],
)
def test_bad_schedules_are_400_on_the_field(api, coordinator, change, field):
    response = api.as_user(coordinator).post(
        "/api/round-schedules/", schedule_body(SupplierFactory(), **change), format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not RoundSchedule.objects.exists()


@pytest.mark.parametrize("role", [User.Role.SHOPKEEPER, User.Role.ACCOUNTANT])
def test_schedules_are_for_the_coordinator_only(api, shop, role):
    user = UserFactory(role=role, shops=[shop])
    schedule = thursday_schedule()
    client = api.as_user(user)
    assert client.get("/api/round-schedules/").status_code == 403
    assert client.get(f"/api/round-schedules/{schedule.pk}/").status_code == 403
    response = client.post("/api/round-schedules/", schedule_body(schedule.supplier), format="json")
    assert response.status_code == 403
    assert RoundSchedule.objects.count() == 1


def test_the_schedules_list_and_page_have_a_fixed_query_count(api, client, coordinator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rest = api.as_user(coordinator)
    client.force_login(coordinator)

    def counts():
        with CaptureQueriesContext(connection) as listed:
            assert rest.get("/api/round-schedules/").status_code == 200
        with CaptureQueriesContext(connection) as page:
            assert client.get("/coordination/tournees/hebdomadaires/").status_code == 200
        return len(listed), len(page)

    thursday_schedule()
    counts()  # the session's first request does its own bookkeeping
    few = counts()
    for weekday in range(5):
        thursday_schedule(weekday=weekday)
    assert counts() == few
