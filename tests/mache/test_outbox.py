"""The outbox on the suite's own Redis, and the cache failing open (docs/tasks.md).
Redis actually stopped and started again: test_outbox_redis_down.py."""

import datetime as dt
import logging
import socket
import threading
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from mache.cache import cached
from mache.celery import app
from mache.models import OutboxMessage
from mache.outbox import enqueue_on_commit, outbox_drain, outbox_prune
from mache.periods import current_month, format_month, previous_month
from tests.factories import CooperativeFactory, ShopFactory
from worker.models import Report
from worker.tasks import ping


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


def a_waiting_message(**fields) -> OutboxMessage:
    return OutboxMessage.objects.create(
        task_id=str(uuid.uuid4()), task_name="worker.ping", **fields
    )


def test_publishing_gives_up_within_a_second_or_two_when_the_broker_is_down():
    # Celery's defaults made a request wait 19 s (20 retries of the result backend a
    # second apart) before failing: each layer is bounded now.
    assert app.conf.broker_transport_options["socket_connect_timeout"] <= 1
    assert app.conf.broker_connection_timeout <= 1
    assert app.conf.task_publish_retry_policy["max_retries"] <= 1
    assert app.conf.task_publish_retry_policy["interval_max"] <= 0.5
    assert app.conf.redis_socket_connect_timeout <= 1
    backend_policy = app.backend.retry_policy
    assert backend_policy["max_retries"] <= 2 and backend_policy["interval_max"] <= 0.5
    options = settings.CACHES["default"]["OPTIONS"]
    assert options["socket_connect_timeout"] <= 1 and options["socket_timeout"] <= 1


def test_beat_drains_the_outbox_every_minute():
    app.loader.import_default_modules()
    entries = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "mache.outbox_drain"
    ]
    assert len(entries) == 1 and entries[0]["schedule"] <= 60
    assert "mache.outbox_drain" in app.tasks


@pytest.mark.django_db(transaction=True)
def test_the_task_row_commits_with_the_work_and_is_sent_after_commit():
    with transaction.atomic():
        task_id = enqueue_on_commit(ping)
        waiting = OutboxMessage.objects.get(task_id=task_id)
        assert waiting.task_name == "worker.ping" and waiting.sent_at is None
    sent = OutboxMessage.objects.get(task_id=task_id)
    assert sent.sent_at is not None and sent.attempts == 1 and sent.last_error == ""


@pytest.mark.django_db(transaction=True)
def test_work_rolled_back_sends_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(ping)
        raise RuntimeError("the write failed")
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_next_send_drains_what_the_broker_could_not_take():
    left = a_waiting_message(attempts=1, last_error="OperationalError: Connection refused")
    enqueue_on_commit(ping)
    left.refresh_from_db()
    assert left.sent_at is not None and left.attempts == 2 and left.last_error == ""
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_a_row_being_sent_by_another_drain_is_skipped_not_sent_twice():
    row = a_waiting_message()
    locked, release = threading.Event(), threading.Event()

    def other_drain():
        try:
            with transaction.atomic():
                OutboxMessage.objects.select_for_update().get(pk=row.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=other_drain)
    thread.start()
    try:
        assert locked.wait(timeout=30)
        assert outbox_drain() == 0
    finally:
        release.set()
        thread.join(timeout=30)
    assert OutboxMessage.objects.get(pk=row.pk).attempts == 0
    assert outbox_drain() == 1


@pytest.mark.django_db
def test_sent_rows_are_kept_a_week_for_the_audit():
    now = timezone.now()
    old = a_waiting_message(sent_at=now - dt.timedelta(days=8))
    recent = a_waiting_message(sent_at=now - dt.timedelta(days=6))
    unsent = a_waiting_message(created_at=now - dt.timedelta(days=30))
    assert outbox_prune(now=now) == 1
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {recent.pk, unsent.pk}
    assert not OutboxMessage.objects.filter(pk=old.pk).exists()


@pytest.fixture
def cache_down(settings):
    """The cache points to a Redis that does not answer (the client's options kept)."""
    default = settings.CACHES["default"]
    settings.CACHES = {"default": {**default, "LOCATION": f"redis://127.0.0.1:{closed_port()}/1"}}


def test_a_cache_down_is_computed_without_and_logged(cache_down, caplog):
    with caplog.at_level(logging.WARNING, logger="mache.cache"):
        assert cached("answer", lambda: 42, timeout=60) == 42
    assert "cache unreachable" in caplog.text


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


@pytest.mark.django_db
def test_a_shop_report_is_built_with_the_cache_down(cache_down, media):
    from worker.reports.build import report_build
    from worker.services import reports_generate

    CooperativeFactory()
    shop = ShopFactory()
    run = reports_generate(month=format_month(previous_month(current_month())), shop_ids=[shop.pk])
    report = report_build(report_id=Report.objects.get(run=run).pk)
    assert report.status == Report.Status.READY and report.file.name
