"""The manual entry's page and the reversal's date (issue 13, points 3-4): rows added as
needed (with or without JavaScript), up to 500; the typed piece; the auxiliary account
of 401/411 lines said beside its row; the account search, accent-insensitive; typed
values kept and nothing written on error; no inline script."""

import datetime as dt
import html
import re
from decimal import Decimal

import pytest

from accounting.models import ClosedPeriod, Entry
from accounting.services import PIECE_REF_REQUIRED
from mache.periods import paris_today
from tests.accounting.test_pages import errors_beside, errors_of_group, value_of
from tests.factories import SupplierFactory, post_bank_charge


def new_url(shop) -> str:
    return f"/comptable/{shop.pk}/ecritures/nouvelle/"


def typed(**changes) -> dict:
    return {
        "journal": "OD",
        "date": paris_today().isoformat(),
        "label": "Régularisation",
        "piece_ref": "NOTE-7",
        "line1_account": "658000",
        "line1_debit": "12,30",
        "line1_label": "Charge",
        "line2_account": "512000",
        "line2_credit": "12,30",
        **changes,
    }


def rows(count: int, **changes) -> dict:
    """An entry of `count` rows that balance: count - 1 charges of 1,00 and the bank for
    their total."""
    data = {key: value for key, value in typed(**changes).items() if not key.startswith("line")}
    for n in range(1, count):
        data[f"line{n}_account"] = "658000"
        data[f"line{n}_debit"] = "1,00"
    data[f"line{count}_account"] = "512000"
    data[f"line{count}_credit"] = f"{count - 1},00"
    return data


@pytest.fixture
def logged(client, accountant):
    client.force_login(accountant)
    return client


def test_the_page_offers_four_rows_an_add_button_and_its_script(logged, shop):
    page = logged.get(new_url(shop)).content.decode()
    assert page.count('class="line"') == 4
    assert 'name="line4_aux"' in page and 'name="line5_account"' not in page
    assert 'name="add_line"' in page
    assert "mache/entry_form.js" in page
    assert "<script>" not in page  # the Content-Security-Policy refuses inline scripts
    assert 'name="piece_date"' in page and 'id="account-q"' in page


def test_without_javascript_a_row_is_added_by_the_server_keeping_what_was_typed(logged, shop):
    data = typed(**{"add_line": "1", "line3_account": "401000", "line3_aux": "COOP"})
    response = logged.post(new_url(shop), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="line"') == 5
    assert value_of(page, "line3_aux") == "COOP" and value_of(page, "line1_debit") == "12,30"
    assert value_of(page, "line5_account") == ""
    assert 'class="errorlist"' not in page  # asking for a row is not submitting
    assert not Entry.objects.exists()


def test_more_rows_than_shown_at_first_are_posted(logged, shop):
    data = rows(7, piece_ref="REL-3")
    response = logged.post(new_url(shop), data)
    assert response.status_code == 302, errors_of_group(response.content.decode(), "lines")
    entry = Entry.objects.get()
    assert entry.lines.count() == 7 and entry.piece_ref == "REL-3"


def test_500_rows_are_posted_and_501_refused(logged, shop):
    refused = logged.post(new_url(shop), rows(501))
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "Une écriture compte 500 lignes au plus (501 reçues)." in errors_of_group(page, "lines")
    assert value_of(page, "line501_credit") == "500,00"
    assert not Entry.objects.exists()
    response = logged.post(new_url(shop), rows(500))
    assert response.status_code == 302
    assert Entry.objects.get().lines.count() == 500


def test_an_entry_without_a_piece_is_said_beside_the_piece(logged, shop):
    page = logged.post(new_url(shop), typed(piece_ref="")).content.decode()
    assert errors_beside(page, "piece_ref") == [PIECE_REF_REQUIRED]
    assert value_of(page, "line1_debit") == "12,30"
    assert not Entry.objects.exists()


def test_a_401_line_without_aux_is_said_beside_its_row(logged, shop):
    data = typed(line2_account="401000", line2_aux="")
    page = logged.post(new_url(shop), data).content.decode()
    message = "compte auxiliaire obligatoire sur le compte 401000"
    assert any(message in m and m.startswith("Ligne 2 :") for m in errors_of_group(page, "lines"))
    beside = re.search(r'id="line2-errors">(.*?)</ul>', page, re.S).group(1)
    assert message in html.unescape(beside)
    assert 'id="line1-errors"' not in page
    assert value_of(page, "label") == "Régularisation"
    assert not Entry.objects.exists()


def test_the_auxiliary_typed_is_posted(logged, shop):
    response = logged.post(new_url(shop), typed(line2_account="401000", line2_aux="COOP"))
    assert response.status_code == 302
    line = Entry.objects.get().lines.get(account__number="401000")
    assert (line.auxiliary.code, line.credit) == ("COOP", Decimal("12.30"))


def test_the_piece_date_is_kept_for_the_whole_entry(logged, shop, today):
    day = today - dt.timedelta(days=1)
    logged.post(new_url(shop), typed(piece_date=day.isoformat()))
    assert Entry.objects.get().piece_date == day


# --- The account search ---------------------------------------------------------------


def test_the_search_finds_accounts_and_third_parties_without_accents(logged, shop):
    supplier = SupplierFactory(name="Fromagerie de l'Étang")
    url = f"/comptable/{shop.pk}/comptes/"
    page = html.unescape(logged.get(url, {"q": "remuneration"}).content.decode())
    assert "622800 — Rémunérations d'intermédiaires divers" in page
    page = html.unescape(logged.get(url, {"q": "ETANG"}).content.decode())
    assert f'data-account="401000" data-aux="F{supplier.pk:06d}"' in page
    page = html.unescape(logged.get(url, {"q": "coopérative"}).content.decode())
    assert 'data-aux="COOP"' in page
    page = html.unescape(logged.get(url, {"q": "zzz"}).content.decode())
    assert "Aucun compte ne correspond à « zzz »." in page


def test_the_cooperatives_search_offers_the_shops_as_customers(client, coordinator, coop, shop):
    client.force_login(coordinator)
    page = html.unescape(client.get("/comptable/coop/comptes/", {"q": "epicerie"}).content.decode())
    assert f'data-account="411000" data-aux="C{shop.pk:06d}"' in page


def test_the_search_stays_within_its_query_budget(logged, shop, django_assert_max_num_queries):
    for n in range(15):
        SupplierFactory(name=f"Ferme {n}")
    with django_assert_max_num_queries(12):
        logged.get(f"/comptable/{shop.pk}/comptes/", {"q": "ferme"})


def test_the_search_is_for_those_who_write_the_books(client, shopkeeper, accountant, other_shop):
    client.force_login(shopkeeper)
    assert client.get(f"/comptable/{shopkeeper.shops.get().pk}/comptes/?q=a").status_code == 403
    client.force_login(accountant)
    assert client.get(f"/comptable/{other_shop.pk}/comptes/?q=a").status_code == 404
    assert client.get("/comptable/coop/comptes/?q=a").status_code == 404


# --- The reversal's date --------------------------------------------------------------


def test_a_reversal_takes_the_date_chosen_on_the_books_page(logged, shop, today):
    month_start = today.replace(day=1)
    entry = post_bank_charge(shop.ledger, day=month_start)
    page = logged.get(f"/comptable/{shop.pk}/").content.decode()
    assert f'name="date" id="reverse-date-{entry.pk}" value="{today:%Y-%m-%d}"' in page
    logged.post(
        f"/comptable/{shop.pk}/ecritures/{entry.pk}/extourne/", {"date": month_start.isoformat()}
    )
    reversal = Entry.objects.get(reversal_of=entry)
    assert (reversal.date, reversal.piece_ref) == (month_start, f"EXT-{entry.reference}")


def test_a_reversal_into_a_closed_month_is_said_and_writes_nothing(logged, shop, today):
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    entry = post_bank_charge(shop.ledger, day=last_month)
    ClosedPeriod.objects.create(ledger=shop.ledger, month=last_month)
    page = logged.post(
        f"/comptable/{shop.pk}/ecritures/{entry.pk}/extourne/",
        {"date": last_month.isoformat()},
        follow=True,
    ).content.decode()
    assert "est clôturé" in html.unescape(page)
    bad = logged.post(
        f"/comptable/{shop.pk}/ecritures/{entry.pk}/extourne/", {"date": "31/02/2026"}, follow=True
    ).content.decode()
    assert "Une date comme 26/11/2026." in html.unescape(bad)
    assert Entry.objects.count() == 1
