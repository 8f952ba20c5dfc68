"""The accounting pages: the till's Z ticket, the accountant's books (statements and their
files, the FEC, entries, reversals, manual entries). Roles, tenancy (the same 404s as
the API), bad input said beside its field with nothing written and the typed values
kept, and a query budget that does not grow with the data."""

import datetime as dt
import html
import re
from decimal import Decimal

import pytest

from accounting.fec import fec_violations
from accounting.models import ClosedPeriod, Entry, SalesDay
from accounting.renderers import FORMATS
from accounting.sales.services import sales_day_record
from accounting.services import cooperative_ledger
from mache.formats import format_eur
from mache.periods import last_day_of_month, paris_today
from tests.factories import post_bank_charge

BUDGET = 20


@pytest.fixture
def period(today) -> dict:
    """The current month, which the books show by default."""
    month_start = today.replace(day=1)
    return {"start": month_start.isoformat(), "end": last_day_of_month(month_start).isoformat()}


def errors_beside(page: str, name: str) -> list[str]:
    """The messages shown with the input `name`: mache/field.html puts the input and its
    errors in one <div>."""
    start = page.index(f'<label for="id_{name}"')
    block = page[start : page.index("</div>", start)]
    return [html.unescape(message) for message in re.findall(r"<li>(.*?)</li>", block)]


def errors_of_group(page: str, group: str) -> list[str]:
    """The messages of a group of inputs (the sales, the payments, an entry's lines)."""
    match = re.search(rf'id="{group}-errors">(.*?)</ul>', page, re.S)
    return (
        [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", match.group(1))] if match else []
    )


def value_of(page: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
    found = re.search(r'value="([^"]*)"', tag)
    return html.unescape(found.group(1)) if found else ""


def books_url(shop_or_coop) -> str:
    key = shop_or_coop if shop_or_coop == "coop" else shop_or_coop.pk
    return f"/comptable/{key}/"


# --- The till -------------------------------------------------------------------------


def ticket(**changes) -> dict:
    return {
        "date": paris_today().isoformat(),
        "ttc_20": "120,00",
        "ttc_5_5": "10.55",
        "cash": "30,55",
        "card": "100",
        "other": "",
        **changes,
    }


def test_the_till_offers_todays_ticket(client, shopkeeper, shop, today):
    client.force_login(shopkeeper)
    response = client.get("/caisse/")
    assert response.status_code == 200
    page = response.content.decode()
    assert shop.name in page
    assert value_of(page, "date") == today.isoformat()
    assert "Ventes TTC à 5,5" in page and "Carte bancaire" in page


def test_a_shopkeeper_records_a_z_ticket_typed_with_decimal_commas(client, shopkeeper, shop, today):
    client.force_login(shopkeeper)
    response = client.post("/caisse/", ticket())
    assert response.status_code == 302
    day = SalesDay.objects.get(shop=shop)
    assert (day.date, day.cash, day.card, day.other) == (
        today,
        Decimal("30.55"),
        Decimal("100.00"),
        Decimal("0.00"),
    )
    assert sorted(day.lines.values_list("vat_rate", "amount_incl_vat")) == [
        (Decimal("5.50"), Decimal("10.55")),
        (Decimal("20.00"), Decimal("120.00")),
    ]
    page = client.get(response["Location"]).content.decode()
    assert f"Ticket Z du {today:%d/%m/%Y} enregistré : {format_eur(Decimal('130.55'))}" in page
    assert f"VTE-{today.year}-000001" in page  # the recent tickets, with their entry


def test_payments_that_do_not_match_the_sales_are_said_beside_the_payments(client, shopkeeper):
    client.force_login(shopkeeper)
    response = client.post("/caisse/", ticket(cash="30,00"))
    assert response.status_code == 200
    page = response.content.decode()
    assert errors_of_group(page, "payments") == [
        f"Les règlements ({format_eur(Decimal('130.00'))}) ne correspondent pas au total "
        f"des ventes ({format_eur(Decimal('130.55'))})."
    ]
    # What was typed is kept, as typed.
    assert (value_of(page, "ttc_20"), value_of(page, "ttc_5_5"), value_of(page, "cash")) == (
        "120,00",
        "10.55",
        "30,00",
    )
    assert not SalesDay.objects.exists() and not Entry.objects.exists()


def test_a_second_ticket_for_the_day_is_refused_beside_the_date(client, shopkeeper, shop, today):
    sales_day_record(
        shop=shop,
        date=today,
        user=shopkeeper,
        lines=[{"vat_rate": Decimal("20.00"), "amount_incl_vat": Decimal("12.00")}],
        payments={"cash": Decimal("12.00")},
    )
    client.force_login(shopkeeper)
    page = client.post("/caisse/", ticket()).content.decode()
    [message] = errors_beside(page, "date")
    assert message.startswith(f"Le ticket Z du {today:%d/%m/%Y} est déjà enregistré")
    assert SalesDay.objects.count() == 1 and Entry.objects.count() == 1


def test_a_future_day_is_refused_beside_the_date(client, shopkeeper, today):
    client.force_login(shopkeeper)
    tomorrow = today + dt.timedelta(days=1)
    page = client.post("/caisse/", ticket(date=tomorrow.isoformat())).content.decode()
    assert "dans le futur" in errors_beside(page, "date")[0]
    assert value_of(page, "date") == tomorrow.isoformat()
    assert not SalesDay.objects.exists()


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("ttc_20", "-120,00", "Pas de montant négatif."),
        ("ttc_20", "120,005", "Deux décimales au plus (les centimes)."),
        ("ttc_20", "douze", "Un montant comme 12,30."),
        ("ttc_20", "1e3", "Un montant comme 12,30."),
        ("cash", "12345678901,00", "Montant trop grand."),
        ("date", "2026-13-45", "Une date comme 26/11/2026."),
        ("date", "", "Ce champ est obligatoire."),
    ],
)
def test_bad_till_input_is_said_beside_its_field(client, shopkeeper, field, typed, message):
    client.force_login(shopkeeper)
    page = client.post("/caisse/", ticket(**{field: typed})).content.decode()
    assert errors_beside(page, field) == [message]
    assert value_of(page, field) == typed
    assert value_of(page, "card") == "100"
    assert not SalesDay.objects.exists() and not Entry.objects.exists()


def test_an_empty_ticket_writes_nothing(client, shopkeeper, today):
    client.force_login(shopkeeper)
    page = client.post("/caisse/", {}).content.decode()
    assert errors_beside(page, "date") == ["Ce champ est obligatoire."]
    page = client.post("/caisse/", {"date": today.isoformat()}).content.decode()
    assert errors_of_group(page, "lines") == [
        "Le total des ventes est nul : il n'y a rien à comptabiliser."
    ]
    assert not SalesDay.objects.exists()


def test_the_till_is_for_shopkeepers_and_coordinators(
    client, accountant, coordinator, shop, other_shop, shopkeeper
):
    client.force_login(accountant)
    assert client.get("/caisse/").status_code == 403
    assert client.post("/caisse/", ticket()).status_code == 403
    client.force_login(shopkeeper)
    assert client.get(f"/caisse/?shop={other_shop.pk}").status_code == 404
    client.force_login(coordinator)
    assert client.post(f"/caisse/?shop={other_shop.pk}", ticket()).status_code == 302
    assert SalesDay.objects.get().shop == other_shop


@pytest.mark.parametrize("days", [3, 40])
def test_the_till_stays_within_its_query_budget(
    client, shopkeeper, shop, django_assert_max_num_queries, days, today
):
    for back in range(days):
        sales_day_record(
            shop=shop,
            date=today - dt.timedelta(days=back),
            user=shopkeeper,
            lines=[{"vat_rate": Decimal("5.50"), "amount_incl_vat": Decimal("10.55")}],
            payments={"card": Decimal("10.55")},
        )
    client.force_login(shopkeeper)
    with django_assert_max_num_queries(BUDGET):
        response = client.get("/caisse/")
    assert response.content.decode().count("<tr><td>") == min(days, 10)


# --- The accountant's home ------------------------------------------------------------


def test_an_accountant_sees_the_shops_they_serve(client, accountant, shop, other_shop, coop):
    client.force_login(accountant)
    page = client.get("/comptable/").content.decode()
    assert shop.name in page and books_url(shop) in page
    assert other_shop.name not in page and "/comptable/coop/" not in page


def test_a_coordinator_sees_every_shop_and_the_cooperative(
    client, coordinator, shop, other_shop, coop
):
    client.force_login(coordinator)
    page = client.get("/comptable/").content.decode()
    for url in (books_url(shop), books_url(other_shop), "/comptable/coop/"):
        assert url in page


# --- The books ------------------------------------------------------------------------


def test_the_books_show_the_period_statements_and_entries(client, accountant, shop, today, period):
    entry = post_bank_charge(shop.ledger, amount="1234.56")
    client.force_login(accountant)
    response = client.get(books_url(shop))
    assert response.status_code == 200
    page = response.content.decode()
    # The current month by default.
    assert (value_of(page, "start"), value_of(page, "end")) == (period["start"], period["end"])
    query = f"start={period['start']}&amp;end={period['end']}"
    for slug in ("balance", "grand-livre", "journal", "compte-de-resultat", "tva"):
        for extension in ("csv", "xlsx", "pdf"):
            assert f"/comptable/{shop.pk}/releves/{slug}.{extension}?{query}" in page
    # The trial balance's preview, in French figures.
    assert "658000" in page and format_eur(Decimal("1234.56")) in page
    assert "1\u00a0234,56\u00a0€" in page
    assert entry.reference in page and f"{today:%d/%m/%Y}" in page
    assert f"/ecritures/{entry.pk}/extourne/" in page
    assert "/ecritures/nouvelle/" in page


def test_a_shopkeeper_reads_the_books_of_their_shop_but_writes_nothing(
    client, shopkeeper, shop, today
):
    entry = post_bank_charge(shop.ledger)
    client.force_login(shopkeeper)
    page = client.get(books_url(shop)).content.decode()
    assert entry.reference in page
    assert "Extourner" not in page and "/ecritures/nouvelle/" not in page
    assert client.post(f"/comptable/{shop.pk}/ecritures/{entry.pk}/extourne/").status_code == 403
    assert client.get(f"/comptable/{shop.pk}/ecritures/nouvelle/").status_code == 403
    assert client.get(f"/comptable/{shop.pk}/releves/balance.csv").status_code == 200
    assert client.get(f"/comptable/{shop.pk}/fec/?year={today.year}").status_code == 200
    assert Entry.objects.count() == 1


@pytest.mark.parametrize("role", ["shopkeeper", "accountant"])
def test_another_shops_books_and_the_cooperatives_are_404(
    client, request, shop, other_shop, coop, role, today
):
    user = request.getfixturevalue(role)
    foreign = post_bank_charge(other_shop.ledger)
    client.force_login(user)
    for key in (other_shop.pk, "coop", "abc", 999999):
        for url in (
            f"/comptable/{key}/",
            f"/comptable/{key}/releves/balance.csv",
            f"/comptable/{key}/fec/?year={today.year}",
            f"/comptable/{key}/fec/description/?year={today.year}",
        ):
            assert client.get(url).status_code == 404, url
    if role == "accountant":
        for key in (other_shop.pk, "coop"):
            assert client.get(f"/comptable/{key}/ecritures/nouvelle/").status_code == 404
            assert (
                client.post(f"/comptable/{key}/ecritures/{foreign.pk}/extourne/").status_code == 404
            )
        # Another ledger's entry through one's own ledger is not found either.
        assert (
            client.post(f"/comptable/{shop.pk}/ecritures/{foreign.pk}/extourne/").status_code == 404
        )
    assert Entry.objects.count() == 1


def test_a_coordinator_opens_the_cooperatives_books(client, coordinator, coop):
    entry = post_bank_charge(cooperative_ledger())
    client.force_login(coordinator)
    page = client.get("/comptable/coop/").content.decode()
    assert "Livres — MACHE Test" in page and entry.reference in page


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            {"start": "2026-11-30", "end": "2026-11-01"},
            "start",
            "La date de début suit la date de fin.",
        ),
        ({"start": "2026-02-30"}, "start", "Une date comme 26/11/2026."),
        ({"end": "fin"}, "end", "Une date comme 26/11/2026."),
        ({"start": ""}, "start", "Ce champ est obligatoire."),
        ({"journal": "XYZ"}, "journal", "Choisissez un journal de la liste."),
    ],
)
def test_a_bad_period_is_said_beside_its_field(client, accountant, shop, query, field, message):
    post_bank_charge(shop.ledger)
    client.force_login(accountant)
    response = client.get(books_url(shop), query)
    assert response.status_code == 200
    page = response.content.decode()
    assert errors_beside(page, field) == [message]
    if field != "journal":  # a <select>, the others <input>s
        assert value_of(page, field) == query[field]
    assert "Corrigez la période" in page and "releves/balance.csv" not in page


def test_the_journal_filter_reloads_the_entries_alone(client, accountant, shop, period):
    sale = post_bank_charge(shop.ledger, journal="VTE", label="Vente")
    other = post_bank_charge(shop.ledger, journal="OD")
    client.force_login(accountant)
    response = client.get(
        books_url(shop),
        {**period, "journal": "VTE"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="entries",
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<section class="card" id="entries">')
    assert sale.reference in page and other.reference not in page
    assert "<html" not in page


@pytest.mark.parametrize("entries", [5, 60])
def test_the_books_stay_within_their_query_budget(
    client, accountant, shop, entries, django_assert_max_num_queries
):
    for number in range(entries):
        post_bank_charge(shop.ledger, amount=f"{number + 1}.00")
    client.force_login(accountant)
    with django_assert_max_num_queries(BUDGET):
        response = client.get(books_url(shop))
    assert response.status_code == 200
    shown = min(entries, 50)
    assert response.content.decode().count('<article class="entry"') == shown


def test_the_cooperatives_books_stay_within_the_query_budget(
    client, coordinator, coop, django_assert_max_num_queries
):
    for number in range(30):
        post_bank_charge(cooperative_ledger(), amount=f"{number + 1}.00")
    client.force_login(coordinator)
    with django_assert_max_num_queries(BUDGET):
        assert client.get("/comptable/coop/").status_code == 200


# --- Downloads ------------------------------------------------------------------------

API_NAMES = {
    "balance": "trial-balance",
    "grand-livre": "general-ledger",
    "journal": "journal",
    "compte-de-resultat": "income-statement",
    "tva": "vat",
}


@pytest.mark.parametrize("extension", ["csv", "xlsx", "pdf"])
@pytest.mark.parametrize("slug", list(API_NAMES))
def test_each_statement_downloads_as_the_apis_file(
    client, api, accountant, shop, slug, extension, period
):
    post_bank_charge(shop.ledger)
    client.force_login(accountant)
    response = client.get(f"/comptable/{shop.pk}/releves/{slug}.{extension}", period)
    assert response.status_code == 200
    assert response["Content-Type"] == FORMATS[extension].content_type
    from_api = api.as_user(accountant).get(
        f"/api/statements/{API_NAMES[slug]}/",
        {"shop": shop.pk, "from": period["start"], "to": period["end"], "format": extension},
    )
    assert (
        response["Content-Disposition"]
        == from_api["Content-Disposition"]
        == (
            f'attachment; filename="{slug}-{shop.pk}-{period["start"]}-{period["end"]}.{extension}"'
        )
    )
    if extension == "csv":
        assert response.content == from_api.content


def test_the_journal_of_one_journal_downloads_and_an_unknown_one_is_said(
    client, accountant, shop, period
):
    post_bank_charge(shop.ledger, journal="VTE")
    client.force_login(accountant)
    response = client.get(f"/comptable/{shop.pk}/releves/journal.csv", {**period, "journal": "VTE"})
    assert 'filename="journal-vte-' in response["Content-Disposition"]
    response = client.get(f"/comptable/{shop.pk}/releves/journal.csv", {**period, "journal": "XYZ"})
    assert response.status_code == 400
    assert "Journal « XYZ » inconnu" in errors_beside(response.content.decode(), "journal")[0]


def test_a_bad_period_in_a_download_is_said_beside_its_field(client, accountant, shop):
    client.force_login(accountant)
    response = client.get(
        f"/comptable/{shop.pk}/releves/balance.xlsx", {"start": "2026-12-01", "end": "2026-01-01"}
    )
    assert response.status_code == 400
    assert errors_beside(response.content.decode(), "start") == [
        "La date de début suit la date de fin."
    ]
    for url in (
        f"/comptable/{shop.pk}/releves/tresorerie.csv",  # no such statement
        f"/comptable/{shop.pk}/releves/balance.docx",
    ):
        assert client.get(url).status_code == 404


def test_the_fec_of_a_year_downloads_as_the_apis(client, api, accountant, shop, today):
    post_bank_charge(shop.ledger)
    client.force_login(accountant)
    response = client.get(f"/comptable/{shop.pk}/fec/", {"year": today.year})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    filename = f"{shop.siret[:9]}FEC{today.year}1231.txt"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response.streaming
    content = b"".join(response.streaming_content)
    assert fec_violations(content, filename) == []
    from_api = api.as_user(accountant).get(
        "/api/exports/fec/", {"shop": shop.pk, "year": today.year}
    )
    assert content == b"".join(from_api.streaming_content)


def test_the_fec_description_is_offered_beside_the_download(client, api, accountant, shop, today):
    post_bank_charge(shop.ledger)
    client.force_login(accountant)
    page = client.get(books_url(shop)).content.decode()
    assert f'formaction="/comptable/{shop.pk}/fec/description/"' in page
    response = client.get(f"/comptable/{shop.pk}/fec/description/", {"year": today.year})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert "DESCRIPTION DU FICHIER DES ÉCRITURES COMPTABLES" in text
    from_api = api.as_user(accountant).get(
        "/api/exports/fec-description/", {"shop": shop.pk, "year": today.year}
    )
    assert response.content == from_api.content
    response = client.get(f"/comptable/{shop.pk}/fec/description/", {"year": "1999"})
    assert response.status_code == 400


# An int is a number of years after the current one, read as the test runs.
@pytest.mark.parametrize("year", ["1999", pytest.param(2, id="in-two-years"), "deux-mille", ""])
def test_a_bad_fec_year_is_said_beside_the_year(client, accountant, shop, year, today):
    if isinstance(year, int):
        year = str(today.year + year)
    client.force_login(accountant)
    response = client.get(f"/comptable/{shop.pk}/fec/", {"year": year})
    assert response.status_code == 400
    [message] = errors_beside(response.content.decode(), "year")
    assert message in (f"Un exercice entre 2000 et {today.year + 1}.", "Choisissez un exercice.")


# --- Reversals ------------------------------------------------------------------------


def test_an_accountant_reverses_an_entry_once(client, accountant, shop, period):
    entry = post_bank_charge(shop.ledger)
    client.force_login(accountant)
    url = f"/comptable/{shop.pk}/ecritures/{entry.pk}/extourne/"
    back = f"start={period['start']}&end={period['end']}&journal=OD"
    response = client.post(url, {"back": back})
    assert response.status_code == 302
    assert response["Location"] == f"/comptable/{shop.pk}/?{back}"
    reversal = Entry.objects.get(reversal_of=entry)
    assert [(ln.account.number, ln.debit, ln.credit) for ln in reversal.lines.all()] == [
        ("658000", Decimal("0.00"), Decimal("12.30")),
        ("512000", Decimal("12.30"), Decimal("0.00")),
    ]
    page = client.get(response["Location"]).content.decode()
    assert f"Écriture {entry.reference} extournée par {reversal.reference}" in page
    assert f"extournée par {reversal.reference}</span>" in page
    assert f"/ecritures/{entry.pk}/extourne/" not in page  # no button any more
    page = client.post(url, follow=True).content.decode()
    assert "Cette écriture a déjà été extournée." in html.unescape(page)
    page = client.post(
        f"/comptable/{shop.pk}/ecritures/{reversal.pk}/extourne/", follow=True
    ).content.decode()
    assert "Une extourne ne s'extourne pas" in html.unescape(page)
    assert Entry.objects.count() == 2
    assert client.get(url).status_code == 405


def test_a_reversal_into_a_closed_month_is_refused(client, coordinator, shop, today):
    entry = post_bank_charge(shop.ledger)
    # The reversal is dated today: the current month closed (straight in the table, as
    # period_close closes only months that are over).
    ClosedPeriod.objects.create(ledger=shop.ledger, month=today.replace(day=1))
    client.force_login(coordinator)
    page = client.post(
        f"/comptable/{shop.pk}/ecritures/{entry.pk}/extourne/", follow=True
    ).content.decode()
    assert "est clôturé" in html.unescape(page)
    assert Entry.objects.count() == 1


# --- Manual entries -------------------------------------------------------------------


def manual(**changes) -> dict:
    return {
        "journal": "OD",
        "date": paris_today().isoformat(),
        "label": "Régularisation",
        "piece_ref": "NOTE-12",
        "line1_account": "658000",
        "line1_debit": "12,30",
        "line1_label": "Charge",
        "line2_account": "512000",
        "line2_credit": "12.30",
        **changes,
    }


def test_an_accountant_posts_a_manual_entry(client, accountant, shop, period):
    client.force_login(accountant)
    page = client.get(f"/comptable/{shop.pk}/ecritures/nouvelle/").content.decode()
    assert '<option value="658000">' in page  # the ledger's accounts, to pick from
    response = client.post(f"/comptable/{shop.pk}/ecritures/nouvelle/", manual())
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert (
        response["Location"] == f"/comptable/{shop.pk}/?start={period['start']}&end={period['end']}"
    )
    assert (entry.journal.code, entry.label, entry.piece_ref, entry.created_by) == (
        "OD",
        "Régularisation",
        "NOTE-12",  # issue 13, point 3: the piece typed, never made up
        accountant,
    )
    assert [(ln.account.number, ln.debit, ln.credit, ln.label) for ln in entry.lines.all()] == [
        ("658000", Decimal("12.30"), Decimal("0.00"), "Charge"),
        ("512000", Decimal("0.00"), Decimal("12.30"), "Régularisation"),
    ]
    assert (
        f"Écriture {entry.reference} passée." in client.get(response["Location"]).content.decode()
    )


@pytest.mark.parametrize(
    ("changes", "where", "message"),
    [
        (
            {"line2_credit": "12,31"},
            "lines",
            "Écriture déséquilibrée : débit 12,30\u00a0€ ≠ crédit 12,31\u00a0€.",
        ),
        (
            {"line1_account": "999999"},
            "lines",
            "Compte 999999 absent du plan comptable de ce livre.",
        ),
        (
            {"line1_credit": "12,30", "line3_account": "512000", "line3_credit": "12,30"},
            "lines",
            "Ligne 1 : un débit ou un crédit, pas les deux.",
        ),
        (
            {"line2_account": "", "line2_credit": "", "line2_label": ""},
            "lines",
            "Une écriture compte au moins deux lignes.",
        ),
        ({"line1_account": "65A"}, "line1_account", "Numéro de compte de 6 à 8 chiffres."),
        ({"line2_account": ""}, "line2_account", "Indiquez le compte de cette ligne."),
        ({"line1_debit": "-12,30"}, "line1_debit", "Pas de montant négatif."),
        ({"line1_debit": "12,305"}, "line1_debit", "Deux décimales au plus (les centimes)."),
        ({"journal": "XYZ"}, "journal", "Choisissez un journal de la liste."),
        ({"date": "31/02/2026"}, "date", "Une date comme 26/11/2026."),
        ({"label": ""}, "label", "Ce champ est obligatoire."),
        ({"label": "x" * 201}, "label", "200 caractères au plus."),
    ],
)
def test_a_bad_manual_entry_is_said_beside_its_field(
    client, accountant, shop, changes, where, message
):
    client.force_login(accountant)
    data = manual(**changes)
    response = client.post(f"/comptable/{shop.pk}/ecritures/nouvelle/", data)
    assert response.status_code == 200
    page = response.content.decode()
    if where == "lines":
        assert message in errors_of_group(page, "lines")
    else:
        assert errors_beside(page, where) == [message]
    assert value_of(page, "label") == data["label"]
    assert value_of(page, "line1_debit") == data["line1_debit"]
    assert not Entry.objects.exists()


def test_an_empty_manual_entry_writes_nothing(client, accountant, shop):
    client.force_login(accountant)
    page = client.post(f"/comptable/{shop.pk}/ecritures/nouvelle/", {}).content.decode()
    for field in ("journal", "date", "label"):
        assert errors_beside(page, field) == ["Ce champ est obligatoire."]
    assert not Entry.objects.exists()


def test_an_entry_into_a_closed_month_is_said_beside_the_date(client, accountant, shop, today):
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    ClosedPeriod.objects.create(ledger=shop.ledger, month=last_month)
    client.force_login(accountant)
    page = client.post(
        f"/comptable/{shop.pk}/ecritures/nouvelle/",
        manual(date=(last_month + dt.timedelta(days=3)).isoformat()),
    ).content
    assert "est clôturé" in errors_beside(page.decode(), "date")[0]
    assert not Entry.objects.exists()


def test_rows_typed_after_an_empty_one_move_up_to_match_the_line_numbers(client, accountant, shop):
    client.force_login(accountant)
    # Rows 1 and 3 typed, both with a debit and a credit: the service says "Ligne 2" of
    # the row typed third, which the page shows second.
    data = manual(
        line1_credit="1,00",
        line2_account="",
        line2_credit="",
        line3_account="512000",
        line3_debit="2,00",
        line3_credit="2,00",
    )
    page = client.post(f"/comptable/{shop.pk}/ecritures/nouvelle/", data).content.decode()
    assert "Ligne 2 : un débit ou un crédit, pas les deux." in errors_of_group(page, "lines")
    assert (
        value_of(page, "line2_account"),
        value_of(page, "line2_debit"),
        value_of(page, "line3_account"),
    ) == ("512000", "2,00", "")
    assert not Entry.objects.exists()


def test_a_coordinator_posts_in_the_cooperatives_books(client, coordinator, coop):
    client.force_login(coordinator)
    response = client.post("/comptable/coop/ecritures/nouvelle/", manual())
    assert response.status_code == 302
    assert Entry.objects.get().ledger.shop is None
    assert response["Location"].startswith("/comptable/coop/?")
