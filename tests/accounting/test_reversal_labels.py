"""Reversals an auditor can identify (issue 13, point 4; docs/postings.md, "Reversals"):
each line labelled `Extourne <EcritureNum> : <label>`, the reversal's own piece
`EXT-<EcritureNum>` dated its day, a date chosen in an open period (409 in a closed
month, nothing written)."""

import datetime as dt

import pytest

from accounting.fec import fec_export, fec_violations
from accounting.models import ClosedPeriod, Entry
from accounting.services import entry_reverse
from tests.factories import post_bank_charge, post_entry
from tests.factories.accounting import credit, debit


@pytest.fixture
def client(api, accountant):
    return api.as_user(accountant)


def test_a_reversals_lines_name_the_entry_it_reverses(client, shop, today):
    month_start = today.replace(day=1)
    original = post_bank_charge(shop.ledger, day=month_start, piece_ref="REL-0042")
    response = client.post(f"/api/entries/{original.pk}/reverse/", {}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    ref = original.reference
    assert body["label"] == f"Extourne {ref} : Régularisation"
    assert [ln["label"] for ln in body["lines"]] == [
        f"Extourne {ref} : Charge",
        f"Extourne {ref} : Banque",
    ]
    assert (body["piece_ref"], body["piece_date"], body["date"]) == (
        f"EXT-{ref}",
        str(today),
        str(today),
    )


def test_a_reversal_is_dated_the_day_chosen(client, shop, today):
    month_start = today.replace(day=1)
    original = post_bank_charge(shop.ledger, day=month_start)
    response = client.post(
        f"/api/entries/{original.pk}/reverse/", {"date": str(month_start)}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["date"], response.json()["piece_date"]) == (
        str(month_start),
        str(month_start),
    )


def test_a_reversal_into_a_closed_month_is_409_and_writes_nothing(client, shop, today):
    month_start = today.replace(day=1)
    last_month = (month_start - dt.timedelta(days=1)).replace(day=1)
    original = post_bank_charge(shop.ledger, day=last_month)
    ClosedPeriod.objects.create(ledger=shop.ledger, month=last_month)
    response = client.post(
        f"/api/entries/{original.pk}/reverse/",
        {"date": str(last_month + dt.timedelta(days=1))},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "period_closed"
    assert Entry.objects.count() == 1
    # The same entry reversed in the open month: accepted.
    response = client.post(f"/api/entries/{original.pk}/reverse/", {}, format="json")
    assert response.status_code == 201


def test_a_long_label_is_cut_to_the_columns_width(shop):
    original = post_bank_charge(shop.ledger, label="x" * 200, line_labels=("y" * 200, "z"))
    reversal = entry_reverse(entry=original)
    assert len(reversal.label) == 200
    assert reversal.label.startswith(f"Extourne {original.reference} : xxx")
    assert [len(line.label) for line in reversal.lines.all()][0] == 200


def test_the_fec_shows_the_reversal_with_its_own_piece_and_labels(shop, today):
    # Given an invoice and its reversal in the same year
    day = dt.date(today.year, 1, 5) if today.month > 1 else today
    invoice = post_entry(
        shop.ledger,
        "ACH",
        day,
        "Facture F-77",
        "F-77",
        debit("607000", "100.00", label="Marchandises"),
        debit("445660", "5.50", label="TVA 5,5 %"),
        credit("401000", "105.50", auxiliary=("COOP", "Coopérative MACHE")),
    )
    reversal = entry_reverse(entry=invoice, date=day)
    # When the year's FEC is exported
    filename, content = fec_export(ledger=shop.ledger, year=day.year)
    # Then it passes the check, and the reversal's lines carry EXT-<num> and the label
    assert fec_violations(content, filename) == []
    rows = [row.split("\t") for row in content.decode().splitlines()[1:]]
    original_num = next(r[2] for r in rows if r[8] == "F-77")
    assert original_num == invoice.reference
    reversed_rows = [r for r in rows if r[2] == reversal.reference]
    assert {(r[8], r[9]) for r in reversed_rows} == {(f"EXT-{original_num}", f"{day:%Y%m%d}")}
    assert [(r[4], r[6], r[10], r[11], r[12]) for r in reversed_rows] == [
        ("607000", "", f"Extourne {original_num} : Marchandises", "0,00", "100,00"),
        ("445660", "", f"Extourne {original_num} : TVA 5,5 %", "0,00", "5,50"),
        ("401000", "COOP", f"Extourne {original_num} : Facture F-77", "105,50", "0,00"),
    ]
