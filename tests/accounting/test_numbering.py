"""Entry numbers: gap-free per ledger, journal and fiscal year, even with concurrent
posting (two connections) and with a posting rolled back."""

import datetime as dt
import threading

import pytest
from django.db import connections, transaction

from accounting.models import Entry
from tests.factories import ShopFactory, post_bank_charge

pytestmark = pytest.mark.django_db(transaction=True)


def post(ledger, day=dt.date(2026, 10, 15), journal="OD"):
    return post_bank_charge(
        ledger, "1.00", day=day, journal=journal, label="Test", piece_ref="T", line_labels=("", "")
    )


def test_concurrent_postings_get_consecutive_numbers():
    ledger = ShopFactory().ledger
    barrier = threading.Barrier(4)
    errors = []

    def worker():
        try:
            barrier.wait(10)
            for _ in range(5):
                post(ledger)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    numbers = sorted(Entry.objects.filter(ledger=ledger).values_list("number", flat=True))
    assert numbers == list(range(1, 21))


def test_a_rolled_back_posting_leaves_no_gap():
    ledger = ShopFactory().ledger
    post(ledger)
    with pytest.raises(RuntimeError), transaction.atomic():
        post(ledger)
        raise RuntimeError("the rest of the work failed")
    assert post(ledger).number == 2


def test_numbers_restart_each_fiscal_year_and_journal():
    ledger = ShopFactory().ledger
    assert post(ledger, dt.date(2025, 12, 31)).number == 1
    assert post(ledger, dt.date(2026, 1, 1)).number == 1
    assert post(ledger, dt.date(2026, 1, 2), journal="BQ").number == 1
    assert post(ledger, dt.date(2026, 1, 3)).number == 2
