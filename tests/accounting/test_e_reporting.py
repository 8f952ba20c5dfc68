"""B2C e-reporting (issue 16, point 5; docs/e-reporting.md): the Z ticket's number of
sales, the shop's VAT regime and its periods, the days per rate as the entries post them,
GET /api/e-reporting/ (JSON, CSV), the month's page reconciled with the sales journal."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import strategies as st

from accounting import accounts
from accounting.ereporting.rules import (
    MONTHLY,
    QUARTERLY,
    SIMPLIFIED,
    Period,
    day_report,
    period_of,
    periods_of_month,
    rate_totals,
    reconcile,
)
from accounting.ereporting.selectors import EReport, e_reporting_days
from accounting.models import SalesDay
from accounting.sales.rules import MAX_TRANSACTIONS, RateSales, sales_entry_lines
from accounting.sales.services import sales_day_record
from accounting.services import LineIn, entry_post, entry_reverse, ledger_for_shop
from accounting.statements import vat_statement
from mache.errors import InvalidInput
from mache.fields import VAT_RATES
from shops.models import Shop, User
from tests.factories import UserFactory
from tests.helpers import page_text

D = Decimal
URL = "/api/e-reporting/"
# A past month of 31 days, in an open year: its 31st closes the third period.
OCTOBER = dt.date(2026, 10, 1)


def day(n: int) -> dt.date:
    return OCTOBER.replace(day=n)


def record(api, user, shop, on, lines, transactions=None):
    """A Z ticket through the API: `lines` {rate: amount incl. VAT}, paid by card."""
    body = {
        "shop": shop.pk,
        "date": on.isoformat(),
        "lines": [{"vat_rate": rate, "amount_incl_vat": amount} for rate, amount in lines.items()],
        "payments": {"card": str(sum(D(amount) for amount in lines.values()))},
    }
    if transactions is not None:
        body["transactions"] = transactions
    response = api.as_user(user).post("/api/sales/", body, format="json")
    assert response.status_code == 201, response.json()
    return SalesDay.objects.select_related("entry").get(pk=response.json()["id"])


def get(api, user, **query):
    return api.as_user(user).get(URL, query)


# --- The periods of each regime (pure) ----------------------------------------------------


@pytest.mark.parametrize(
    ("month", "last"),
    [
        (dt.date(2026, 2, 1), 28),
        (dt.date(2024, 2, 1), 29),
        (dt.date(2026, 4, 1), 30),
        (dt.date(2026, 10, 1), 31),
        (dt.date(2026, 12, 1), 31),
    ],
)
def test_the_monthly_regime_reports_three_periods_the_last_ending_with_the_month(month, last):
    end = month.replace(day=last)
    assert periods_of_month(month, MONTHLY) == [
        Period(month, month.replace(day=10)),
        Period(month.replace(day=11), month.replace(day=20)),
        Period(month.replace(day=21), end),
    ]
    # any day of the month names its period, the month's first and last included
    assert period_of(month, MONTHLY).end == month.replace(day=10)
    assert period_of(month.replace(day=10), MONTHLY).start == month
    assert period_of(month.replace(day=11), MONTHLY).end == month.replace(day=20)
    assert period_of(month.replace(day=21), MONTHLY).end == end
    assert period_of(end, MONTHLY) == Period(month.replace(day=21), end)


@pytest.mark.parametrize("regime", [QUARTERLY, SIMPLIFIED])
@pytest.mark.parametrize(("month", "last"), [((2026, 2), 28), ((2024, 2), 29), ((2026, 11), 30)])
def test_the_other_regimes_report_the_month_at_once(regime, month, last):
    first = dt.date(*month, 1)
    assert periods_of_month(first.replace(day=17), regime) == [
        Period(first, first.replace(day=last))
    ]
    assert period_of(first.replace(day=last), regime) == Period(first, first.replace(day=last))


def test_an_unknown_regime_is_a_bug_not_a_period():
    with pytest.raises(ValueError):
        periods_of_month(OCTOBER, "annual")


def test_the_regimes_are_the_shops():
    assert {MONTHLY, QUARTERLY, SIMPLIFIED} == set(Shop.VatRegime.values)


# --- A day's figures are the entry's (pure) ---------------------------------------------------

amounts = st.decimals(min_value=D("0.00"), max_value=D("99999.99"), places=2)


@given(st.dictionaries(st.sampled_from(VAT_RATES).map(D), amounts, min_size=1))
def test_a_days_base_and_vat_per_rate_are_what_its_entry_credits(lines):
    # given a Z ticket's lines, when the day is reported and its entry made
    report = day_report(OCTOBER, 12, list(lines.items()))
    total = sum(lines.values(), D("0.00"))
    entry = sales_entry_lines(lines=list(lines.items()), cash=total, card=D(0), other=D(0))

    # then each rate's base is the 707000 credit and its VAT the 445710 credit
    def credited(account):
        return {
            line.vat_rate: line.credit for line in entry if line.account == account and line.credit
        }

    assert {s.rate: s.base for s in report.by_rate if s.base} == credited(accounts.SALES)
    assert {s.rate: s.vat for s in report.by_rate if s.vat} == credited(accounts.VAT_COLLECTED)
    assert sum((s.base + s.vat for s in report.by_rate), D("0.00")) == total
    assert report.category == "goods" and report.transactions == 12


def test_totals_and_reconciliation_per_rate():
    days = [
        day_report(day(1), 3, [(D("5.50"), D("10.55")), (D("20.00"), D("12.00"))]),
        day_report(day(2), None, [(D("5.50"), D("21.10"))]),
    ]
    totals = rate_totals(days)
    assert totals == [
        RateSales(D("5.50"), D("30.00"), D("1.65")),
        RateSales(D("20.00"), D("10.00"), D("2.00")),
    ]
    books = [(D("5.50"), D("30.00"), D("1.65")), (D("20.00"), D("9.00"), D("1.80"))]
    books.append((None, D("0.00"), D("0.50")))  # a VAT line that names no rate
    checks = reconcile(totals, books)
    assert [(c.rate, c.equal, c.base_gap, c.vat_gap) for c in checks] == [
        (D("5.50"), True, D("0.00"), D("0.00")),
        (D("20.00"), False, D("1.00"), D("0.20")),
        (None, False, D("0.00"), D("-0.50")),
    ]


# --- The month in the books: the test ---------------------------------------------------


@pytest.fixture
def month_of_sales(api, shopkeeper, shop):
    """October under the monthly regime: tickets on the periods' first and last days, one
    of them reversed the same day and entered again, and a purchase in the shop's books."""
    Shop.objects.filter(pk=shop.pk).update(vat_regime=MONTHLY)
    shop.refresh_from_db()
    record(api, shopkeeper, shop, day(1), {"5.50": "842.35", "20.00": "310.20"}, 152)
    record(api, shopkeeper, shop, day(10), {"5.50": "10.55", "2.10": "102.10"}, 9)
    wrong = record(api, shopkeeper, shop, day(11), {"20.00": "999.99"}, 500)
    entry_reverse(entry=wrong.entry, date=day(11))
    record(api, shopkeeper, shop, day(11), {"20.00": "99.99", "0.00": "4.00"}, 50)
    record(api, shopkeeper, shop, day(20), {"10.00": "110.00"})  # no count given
    record(api, shopkeeper, shop, day(21), {"5.50": "0.03"}, 1)
    record(api, shopkeeper, shop, day(31), {"5.50": "1204.10", "20.00": "87.30"}, 201)
    # Goods bought: deductible VAT, nothing collected.
    entry_post(
        ledger=ledger_for_shop(shop),
        journal="ACH",
        date=day(15),
        label="Facture de la coopérative",
        piece_ref="MACHE-2026-000001",
        lines=[
            LineIn(accounts.PURCHASES, debit=D("100.00"), vat_rate=D("5.50")),
            LineIn(accounts.VAT_DEDUCTIBLE, debit=D("5.50"), vat_rate=D("5.50")),
            LineIn(accounts.SUPPLIERS, credit=D("105.50"), auxiliary=("COOP", "Coopérative")),
        ],
    )
    return shop


def test_the_months_e_reporting_equals_the_vat_statements_collected_lines(month_of_sales):
    shop = month_of_sales
    # given the month's e-reporting, period by period
    days = [
        report
        for period in periods_of_month(OCTOBER, shop.vat_regime)
        for report in e_reporting_days(shop=shop, date_from=period.start, date_to=period.end)
    ]
    # then its totals per rate are the VAT statement's collected lines (445710) of the month
    statement = vat_statement(ledger=ledger_for_shop(shop), date_from=day(1), date_to=day(31))
    assert [(line.rate, line.base, line.amount) for line in statement.collected] == [
        (total.rate, total.base, total.vat) for total in rate_totals(days)
    ]
    assert statement.total_collected == D("202.25")  # the figures are not all zero
    assert len(days) == 6  # the reversed ticket reports nothing


def test_the_api_gives_each_day_with_its_count_and_rates(api, shopkeeper, month_of_sales):
    response = get(
        api, shopkeeper, shop=month_of_sales.pk, **{"from": "2026-10-10", "to": "2026-10-11"}
    )
    assert response.status_code == 200
    assert response.json() == [
        {
            "date": "2026-10-10",
            "category": "goods",
            "transactions": 9,
            "by_rate": [
                {"rate": "2.10", "base": "100.00", "vat": "2.10"},
                {"rate": "5.50", "base": "10.00", "vat": "0.55"},
            ],
        },
        {
            # the ticket entered again, not the reversed one (999.99 and 500 sales)
            "date": "2026-10-11",
            "category": "goods",
            "transactions": 50,
            "by_rate": [
                {"rate": "0.00", "base": "4.00", "vat": "0.00"},
                {"rate": "20.00", "base": "83.32", "vat": "16.67"},
            ],
        },
    ]
    # a day without a count says so
    response = get(
        api, shopkeeper, shop=month_of_sales.pk, **{"from": "2026-10-20", "to": "2026-10-20"}
    )
    assert response.json()[0]["transactions"] is None


def test_a_reversed_ticket_without_a_new_one_reports_nothing(api, shopkeeper, shop):
    ticket = record(api, shopkeeper, shop, day(5), {"20.00": "120.00"}, 4)
    entry_reverse(entry=ticket.entry, date=day(5))
    response = get(api, shopkeeper, shop=shop.pk, **{"from": "2026-10-01", "to": "2026-10-31"})
    assert response.status_code == 200 and response.json() == []


def test_the_csv_has_a_row_per_day_and_rate(api, accountant, month_of_sales):
    response = get(
        api,
        accountant,
        shop=month_of_sales.pk,
        format="csv",
        **{"from": "2026-10-01", "to": "2026-10-10"},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="e-reporting-{month_of_sales.pk}-2026-10-01-2026-10-10.csv"'
    )
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows == [
        ["Jour", "Catégorie", "Nombre de ventes", "Taux", "Base HT", "TVA"],
        ["01/10/2026", "goods", "152", "5,50", "798,44", "43,91"],
        ["01/10/2026", "goods", "", "20,00", "258,50", "51,70"],
        ["10/10/2026", "goods", "9", "2,10", "100,00", "2,10"],
        ["10/10/2026", "goods", "", "5,50", "10,00", "0,55"],
    ]
    # The day's number of sales once: the column adds up to the sales of the span.
    assert sum(int(row[2]) for row in rows[1:] if row[2]) == 152 + 9


def test_a_day_with_nothing_to_report_per_rate_is_a_row_of_the_csv_as_in_the_json(shop):
    # A ticket whose lines are all zero: the JSON lists the day with no rate, so does
    # the CSV (one row, its count, no rate).
    days = [day_report(day(2), 0, [(D("5.50"), D("0.00"))]), day_report(day(3), 4, [])]
    report = EReport(shop, day(1), day(3), days)
    assert [row.cells for row in report.table().rows] == [
        (day(2), "goods", "0", None, None, None),
        (day(3), "goods", "4", None, None, None),
    ]


# --- Who reads it, and bad input ---------------------------------------------------------------


def test_the_shops_people_its_accountant_and_the_coordinator_read_it_others_get_404(
    api, shopkeeper, accountant, coordinator, shop, other_shop
):
    record(api, shopkeeper, shop, day(3), {"5.50": "21.10"}, 2)
    query = {"shop": shop.pk, "from": "2026-10-01", "to": "2026-10-31"}
    for user in (shopkeeper, accountant, coordinator):
        response = api.as_user(user).get(URL, query)
        assert response.status_code == 200 and len(response.json()) == 1, user
    for role in (User.Role.SHOPKEEPER, User.Role.ACCOUNTANT):
        stranger = UserFactory(role=role, shops=[other_shop])
        assert api.as_user(stranger).get(URL, query).status_code == 404
        assert api.as_user(stranger).get(URL, {**query, "format": "csv"}).status_code == 404
    api.credentials()
    assert api.get(URL, query).status_code == 401


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"to": "2026-10-31"}, "from", "Ce champ est obligatoire."),
        ({"from": "2026-10-31", "to": "2026-10-01"}, "from", "La date de début (from) suit"),
        ({"from": "2026-01-01", "to": "2027-01-02"}, "to", "366 jours au plus"),
        ({"from": "31/10/2026", "to": "2026-10-31"}, "from", "La date n'a pas le bon format"),
        (
            {"from": "2026-10-01", "to": "2026-10-31", "format": "xlsx"},
            "format",
            "n'est pas un choix valide",
        ),
        (
            {"shop": "coop", "from": "2026-10-01", "to": "2026-10-31"},
            "shop",
            "L'identifiant d'un commerce",
        ),
    ],
)
def test_bad_input_is_400_in_french(api, shopkeeper, shop, query, field, message):
    response = api.as_user(shopkeeper).get(URL, {"shop": shop.pk, **query})
    assert response.status_code == 400
    assert message in response.json()[field][0]


def test_the_query_count_does_not_grow_with_the_days(
    api, shopkeeper, shop, django_assert_num_queries
):
    query = {"shop": shop.pk, "from": "2026-10-01", "to": "2026-10-31"}
    record(api, shopkeeper, shop, day(1), {"5.50": "21.10"}, 2)
    client = api.as_user(shopkeeper)
    # the token and its user, the shop in the user's scope, the tickets, their lines
    with django_assert_num_queries(4):
        assert len(client.get(URL, query).json()) == 1
    for n in (2, 3, 4):
        record(api, shopkeeper, shop, day(n), {"5.50": "21.10", "20.00": "1.20"}, n)
    with django_assert_num_queries(4):
        assert len(client.get(URL, query).json()) == 4
    with django_assert_num_queries(4):
        client.get(URL, {**query, "format": "csv"})


def test_a_span_of_366_days_is_read(api, shopkeeper, shop):
    query = {"shop": shop.pk, "from": "2026-01-01", "to": "2027-01-01"}
    assert api.as_user(shopkeeper).get(URL, query).status_code == 200


# --- The Z ticket's number of sales ------------------------------------------------------------


def ticket_body(shop, **changes):
    return {
        "shop": shop.pk,
        "date": day(6).isoformat(),
        "lines": [{"vat_rate": "5.50", "amount_incl_vat": "21.10"}],
        "payments": {"cash": "21.10"},
        **changes,
    }


def test_the_api_keeps_the_number_of_sales(api, shopkeeper, shop):
    response = api.as_user(shopkeeper).post(
        "/api/sales/", ticket_body(shop, transactions=37), format="json"
    )
    assert response.status_code == 201 and response.json()["transactions"] == 37
    assert SalesDay.objects.get().transactions == 37
    listed = api.as_user(shopkeeper).get("/api/sales/", {"shop": shop.pk}).json()
    assert listed["results"][0]["transactions"] == 37


@pytest.mark.parametrize("value", [-1, MAX_TRANSACTIONS + 1, "beaucoup", 2.5, True])
def test_a_wrong_number_of_sales_is_400_and_nothing_is_written(api, shopkeeper, shop, value):
    response = api.as_user(shopkeeper).post(
        "/api/sales/", ticket_body(shop, transactions=value), format="json"
    )
    assert response.status_code == 400 and list(response.json()) == ["transactions"]
    assert not SalesDay.objects.exists()


def test_no_sale_counted_for_sales_is_400_in_french(api, shopkeeper, shop):
    response = api.as_user(shopkeeper).post(
        "/api/sales/", ticket_body(shop, transactions=0), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "transactions": [
            "Nombre de ventes 0 pour 21,10\u00a0€ de ventes : indiquez le nombre de ventes "
            "du ticket Z, ou laissez-le vide."
        ]
    }
    assert not SalesDay.objects.exists()


def test_the_service_judges_the_number_of_sales_too(shop, shopkeeper):
    with pytest.raises(InvalidInput) as refused:
        sales_day_record(
            shop=shop,
            date=day(6),
            lines=[{"vat_rate": D("5.50"), "amount_incl_vat": D("21.10")}],
            payments={"cash": D("21.10")},
            user=shopkeeper,
            transactions=MAX_TRANSACTIONS + 1,
        )
    assert "un nombre entier de 0 à 100\u00a0000" in refused.value.errors["transactions"][0]
    assert not SalesDay.objects.exists()


def csv_upload(text):
    return SimpleUploadedFile("z.csv", text.encode(), content_type="text/csv")


def test_the_csv_import_reads_the_optional_column(api, shopkeeper, shop):
    text = (
        "date;ttc_0;ttc_2_1;ttc_5_5;ttc_10;ttc_20;cash;card;other;transactions\r\n"
        "2026-10-06;;;21,10;;;21,10;;;37\r\n"
        "2026-10-07;;;10,55;;;10,55;;;\r\n"
    )
    response = api.as_user(shopkeeper).post(
        "/api/sales/import/", {"shop": shop.pk, "file": csv_upload(text)}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert list(SalesDay.objects.order_by("date").values_list("transactions", flat=True)) == [
        37,
        None,
    ]


def test_the_csv_import_refuses_a_wrong_count_by_line(api, shopkeeper, shop):
    text = (
        "date;ttc_5_5;ttc_0;ttc_2_1;ttc_10;ttc_20;cash;card;other;transactions\r\n"
        "2026-10-06;21,10;;;;;21,10;;;-3\r\n"
    )
    response = api.as_user(shopkeeper).post(
        "/api/sales/import/", {"shop": shop.pk, "file": csv_upload(text)}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["file"] == [
        "Ligne 2 : transactions : nombre « -3 » invalide (un nombre entier de 0 à 100\u00a0000)."
    ]
    assert not SalesDay.objects.exists()


def test_the_till_takes_the_number_of_sales(client, shopkeeper, shop):
    client.force_login(shopkeeper)
    form = {"date": day(6).isoformat(), "ttc_5_5": "21,10", "cash": "21,10"}
    refused = client.post("/caisse/", {**form, "transactions": "-2"})
    assert refused.status_code == 200 and "Pas de nombre négatif." in refused.content.decode()
    assert not SalesDay.objects.exists()
    response = client.post("/caisse/", {**form, "transactions": "37"})
    assert response.status_code == 302
    assert SalesDay.objects.get().transactions == 37
    assert "37" in page_text(client.get("/caisse/"))


# --- The shop's VAT regime -------------------------------------------------------------------


def test_the_coordinator_sets_the_vat_regime_a_shopkeeper_may_not(
    api, coordinator, shopkeeper, shop
):
    url = f"/api/shops/{shop.pk}/"
    assert api.as_user(shopkeeper).get(url).json()["vat_regime"] == SIMPLIFIED
    assert (
        api.as_user(shopkeeper).patch(url, {"vat_regime": MONTHLY}, format="json").status_code
        == 403
    )
    bad = api.as_user(coordinator).patch(url, {"vat_regime": "annuel"}, format="json")
    assert bad.status_code == 400 and list(bad.json()) == ["vat_regime"]
    response = api.as_user(coordinator).patch(url, {"vat_regime": MONTHLY}, format="json")
    assert response.status_code == 200 and response.json()["vat_regime"] == MONTHLY
    shop.refresh_from_db()
    assert shop.vat_regime == MONTHLY


def test_the_member_form_edits_the_vat_regime(client, coordinator, shop):
    client.force_login(coordinator)
    url = f"/coordination/membres/{shop.pk}/modifier/"
    form = client.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"vat_regime": QUARTERLY, "tour_position": ""})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    shop.refresh_from_db()
    assert shop.vat_regime == QUARTERLY
    assert "TVA : réel normal, déclaration trimestrielle" in page_text(
        client.get(f"/coordination/membres/{shop.pk}/")
    )


# --- The month's page ------------------------------------------------------------------------


def test_the_page_lists_the_periods_reconciled_with_the_sales_journal(
    client, accountant, month_of_sales
):
    client.force_login(accountant)
    response = client.get(f"/comptable/{month_of_sales.pk}/e-reporting/", {"mois": "2026-10"})
    assert response.status_code == 200
    text = page_text(response)
    for label in (
        "Période du 01/10/2026 au 10/10/2026",
        "Période du 11/10/2026 au 20/10/2026",
        "Période du 21/10/2026 au 31/10/2026",
    ):
        assert label in text
    assert "2 jours de ventes · 161 ventes" in text
    assert "1 jour sans nombre de ventes" in text
    assert text.count("Rapproché : les totaux égalent le journal des ventes.") == 3
    assert "Écart" not in text
    assert (
        f"/comptable/{month_of_sales.pk}/e-reporting/csv/?start=2026-10-01&amp;end=2026-10-31"
        in response.content.decode()
    )


def test_a_ticket_reversed_in_another_period_shows_the_difference(api, client, shopkeeper, shop):
    Shop.objects.filter(pk=shop.pk).update(vat_regime=MONTHLY)
    ticket = record(api, shopkeeper, shop, day(5), {"20.00": "120.00"}, 4)
    entry_reverse(entry=ticket.entry, date=day(15))
    client.force_login(shopkeeper)
    report = client.get(f"/comptable/{shop.pk}/e-reporting/", {"mois": "2026-10"}).context["report"]
    first, second, third = report.periods
    # the reversed ticket is reported nowhere; its entry stands in the first period's
    # journal, its reversal in the second's
    assert [(c.rate, c.base_gap, c.vat_gap) for c in first.checks] == [
        (D("20.00"), D("-100.00"), D("-20.00"))
    ]
    assert [(c.rate, c.base_gap, c.vat_gap) for c in second.checks] == [
        (D("20.00"), D("100.00"), D("20.00"))
    ]
    assert not first.reconciled and not second.reconciled and third.reconciled
    text = page_text(client.get(f"/comptable/{shop.pk}/e-reporting/", {"mois": "2026-10"}))
    assert "Écart : base -100,00\u00a0€, TVA -20,00\u00a0€" in text


def test_the_page_and_its_csv_follow_the_books_scope(
    client, shopkeeper, accountant, coordinator, shop, other_shop
):
    stranger = UserFactory(role=User.Role.ACCOUNTANT, shops=[other_shop])
    url = f"/comptable/{shop.pk}/e-reporting/"
    for user in (shopkeeper, accountant, coordinator):
        client.force_login(user)
        assert client.get(url).status_code == 200
    client.force_login(coordinator)
    assert client.get("/comptable/coop/e-reporting/").status_code == 404
    csv_response = client.get(url + "csv/", {"start": "2026-10-01", "end": "2026-10-31"})
    assert csv_response.status_code == 200 and csv_response["Content-Type"].startswith("text/csv")
    assert client.get(url + "csv/", {"start": "2025-01-01", "end": "2026-10-31"}).status_code == 400
    assert client.get(url, {"mois": "2026-13"}).status_code == 400
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    assert client.get(url + "csv/").status_code == 404


def test_the_page_reads_a_fixed_number_of_queries(
    client, accountant, month_of_sales, django_assert_max_num_queries
):
    client.force_login(accountant)
    url = f"/comptable/{month_of_sales.pk}/e-reporting/"
    # session and user, the ledger in scope, the tickets and their lines, one journal
    # read per period (three), and the layout's own
    with django_assert_max_num_queries(12):
        assert client.get(url, {"mois": "2026-10"}).status_code == 200
