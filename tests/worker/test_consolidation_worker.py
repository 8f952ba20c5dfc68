"""Consolidation on a real Celery worker, through Redis: on demand, by the sweep, twice at
once, and with the worker's process killed in the middle of the transaction."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from purchasing.models import Allocation, Round, SupplierOrder
from purchasing.tasks import consolidate_round, sweep_rounds
from shops.models import User
from tests.factories import (
    CooperativeFactory,
    ProductFactory,
    RoundFactory,
    ShopFactory,
    SupplierFactory,
    UserFactory,
    make_order,
)

pytestmark = pytest.mark.django_db(transaction=True)


def wait_until(predicate, timeout=30.0, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def a_round(shops=3, products=2, closed=False):
    CooperativeFactory()
    supplier = SupplierFactory()
    items = [ProductFactory(supplier=supplier, case_size=4) for _ in range(products)]
    closes_at = timezone.now() + (dt.timedelta(seconds=-1) if closed else dt.timedelta(hours=1))
    round_ = RoundFactory(supplier=supplier, closes_at=closes_at)
    for n in range(shops):
        make_order(round_, ShopFactory(), *[(p, n + 3, 1) for p in items])
    return round_


def test_the_coordinator_consolidates_on_demand_and_follows_the_task(live_worker, api):
    round_ = a_round()
    coordinator = UserFactory(role=User.Role.COORDINATOR, email="coord@mache.example")
    client = api.as_user(coordinator)
    response = client.post(f"/api/rounds/{round_.pk}/consolidate/")
    assert response.status_code == 202
    task_id = response.json()["task_id"]

    assert wait_until(lambda: client.get(f"/api/tasks/{task_id}/").json()["state"] == "SUCCESS")
    task = client.get(f"/api/tasks/{task_id}/").json()
    supplier_order = SupplierOrder.objects.get(round=round_)
    assert task["result"]["supplier_order"] == supplier_order.pk
    assert task["progress"]["done"] == task["progress"]["total"]
    assert Round.objects.get(pk=round_.pk).status == "consolidated"
    # the round was still open: closing it on demand moved its deadline to now
    assert Round.objects.get(pk=round_.pk).closes_at <= timezone.now()
    body = client.get(f"/api/rounds/{round_.pk}/consolidation/").json()
    assert len(body["allocations"]) == 6
    # the coordinator is told, by e-mail, once the work is committed (and the supplier
    # gets its purchase order: docs/rounds.md)
    assert wait_until(lambda: any(m.to == ["coord@mache.example"] for m in mail.outbox))
    [told] = [m for m in mail.outbox if m.to == ["coord@mache.example"]]
    assert "consolidée" in told.subject


def test_two_tasks_for_one_round_at_once_make_one_supplier_order(live_worker):
    round_ = a_round(shops=20, products=5, closed=True)
    results = [consolidate_round.delay(round_.pk) for _ in range(2)]
    outcomes = [r.get(timeout=60) for r in results]
    assert outcomes[0]["supplier_order"] == outcomes[1]["supplier_order"]
    assert SupplierOrder.objects.filter(round=round_).count() == 1
    assert Allocation.objects.filter(supplier_order__round=round_).count() == 100


def test_the_sweep_consolidates_every_round_past_its_deadline(live_worker):
    due = [a_round(closed=True), a_round(closed=True)]
    not_due = a_round()
    assert sorted(sweep_rounds.delay().get(timeout=30)) == sorted(r.pk for r in due)
    assert wait_until(lambda: SupplierOrder.objects.count() == 2)
    assert not SupplierOrder.objects.filter(round=not_due).exists()


def children_of(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


@pytest.mark.slow
def test_a_worker_killed_mid_consolidation_leaves_nothing_and_the_retry_completes(tmp_path):
    round_ = a_round(shops=10, products=3, closed=True)
    from mache.celery import app

    with app.connection_for_write() as conn:  # no message left by an earlier run
        conn.default_channel.queue_purge("kill-test")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "MACHE_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "mache.settings",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "mache",
            "worker",
            "-Q",
            "kill-test",
            "-c",
            "1",
            "--pool",
            "prefork",
            "-n",
            "killtest@%h",
            "--without-mingle",
            "--without-gossip",
            "--loglevel",
            "INFO",
        ],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # Hold the allocations table: the consolidation stops there, mid-transaction,
            # with its supplier order and lines already written but not committed.
            cursor.execute("LOCK TABLE purchasing_allocation IN ACCESS EXCLUSIVE MODE")
            result = consolidate_round.apply_async(args=[round_.pk], queue="kill-test")

            def stuck_on_allocations():
                # Activity statistics are cached for the rest of a transaction: refresh.
                cursor.execute("SELECT pg_stat_clear_snapshot()")
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type ="
                    " 'Lock' AND query ILIKE 'COPY%%purchasing_allocation%%'"
                    " AND datname = current_database()"
                )
                return cursor.fetchone()[0] == 1

            if not wait_until(stuck_on_allocations, timeout=60):
                os.killpg(worker.pid, signal.SIGKILL)
                cursor.execute(
                    "SELECT state, wait_event_type, left(query, 120) FROM "
                    "pg_stat_activity WHERE datname = current_database()"
                )
                raise AssertionError(
                    f"consolidation never started: {cursor.fetchall()}\n"
                    + worker.stdout.read()[-3000:]
                )
            [child] = children_of(worker.pid)
            os.kill(child, signal.SIGKILL)  # the process running the task dies
            assert wait_until(lambda: children_of(worker.pid) not in ([], [child]), 30)
            # Nothing of the dead transaction is visible.
            cursor.execute("SELECT count(*) FROM purchasing_supplierorder")
            assert cursor.fetchone()[0] == 0
        # The lock is released: the dead transaction aborts, the redelivered task runs.
        assert result.get(timeout=60)["supplier_order"] is not None
        assert SupplierOrder.objects.filter(round=round_).count() == 1
        assert Allocation.objects.filter(supplier_order__round=round_).count() == 30
        assert Round.objects.get(pk=round_.pk).status == "consolidated"
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    log = worker.stdout.read()
    assert "WorkerLostError" in log or "signal 9" in log, log[-3000:]
