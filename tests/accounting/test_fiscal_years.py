"""Fiscal years (docs/fiscal-years.md): listing, closing with the stored AN entry, the
refusal of any entry dated in a closed year (engine and PostgreSQL), the next year's
FEC that never changes, non-calendar years, and the opening balances of a first year."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounting.fec import fec_export, fec_violations
from accounting.fiscal_calendar import Span, span_named, span_of
from accounting.models import Account, ClosedPeriod, Entry, FiscalYear, Journal
from accounting.services import FiscalYearClosed, LineIn, entry_post, entry_reverse
from accounting.years import fiscal_year_close, fiscal_year_first_set, fiscal_years_ensure
from mache.errors import BusinessRuleError
from mache.periods import paris_today
from shops.models import User
from tests.factories import CooperativeFactory, ShopFactory, UserFactory

D = Decimal
COOP = ("COOP", "Coopérative MACHE")
END_2025 = dt.date(2025, 12, 31)


def post(ledger, day, *lines, journal="OD", piece="P"):
    return entry_post(
        ledger=ledger, journal=journal, date=day, label=piece, piece_ref=piece, lines=list(lines)
    )


def a_year_of_books(ledger):
    """2025: capital in the bank, goods bought from the cooperative, sales in cash."""
    post(
        ledger,
        dt.date(2025, 1, 2),
        LineIn("512000", debit=D("1000.00")),
        LineIn("101300", credit=D("1000.00")),
        journal="BQ",
        piece="CAP",
    )
    post(
        ledger,
        dt.date(2025, 3, 10),
        LineIn("607000", debit=D("300.00")),
        LineIn("445660", debit=D("16.50")),
        LineIn("401000", credit=D("316.50"), auxiliary=COOP),
        journal="ACH",
        piece="F-1",
    )
    post(
        ledger,
        dt.date(2025, 6, 30),
        LineIn("530000", debit=D("527.50")),
        LineIn("707000", credit=D("500.00")),
        LineIn("445710", credit=D("27.50")),
        journal="VTE",
        piece="Z-1",
    )


@pytest.fixture
def books(db, shop):
    CooperativeFactory()
    a_year_of_books(shop.ledger)
    return shop.ledger


def close(api, user, shop, end=END_2025):
    return api.as_user(user).post(
        "/api/fiscal-years/close/", {"shop": shop.pk, "end": str(end)}, format="json"
    )


# --- Listing ----------------------------------------------------------------------------


def test_the_years_are_calendar_years_by_default(api, accountant, shop, books):
    response = api.as_user(accountant).get(f"/api/fiscal-years/?shop={shop.pk}")
    assert response.status_code == 200
    assert [(y["start"], y["end"], y["status"]) for y in response.json()] == [
        ("2025-01-01", "2025-12-31", "open"),
        ("2026-01-01", "2026-12-31", "open"),
    ]
    assert set(response.json()[0]) == {"id", "start", "end", "status"}


def test_another_shops_years_are_not_found(api, shop, other_shop, books):
    stranger = UserFactory(role=User.Role.SHOPKEEPER, shops=[other_shop])
    assert api.as_user(stranger).get(f"/api/fiscal-years/?shop={shop.pk}").status_code == 404
    assert api.as_user(stranger).get("/api/fiscal-years/?shop=coop").status_code == 404


# --- Closing -------------------------------------------------------------------------------


def test_closing_stores_the_next_years_opening_entry(api, coordinator, shop, books):
    response = close(api, coordinator, shop)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "closed" and body["result"] == "200.00"

    year = FiscalYear.objects.get(ledger=books, end=END_2025)
    assert year.closed_at and year.closed_by == coordinator
    assert ClosedPeriod.objects.filter(ledger=books, month__year=2025).count() == 12
    opening = year.opening_entry
    assert opening.journal.code == "AN" and opening.date == dt.date(2026, 1, 1)
    assert opening.reference == "AN-2026-000001" and opening.piece_ref == "AN-2026"
    lines = {
        (line.account.number, line.auxiliary.code if line.auxiliary else ""): (
            line.debit,
            line.credit,
        )
        for line in opening.lines.select_related("account", "auxiliary")
    }
    assert lines == {
        ("101300", ""): (D("0"), D("1000.00")),
        ("120000", ""): (D("0"), D("200.00")),  # 500 sold - 300 bought
        ("401000", "COOP"): (D("0"), D("316.50")),
        ("445660", ""): (D("16.50"), D("0")),
        ("445710", ""): (D("0"), D("27.50")),
        ("512000", ""): (D("1000.00"), D("0")),
        ("530000", ""): (D("527.50"), D("0")),
    }
    assert FiscalYear.objects.filter(ledger=books, start=dt.date(2026, 1, 1)).exists()


def test_a_loss_goes_to_129000(coordinator, shop, books):
    post(
        books,
        dt.date(2025, 7, 1),
        LineIn("658000", debit=D("450.00")),
        LineIn("512000", credit=D("450.00")),
    )
    year = fiscal_year_close(ledger=books, end=END_2025, user=coordinator)
    assert year.result == D("-250.00")
    line = year.opening_entry.lines.get(account__number="129000")
    assert (line.debit, line.credit) == (D("250.00"), D("0"))


def test_nothing_is_accepted_in_a_closed_year(api, coordinator, accountant, shop, books):
    assert close(api, coordinator, shop).status_code == 201
    with pytest.raises(FiscalYearClosed):
        post(
            books,
            dt.date(2025, 12, 15),
            LineIn("658000", debit=D("1")),
            LineIn("512000", credit=D("1")),
        )
    response = api.as_user(accountant).post(
        "/api/entries/",
        {
            "shop": shop.pk,
            "date": "2025-12-15",
            "label": "Oubli",
            "piece_ref": "OUBLI",
            "lines": [
                {"account": "658000", "debit": "250.00"},
                {"account": "512000", "credit": "250.00"},
            ],
        },
        format="json",
    )
    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "fiscal_year_closed"
    original = Entry.objects.get(ledger=books, piece_ref="F-1")
    with pytest.raises(FiscalYearClosed):
        entry_reverse(entry=original, date=dt.date(2025, 12, 31))
    assert not Entry.objects.filter(ledger=books, date__year=2025, piece_ref="OUBLI").exists()


def test_postgresql_refuses_a_row_dated_in_a_closed_year(coordinator, books):
    fiscal_year_close(ledger=books, end=END_2025, user=coordinator)
    journal = Journal.objects.get(ledger=books, code="OD")
    account = Account.objects.get(ledger=books, number="658000")
    with pytest.raises(IntegrityError, match="fiscal_year_closed"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO accounting_entry (ledger_id, journal_id, fiscal_year, number, date,"
                " label, piece_ref, piece_date, posted_at) VALUES (%s, %s, 2025, 999,"
                " '2025-12-15', 'x', 'x', '2025-12-15', %s)",
                [books.pk, journal.pk, timezone.now()],
            )
    line = Entry.objects.get(ledger=books, piece_ref="CAP").lines.first()
    with pytest.raises(IntegrityError, match="fiscal_year_closed"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO accounting_entryline (entry_id, ledger_id, date, account_id, label,"
                " debit, credit) VALUES (%s, %s, '2025-01-02', %s, 'x', 1, 0)",
                [line.entry_id, books.pk, account.pk],
            )
    with pytest.raises(IntegrityError, match="fiscal_year_closed"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM accounting_entryline WHERE id = %s", [line.pk])
    # The next year stays open to the database too.
    with transaction.atomic():
        post(
            books,
            dt.date(2026, 1, 5),
            LineIn("658000", debit=D("1")),
            LineIn("512000", credit=D("1")),
        )


def test_the_next_years_fec_reads_the_stored_entry_and_never_changes(coordinator, books):
    post(
        books, dt.date(2026, 2, 1), LineIn("658000", debit=D("5")), LineIn("530000", credit=D("5"))
    )
    fiscal_year_close(ledger=books, end=END_2025, user=coordinator)
    filename, before = fec_export(ledger=books, year=2026)
    assert fec_violations(before, filename) == []
    rows = [line.split("\t") for line in before.decode().split("\r\n")[1:-1]]
    assert {row[2] for row in rows[:7]} == {"AN-2026-000001"}
    assert rows[7][2] == "OD-2026-000001"
    with pytest.raises(FiscalYearClosed):
        post(
            books,
            dt.date(2025, 12, 15),
            LineIn("658000", debit=D("250")),
            LineIn("512000", credit=D("250")),
        )
    assert fec_export(ledger=books, year=2026)[1] == before
    _, fec_2025 = fec_export(ledger=books, year=2025)
    assert fec_violations(fec_2025, filename.replace("20261231", "20251231")) == []


# --- Bad input: 403, 409, nothing written --------------------------------------------------


def test_only_the_coordinator_closes(api, accountant, shopkeeper, shop, books):
    for user in (accountant, shopkeeper):
        assert close(api, user, shop).status_code == 403
    assert not ClosedPeriod.objects.exists()
    assert FiscalYear.objects.filter(status="closed").count() == 0


def test_closing_twice_is_refused(api, coordinator, shop, books):
    assert close(api, coordinator, shop).status_code == 201
    response = close(api, coordinator, shop)
    assert response.status_code == 409
    assert response.json()["code"] == "already_closed"
    assert Entry.objects.filter(ledger=books, journal__code="AN").count() == 1


def test_a_year_not_over_or_unknown_is_refused(api, coordinator, shop, books):
    assert close(api, coordinator, shop, end=dt.date(2025, 6, 30)).status_code == 400
    assert not ClosedPeriod.objects.exists()
    assert close(api, coordinator, shop).status_code == 201
    response = close(api, coordinator, shop, end=dt.date(2026, 12, 31))
    assert response.status_code == 409
    assert response.json()["code"] == "months_not_closable"
    assert not ClosedPeriod.objects.filter(month__year=2026).exists()


def test_an_earlier_open_year_comes_first(coordinator, shop, books):
    post(
        books,
        dt.date(2024, 5, 2),
        LineIn("512000", debit=D("10")),
        LineIn("101300", credit=D("10")),
    )
    with pytest.raises(Exception, match="Clôturez d'abord") as raised:
        fiscal_year_close(ledger=books, end=END_2025, user=coordinator)
    assert raised.value.code == "previous_year_open"
    fiscal_year_close(ledger=books, end=dt.date(2024, 12, 31), user=coordinator)
    year = fiscal_year_close(ledger=books, end=END_2025, user=coordinator)
    # The 2026 AN carries 2024 once: from the 2025 AN on, not from the start.
    capital = year.opening_entry.lines.get(account__number="101300")
    assert capital.credit == D("1010.00")


def test_an_unsettled_suspense_account_is_refused(api, coordinator, shop, books):
    post(
        books,
        dt.date(2025, 8, 1),
        LineIn("580000", debit=D("40")),
        LineIn("512000", credit=D("40")),
    )
    response = close(api, coordinator, shop)
    assert response.status_code == 409
    assert response.json()["code"] == "suspense_not_cleared"
    assert "580000 (40,00\u00a0€ débiteur)" in response.json()["detail"]
    assert not ClosedPeriod.objects.exists()
    assert not Entry.objects.filter(journal__code="AN").exists()
    assert FiscalYear.objects.filter(status="closed").count() == 0


# --- Years that are not calendar years -------------------------------------------------------


def test_a_long_first_year_names_its_entries_and_file_by_its_closing(db, coordinator):
    CooperativeFactory()
    shop = ShopFactory(joined_on=dt.date(2024, 9, 1))
    ledger = shop.ledger
    with pytest.raises(Exception, match="24 mois"):
        fiscal_year_first_set(ledger=ledger, end=dt.date(2026, 9, 30), user=coordinator)
    fiscal_year_first_set(ledger=ledger, end=dt.date(2025, 12, 31), user=coordinator)
    entry = post(
        ledger,
        dt.date(2024, 10, 1),
        LineIn("512000", debit=D("9")),
        LineIn("101300", credit=D("9")),
    )
    assert entry.fiscal_year == 2025 and entry.reference == "OD-2025-000001"
    filename, content = fec_export(ledger=ledger, year=2025)
    assert filename.endswith("FEC20251231.txt")
    assert "OD-2025-000001" in content.decode()
    # A year of another length than twelve months: the checker is told its first day.
    assert fec_violations(content, filename, start=dt.date(2024, 9, 1)) == []


def test_a_year_closing_on_june_30th_is_followed_by_twelve_month_years(db, coordinator):
    CooperativeFactory()
    shop = ShopFactory(joined_on=dt.date(2024, 7, 1))
    fiscal_year_first_set(ledger=shop.ledger, end=dt.date(2025, 6, 30), user=coordinator)
    entry = post(
        shop.ledger,
        dt.date(2025, 8, 1),
        LineIn("512000", debit=D("9")),
        LineIn("101300", credit=D("9")),
    )
    assert entry.fiscal_year == 2026
    year = fiscal_year_close(ledger=shop.ledger, end=dt.date(2025, 6, 30), user=coordinator)
    assert year.opening_entry is None  # nothing to carry forward
    assert FiscalYear.objects.filter(
        ledger=shop.ledger, start=dt.date(2025, 7, 1), end=dt.date(2026, 6, 30)
    ).exists()
    filename, content = fec_export(ledger=shop.ledger, year=2026)
    assert filename.endswith("FEC20260630.txt")
    assert fec_violations(content, filename) == []


# --- Opening balances ---------------------------------------------------------------------


def opening(shop, lines, date="2025-01-01"):
    return {"shop": shop.pk, "date": date, "lines": lines}


GOOD_LINES = [
    {"account": "101300", "credit": "800.00"},
    {"account": "512000", "debit": "900.00"},
    {"account": "401000", "aux": "COOP", "credit": "100.00"},
]


def test_the_accountant_types_a_first_years_opening_balances(api, accountant, shop):
    CooperativeFactory()
    response = api.as_user(accountant).post(
        "/api/opening-balances/", opening(shop, GOOD_LINES), format="json"
    )
    assert response.status_code == 201, response.json()
    entry = Entry.objects.get(pk=response.json()["id"])
    assert entry.reference == "AN-2025-000001" and entry.date == dt.date(2025, 1, 1)
    post(
        shop.ledger,
        dt.date(2025, 2, 1),
        LineIn("658000", debit=D("5")),
        LineIn("512000", credit=D("5")),
    )
    filename, content = fec_export(ledger=shop.ledger, year=2025)
    assert fec_violations(content, filename) == []
    rows = [line.split("\t") for line in content.decode().split("\r\n")[1:-1]]
    assert [(r[2], r[4], r[6], r[11], r[12]) for r in rows[:3]] == [
        ("AN-2025-000001", "101300", "", "0,00", "800,00"),
        ("AN-2025-000001", "512000", "", "900,00", "0,00"),
        ("AN-2025-000001", "401000", "COOP", "0,00", "100,00"),
    ]
    again = api.as_user(accountant).post(
        "/api/opening-balances/", opening(shop, GOOD_LINES), format="json"
    )
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            [{"account": "101300", "credit": "800.00"}, {"account": "512000", "debit": "900.00"}],
            "déséquilibrés",
        ),
        (
            [{"account": "101300", "credit": "5.00"}, {"account": "999999", "debit": "5.00"}],
            "Ligne 2 : compte 999999 absent",
        ),
        (
            [{"account": "512000", "debit": "5.00"}, {"account": "401000", "credit": "5.00"}],
            "Ligne 2 : compte 401000 sans compte auxiliaire",
        ),
        (
            [{"account": "512000", "debit": "5.00"}, {"account": "707000", "credit": "5.00"}],
            "Ligne 2 : compte 707000 de classe 7",
        ),
    ],
)
def test_bad_opening_balances_are_400_naming_the_line(api, accountant, shop, lines, message):
    response = api.as_user(accountant).post(
        "/api/opening-balances/", opening(shop, lines), format="json"
    )
    assert response.status_code == 400
    assert any(message in text for text in response.json()["lines"]), response.json()
    assert not Entry.objects.exists()
    assert not Journal.objects.filter(code="AN").exists()


def test_opening_balances_come_before_any_other_entry(api, accountant, shopkeeper, shop, books):
    response = api.as_user(accountant).post(
        "/api/opening-balances/", opening(shop, GOOD_LINES), format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "entries_exist"
    assert (
        api.as_user(shopkeeper)
        .post("/api/opening-balances/", opening(shop, GOOD_LINES), format="json")
        .status_code
        == 403
    )


def test_opening_balances_are_dated_the_years_first_day(api, coordinator):
    shop = ShopFactory()
    response = api.as_user(coordinator).post(
        "/api/opening-balances/", opening(shop, GOOD_LINES, date="2025-03-01"), format="json"
    )
    assert response.status_code == 400
    assert "01/01/2025" in response.json()["date"][0]
    assert not Entry.objects.exists()


def test_a_year_before_the_stored_ones_is_closed_first(coordinator, books):
    fiscal_years_ensure(ledger=books)  # 2025 and 2026 stored
    post(
        books,
        dt.date(2024, 5, 2),
        LineIn("512000", debit=D("10")),
        LineIn("101300", credit=D("10")),
    )
    with pytest.raises(BusinessRuleError) as raised:
        fiscal_year_close(ledger=books, end=END_2025, user=coordinator)
    assert raised.value.code == "previous_year_open"
    assert [y.end.year for y in fiscal_years_ensure(ledger=books)] == [2024, 2025, 2026]


def test_a_day_before_a_closed_year_is_closed_too(coordinator, books):
    fiscal_year_close(ledger=books, end=END_2025, user=coordinator)
    with pytest.raises(FiscalYearClosed):
        post(
            books,
            dt.date(2023, 5, 2),
            LineIn("512000", debit=D("10")),
            LineIn("101300", credit=D("10")),
        )
    journal = Journal.objects.get(ledger=books, code="OD")
    with pytest.raises(IntegrityError, match="fiscal_year_closed"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO accounting_entry (ledger_id, journal_id, fiscal_year, number, date,"
                " label, piece_ref, piece_date, posted_at) VALUES (%s, %s, 2023, 999,"
                " '2023-05-02', 'x', 'x', '2023-05-02', %s)",
                [books.pk, journal.pk, timezone.now()],
            )


# --- Which year a day belongs to (pure) ---------------------------------------------------


class Stored:
    def __init__(self, start, end, status="open", pk=1):
        self.start, self.end, self.status, self.pk = start, end, status, pk


def test_the_years_after_the_stored_ones_roll_on_the_same_closing():
    june = [Stored(dt.date(2024, 7, 1), dt.date(2025, 6, 30))]
    assert span_of(dt.date(2026, 7, 1), june) == Span(dt.date(2026, 7, 1), dt.date(2027, 6, 30))
    assert span_of(dt.date(2025, 6, 30), june).pk == 1
    assert span_of(dt.date(2024, 3, 1), june) == Span(dt.date(2024, 1, 1), dt.date(2024, 6, 30))
    assert span_of(dt.date(2023, 3, 1), []) == Span(dt.date(2023, 1, 1), dt.date(2023, 12, 31))
    assert span_named(2027, june) == Span(dt.date(2026, 7, 1), dt.date(2027, 6, 30))
    february = [Stored(dt.date(2023, 3, 1), dt.date(2024, 2, 29))]
    assert span_of(dt.date(2025, 1, 1), february).end == dt.date(2025, 2, 28)
    closed = [Stored(dt.date(2025, 1, 1), dt.date(2025, 12, 31), "closed")]
    assert span_of(dt.date(2020, 1, 1), closed).closed
    assert not span_of(dt.date(2026, 1, 1), closed).closed


def test_the_cooperatives_years_and_the_an_journal_kept_from_hand_entries(api, coordinator, db):
    CooperativeFactory()
    client = api.as_user(coordinator)
    response = client.get("/api/fiscal-years/?shop=coop")
    assert response.status_code == 200
    assert response.json()[-1]["end"] == f"{paris_today().year}-12-31"
    shop = ShopFactory()
    client.post(
        "/api/opening-balances/",
        {"shop": shop.pk, "date": "2026-01-01", "lines": GOOD_LINES},
        format="json",
    )
    by_hand = client.post(
        "/api/entries/",
        {
            "shop": shop.pk,
            "journal": "AN",
            "date": "2026-02-01",
            "label": "À la main",
            "piece_ref": "X",
            "lines": [
                {"account": "512000", "debit": "1.00"},
                {"account": "101300", "credit": "1.00"},
            ],
        },
        format="json",
    )
    assert by_hand.status_code == 400
    assert "journal" in by_hand.json()
