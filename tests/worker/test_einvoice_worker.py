"""The e-invoicing platform on a real Celery worker, through Redis (docs/e-invoicing.md,
"Lifecycle and the platform"): a receipt's invoices reach the outbox once it commits,
and the fetch task records the inbox's status files. The rules and the services alone:
tests/purchasing/test_einvoice_lifecycle.py."""

import json
import time

import pytest

from mache.models import OutboxMessage
from purchasing.models import EInvoiceEvent, Invoice
from purchasing.selectors import with_einvoice_status
from purchasing.tasks import fetch_einvoice_statuses
from tests.factories import ShopFactory
from tests.factories.purchasing import received_round

pytestmark = pytest.mark.django_db(transaction=True)


def wait_until(predicate, timeout=30.0, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def test_issued_invoices_are_deposited_by_the_worker_and_updated_from_the_inbox(
    live_worker, settings, tmp_path
):
    settings.EINVOICE_PLATFORM = "folder"
    outbox = settings.EINVOICE_OUTBOX_DIR = tmp_path / "outbox"
    inbox = settings.EINVOICE_INBOX_DIR = tmp_path / "inbox"
    shops = [ShopFactory(), ShopFactory()]
    invoices = received_round({shops[0]: 6, shops[1]: 12})  # committed: the tasks go
    numbers = sorted(invoice.number for invoice in invoices.values())

    # The worker renders both Factur-X PDFs behind the round's e-mails: a second or two
    # alone, more on a busy machine (the suite runs on two processes): a bound, not a
    # budget.
    assert wait_until(
        lambda: EInvoiceEvent.objects.filter(status="deposited").count() == 2, timeout=90
    )
    assert sorted(path.name for path in outbox.iterdir()) == [f"{n}.pdf" for n in numbers]
    assert all(path.read_bytes().startswith(b"%PDF") for path in outbox.iterdir())
    assert not OutboxMessage.objects.filter(
        task_name="purchasing.einvoice_deposit", sent_at__isnull=True
    ).exists()

    inbox.mkdir()
    (inbox / "status.json").write_text(
        json.dumps({"document": numbers[0], "status": "rejected", "reason": "BR-FR-05"})
    )
    result = fetch_einvoice_statuses.delay().get(timeout=20)
    assert result == {"recorded": 1, "already": 0, "refused": 0, "failed": 0}
    statuses = dict(
        with_einvoice_status(Invoice.objects.all())
        .filter(number__in=numbers)
        .values_list("number", "einvoice_status")
    )
    assert statuses == {numbers[0]: "rejected", numbers[1]: "deposited"}
    assert (inbox / "processed" / "status.json").exists()
