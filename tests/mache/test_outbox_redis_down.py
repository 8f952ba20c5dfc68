"""Redis stopped, then back: with a Redis server of the test's own on another port.

Each request runs in a process of its own configured by the environment, as the web
server is (tests/mache/redis_down_steps.py), against the test database; a real worker
started against the same Redis does the work once Redis is back. See docs/tasks.md.
"""

import base64
import contextlib
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.utils import timezone

from mache.models import OutboxMessage
from mache.periods import current_month, format_month, previous_month
from purchasing.models import Round, SupplierOrder
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
from worker.models import Report, TaskRun

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
COORDINATOR_EMAIL = "coord@mache.example"


def free_port(start: int = 6390) -> int:
    for port in range(start, start + 200):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port for a spare Redis")


class SpareRedis:
    """A redis-server of this test only, which it starts and stops (nothing persisted)."""

    def __init__(self, port: int, folder: Path):
        self.port, self.folder, self.process = port, folder, None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_until(self._answers, timeout=20), "the spare Redis did not start"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=1)

    def _answers(self) -> bool:
        try:
            return self.client().ping()
        except redis.exceptions.ConnectionError:
            return False

    def queued(self) -> list[tuple]:
        """(task name, task id, args) of each message waiting in the default queue."""
        found = []
        for raw in self.client().lrange("celery", 0, -1):
            message = json.loads(raw)
            args = json.loads(base64.b64decode(message["body"]))[0]
            found.append((message["headers"]["task"], message["headers"]["id"], args))
        return found

    def task_state(self, task_id: str) -> str | None:
        meta = self.client().get(f"celery-task-meta-{task_id}")
        return json.loads(meta)["status"] if meta else None


def wait_until(predicate, timeout=60.0, step=0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


@pytest.fixture
def spare_redis(tmp_path):
    # Parallel workers (pytest-xdist, README "Tests") look from ports of their own: a
    # port seen free is only taken when the test starts its server, later.
    index = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    server = SpareRedis(free_port(6390 + 50 * index), tmp_path)
    yield server
    server.stop()


@pytest.fixture
def environment(spare_redis, tmp_path):
    """The environment of a web server or worker using the spare Redis and the test database."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "REDIS_URL": spare_redis.url,
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "MACHE_VAR_DIR": str(tmp_path / "var"),
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "DJANGO_SETTINGS_MODULE": "mache.settings",
    }
    env.pop("CACHE_URL", None)
    return env


@pytest.fixture
def step(environment):
    """step("consolidate", round_id, user_id): one step in a process of its own."""

    def run(name, *args):
        done = subprocess.run(
            [sys.executable, "-m", "tests.mache.redis_down_steps", name, *map(str, args)],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr[-4000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    return run


@contextlib.contextmanager
def worker(environment, log: Path):
    """A real Celery worker (one process) on the spare Redis; its output (e-mails printed
    by the console backend included) goes to `log`."""
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "mache",
                "worker",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.terminate()
            process.wait(timeout=60)


def emails_to(log: Path, address: str) -> int:
    return sum(
        line.rstrip().endswith(f"To: {address}")
        for line in log.read_text(errors="replace").splitlines()
    )


def a_round(*, closed: bool) -> Round:
    CooperativeFactory()
    supplier = SupplierFactory()
    items = [ProductFactory(supplier=supplier, case_size=4) for _ in range(2)]
    closes_at = timezone.now() + (dt.timedelta(seconds=-1) if closed else dt.timedelta(hours=1))
    round_ = RoundFactory(supplier=supplier, closes_at=closes_at)
    for n in range(3):
        make_order(round_, ShopFactory(), *[(p, n + 3, 1) for p in items])
    return round_


def test_consolidate_while_redis_is_down_answers_202_and_its_task_runs_once_redis_is_back(
    spare_redis, environment, step, tmp_path, api
):
    round_ = a_round(closed=False)
    coordinator = UserFactory(role=User.Role.COORDINATOR, email=COORDINATOR_EMAIL)
    spare_redis.start()
    spare_redis.stop()  # Redis was there, it is now stopped

    answer = step("consolidate", round_.pk, coordinator.pk)

    # Honest 202: the round is closed and its task waits in the outbox, with the id given
    assert answer["status"] == 202
    task_id = answer["body"]["task_id"]
    round_.refresh_from_db()
    assert round_.status == Round.Status.OPEN and round_.closes_at <= timezone.now()
    message = OutboxMessage.objects.get()
    assert (message.task_id, message.task_name, message.args) == (
        task_id,
        "worker.consolidate_round",
        [round_.pk],
    )
    assert message.sent_at is None and message.attempts == 1 and message.last_error
    client = api.as_user(coordinator)
    assert client.get(f"/api/tasks/{task_id}/").json()["state"] == "PENDING"

    spare_redis.start()
    assert step("drain", 2) == {"sent": [1, 0]}  # nothing twice
    assert spare_redis.queued() == [("worker.consolidate_round", task_id, [round_.pk])]
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 2 and message.last_error == ""

    log = tmp_path / "worker.log"
    with worker(environment, log):
        assert wait_until(lambda: spare_redis.task_state(task_id) == "SUCCESS", timeout=120)
        assert wait_until(lambda: emails_to(log, COORDINATOR_EMAIL) == 1, timeout=60)
    assert Round.objects.get(pk=round_.pk).status == Round.Status.CONSOLIDATED
    result = json.loads(spare_redis.client().get(f"celery-task-meta-{task_id}"))["result"]
    assert result["supplier_order"] == SupplierOrder.objects.get(round=round_).pk
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


def test_the_consolidated_email_lost_while_redis_was_down_is_sent_once_it_is_back(
    spare_redis, environment, step, tmp_path
):
    round_ = a_round(closed=True)
    UserFactory(role=User.Role.COORDINATOR, email=COORDINATOR_EMAIL)
    spare_redis.start()
    spare_redis.stop()

    # The worker consolidates, and Redis goes down before the e-mail's task is sent.
    supplier_order = step("consolidate_as_the_worker", round_.pk)["supplier_order"]

    # Two e-mails wait: the coordinator's, and the purchase order to the supplier
    # (docs/rounds.md), with the storing of that purchase order as issued
    # (docs/documents.md), all unsent.
    messages = list(OutboxMessage.objects.order_by("pk"))
    assert sorted((m.task_name, m.args[0], m.args[1]) for m in messages) == [
        ("purchasing.document_store", "purchase-order", supplier_order),
        ("worker.send_notification", "purchase_order_to_supplier", supplier_order),
        ("worker.send_notification", "round_consolidated", supplier_order),
    ]
    assert all(m.sent_at is None and m.last_error for m in messages)

    spare_redis.start()
    assert step("drain", 2) == {"sent": [3, 0]}  # a second drain sends nothing again
    assert sorted(spare_redis.queued()) == sorted(
        (m.task_name, m.task_id, m.args) for m in messages
    )

    log = tmp_path / "worker.log"
    with worker(environment, log):
        assert wait_until(
            lambda: all(spare_redis.task_state(m.task_id) == "SUCCESS" for m in messages),
            timeout=120,
        )
    assert emails_to(log, COORDINATOR_EMAIL) == 1


def test_reports_asked_while_redis_is_down_are_generated_once_it_is_back(
    spare_redis, environment, step, tmp_path, api
):
    CooperativeFactory()
    shop = ShopFactory()
    coordinator = UserFactory(role=User.Role.COORDINATOR)
    spare_redis.start()
    spare_redis.stop()

    last_month = format_month(previous_month(current_month()))
    answer = step("generate", last_month, shop.pk, coordinator.pk)

    assert answer["status"] == 202
    run_id = answer["body"]["task_id"]
    report = Report.objects.get(shop=shop)
    assert report.status == Report.Status.PENDING and report.run_id == run_id
    message = OutboxMessage.objects.get()
    assert (message.task_name, message.args, message.sent_at) == (
        "worker.generate_report",
        [report.pk],
        None,
    )
    client = api.as_user(coordinator)
    assert client.get(f"/api/tasks/{run_id}/").json()["state"] == "PENDING"

    spare_redis.start()
    assert step("drain") == {"sent": [1]}
    assert spare_redis.queued() == [("worker.generate_report", message.task_id, [report.pk])]
    with worker(environment, tmp_path / "worker.log"):
        assert wait_until(lambda: Report.objects.get(pk=report.pk).status != "pending", timeout=120)
    assert Report.objects.get(pk=report.pk).status == Report.Status.READY
    assert TaskRun.objects.get(pk=run_id).done == 1
    assert client.get(f"/api/tasks/{run_id}/").json()["state"] == "SUCCESS"
