"""Tasks are enqueued as themselves, never by a name typed as a string, and e-mails are
plain functions of their app (docs/tasks.md)."""

import pytest
from django.core import mail

from mache.models import OutboxMessage
from mache.notifications import notification_for, notify_on_commit, send_notification
from mache.outbox import enqueue_on_commit
from purchasing.services import notifications
from purchasing.tasks import consolidate_round, sweep_rounds
from shops.models import User
from tests.factories import RoundFactory, UserFactory
from worker.reports.build import generate_report, report_ready_email

pytestmark = pytest.mark.django_db


def test_a_task_named_by_a_string_is_refused():
    with pytest.raises(TypeError):
        enqueue_on_commit("worker.consolidate_round", 1)
    assert not OutboxMessage.objects.exists()


def test_the_tasks_keep_the_names_queued_messages_and_beat_use():
    assert [
        t.name for t in (consolidate_round, sweep_rounds, generate_report, send_notification)
    ] == [
        "worker.consolidate_round",
        "worker.sweep_rounds",
        "worker.generate_report",
        "worker.send_notification",
    ]


def test_a_notification_is_queued_by_its_function_under_its_kind():
    notify_on_commit(notifications.round_cancelled, 42)
    message = OutboxMessage.objects.get()
    assert (message.task_name, message.args) == (
        "worker.send_notification",
        ["round_cancelled", 42],
    )
    assert notification_for("round_cancelled") is notifications.round_cancelled
    assert notification_for("round_consolidated") is notifications.round_consolidated
    assert notification_for("report_ready") is report_ready_email
    with pytest.raises(LookupError):
        notification_for("nothing")


def test_the_notification_task_calls_the_function_of_the_kind():
    round_ = RoundFactory()
    UserFactory(role=User.Role.SHOPKEEPER, email="a@mache.example")
    assert send_notification.run("round_cancelled", round_.pk) == 0  # nobody ordered
    assert mail.outbox == []
