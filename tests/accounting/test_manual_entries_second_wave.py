"""Manual entries as an auditor reads them (issue 13, point 3; docs/postings.md,
"Manual entries"): 2 to 500 lines, the piece typed by the accountant (never made up),
a real auxiliary account on every 401/411 line, one piece date for all the lines.
Bad input is 400 naming the field (the line in its message) and writes nothing."""

import datetime as dt

import pytest

from accounting.fec import fec_export, fec_violations
from accounting.models import AuxiliaryAccount, Entry, EntryLine
from accounting.services import MAX_MANUAL_LINES, PIECE_REF_REQUIRED
from mache.periods import paris_today
from tests.factories import CooperativeFactory, SupplierFactory, post_entry
from tests.factories.accounting import credit, debit


def line(account, *, debit=None, credit=None, aux=None, label=""):
    body = {"account": account, "label": label}
    if debit:
        body["debit"] = debit
    if credit:
        body["credit"] = credit
    if aux is not None:
        body["aux"] = aux
    return body


def entry(shop_param, *lines, **changes):
    return {
        "shop": shop_param,
        "journal": "OD",
        "date": str(paris_today()),
        "label": "Régularisation",
        "piece_ref": "NOTE-2026-14",
        "lines": list(lines) or [line("658000", debit="12.30"), line("512000", credit="12.30")],
        **changes,
    }


def many_lines(count: int) -> list[dict]:
    """`count` lines that balance: count - 1 charges of 1.00, the bank for their total."""
    return [line("658000", debit="1.00", label=f"Charge {n}") for n in range(count - 1)] + [
        line("512000", credit=f"{count - 1}.00")
    ]


@pytest.fixture
def client(api, accountant):
    return api.as_user(accountant)


# --- The piece ---------------------------------------------------------------------------


def test_the_piece_typed_is_the_piece_kept_with_one_piece_date(client, shop, today):
    piece_day = today - dt.timedelta(days=2)
    response = client.post(
        "/api/entries/",
        entry(shop.pk, piece_ref="  FAC-889 ", piece_date=str(piece_day)),
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["piece_ref"], body["piece_date"]) == ("FAC-889", str(piece_day))
    # Without a piece date, the piece is dated the entry's day.
    second = client.post("/api/entries/", entry(shop.pk), format="json").json()
    assert second["piece_date"] == str(today)


@pytest.mark.parametrize("piece", [None, "", "   "])
def test_an_entry_without_a_piece_is_400_on_piece_ref(client, shop, piece):
    body = entry(shop.pk)
    if piece is None:
        del body["piece_ref"]
    else:
        body["piece_ref"] = piece
    response = client.post("/api/entries/", body, format="json")
    assert response.status_code == 400
    assert response.json()["piece_ref"] == [PIECE_REF_REQUIRED]
    assert not Entry.objects.exists()


def test_no_piece_is_ever_made_up(client, shop):
    client.post("/api/entries/", entry(shop.pk, piece_ref=""), format="json")
    assert not Entry.objects.filter(piece_ref__startswith="OD-").exists()
    assert not Entry.objects.exists()


# --- How many lines -------------------------------------------------------------------


def test_an_entry_of_500_lines_is_posted(client, shop):
    response = client.post(
        "/api/entries/", entry(shop.pk, lines=many_lines(MAX_MANUAL_LINES)), format="json"
    )
    assert response.status_code == 201, response.json()
    posted = Entry.objects.get()
    assert posted.lines.count() == 500
    assert len(response.json()["lines"]) == 500


def test_an_entry_of_501_lines_is_400_on_lines(client, shop):
    response = client.post("/api/entries/", entry(shop.pk, lines=many_lines(501)), format="json")
    assert response.status_code == 400
    assert response.json() == {"lines": ["Une écriture compte 500 lignes au plus (501 reçues)."]}
    assert not Entry.objects.exists() and not EntryLine.objects.exists()


def test_an_entry_of_one_line_is_400_on_lines(client, shop):
    response = client.post(
        "/api/entries/", entry(shop.pk, line("658000", debit="1.00")), format="json"
    )
    assert response.status_code == 400
    assert "Une écriture compte au moins deux lignes." in response.json()["lines"]
    assert not Entry.objects.exists()


def test_posting_500_lines_takes_a_fixed_number_of_queries(client, shop, django_assert_num_queries):
    body = entry(shop.pk, lines=many_lines(MAX_MANUAL_LINES))
    client.post("/api/entries/", entry(shop.pk), format="json")  # the token is made
    # token and user, shop, ledger; the journal (no auxiliary named: no query); the
    # posting: savepoint, ledger lock, closed months, accounts, journals, counter (create,
    # lock, update), the entry, its 500 lines in one INSERT, savepoint released; the
    # answer: the entry, then its lines with their accounts and auxiliaries.
    with django_assert_num_queries(18):  # 17, and the entry's fiscal year (closed?)
        response = client.post("/api/entries/", body, format="json")
    assert response.status_code == 201


# --- Auxiliary accounts ---------------------------------------------------------------


@pytest.mark.parametrize("aux", [None, "", "  "])
def test_a_401_line_without_aux_is_400_naming_the_line(client, shop, aux):
    response = client.post(
        "/api/entries/",
        entry(
            shop.pk,
            line("512000", debit="50.00"),
            line("401000", credit="50.00", aux=aux),
        ),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["lines"] == [
        "Ligne 2 : compte auxiliaire obligatoire sur le compte 401000 : la coopérative (COOP) "
        "ou un fournisseur (F000045)."
    ]
    assert not Entry.objects.exists()


def test_a_411_line_of_the_cooperative_without_aux_is_400(api, coordinator, shop):
    CooperativeFactory()
    response = api.as_user(coordinator).post(
        "/api/entries/",
        entry("coop", line("411000", debit="8.00"), line("758000", credit="8.00")),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["lines"] == [
        "Ligne 1 : compte auxiliaire obligatoire sur le compte 411000 : un commerce (C000123)."
    ]
    assert not Entry.objects.exists()


def test_a_shop_and_a_supplier_are_real_auxiliary_accounts(api, coordinator, shop):
    CooperativeFactory()
    supplier = SupplierFactory(name="Cidrerie du Véron")
    response = api.as_user(coordinator).post(
        "/api/entries/",
        entry(
            "coop",
            line("411000", debit="8.00", aux=f"C{shop.pk:06d}"),
            line("401000", credit="8.00", aux=f"F{supplier.pk:06d}"),
        ),
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert [ln["auxiliary"] for ln in response.json()["lines"]] == [
        f"C{shop.pk:06d}",
        f"F{supplier.pk:06d}",
    ]
    assert dict(AuxiliaryAccount.objects.values_list("code", "label")) == {
        f"C{shop.pk:06d}": "Épicerie de Romazy",
        f"F{supplier.pk:06d}": "Cidrerie du Véron",
    }


def test_the_cooperative_is_a_shops_supplier(client, shop):
    response = client.post(
        "/api/entries/",
        entry(shop.pk, line("401000", debit="5.00", aux="COOP"), line("512000", credit="5.00")),
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["lines"][0]["auxiliary"] == "COOP"


def test_an_auxiliary_account_the_ledger_has_is_taken(client, shop, today):
    post_entry(
        shop.ledger,
        "ACH",
        today,
        "Facture",
        "F-1",
        debit("607000", "5.00"),
        credit("401000", "5.00", auxiliary=("LOCAL1", "Ferme des Landes")),
    )
    response = client.post(
        "/api/entries/",
        entry(shop.pk, line("401000", debit="5.00", aux="LOCAL1"), line("512000", credit="5.00")),
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["lines"][0]["auxiliary"] == "LOCAL1"


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            [line("401000", debit="5.00", aux="DUPONT"), line("512000", credit="5.00")],
            "Ligne 1 : compte auxiliaire « DUPONT » inconnu sur le compte 401000 : la "
            "coopérative (COOP) ou un fournisseur (F000045).",
        ),
        (
            [line("512000", debit="5.00"), line("401000", credit="5.00", aux="F999999")],
            "Ligne 2 : compte auxiliaire « F999999 » inconnu sur le compte 401000 : la "
            "coopérative (COOP) ou un fournisseur (F000045).",
        ),
        (
            [line("411000", debit="5.00", aux="COOP"), line("758000", credit="5.00")],
            "Ligne 1 : compte auxiliaire « COOP » inconnu sur le compte 411000 : un compte "
            "auxiliaire client déjà ouvert dans ce livre.",
        ),
        (
            [line("658000", debit="5.00", aux="COOP"), line("512000", credit="5.00")],
            "Ligne 1 : pas de compte auxiliaire sur le compte 658000 (seulement sur les "
            "comptes 401 et 411).",
        ),
    ],
)
def test_a_made_up_or_misplaced_auxiliary_is_400_naming_the_line(client, shop, lines, message):
    response = client.post("/api/entries/", entry(shop.pk, *lines), format="json")
    assert response.status_code == 400
    assert response.json()["lines"] == [message]
    assert not Entry.objects.exists() and not AuxiliaryAccount.objects.exists()


def test_a_shop_is_not_its_own_customer_nor_a_supplier_under_411(api, coordinator, shop):
    CooperativeFactory()
    supplier = SupplierFactory()
    response = api.as_user(coordinator).post(
        "/api/entries/",
        entry(
            "coop",
            line("411000", debit="5.00", aux=f"F{supplier.pk:06d}"),
            line("401000", credit="5.00", aux=f"C{shop.pk:06d}"),
        ),
        format="json",
    )
    assert response.status_code == 400
    assert [m[:9] for m in response.json()["lines"]] == ["Ligne 1 :", "Ligne 2 :"]


def test_an_auxiliary_of_another_account_is_refused(client, shop, today):
    post_entry(
        shop.ledger,
        "ACH",
        today,
        "Facture",
        "F-1",
        debit("607000", "5.00"),
        credit("401000", "5.00", auxiliary=("LOCAL1", "Ferme des Landes")),
    )
    response = client.post(
        "/api/entries/",
        entry(shop.pk, line("411000", debit="5.00", aux="LOCAL1"), line("758000", credit="5.00")),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["lines"] == [
        "Ligne 1 : le compte auxiliaire LOCAL1 est rattaché au compte 401000, pas au compte 411000."
    ]


def test_every_error_is_said_at_once(client, shop):
    response = client.post(
        "/api/entries/",
        entry(
            shop.pk,
            line("401000", debit="5.00"),
            line("512000", credit="4.00"),
            piece_ref="",
        ),
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["piece_ref"] == [PIECE_REF_REQUIRED]


# --- In the FEC -----------------------------------------------------------------------


def test_the_fec_shows_the_typed_piece_one_piece_date_and_the_auxiliaries(client, shop, today):
    piece_day = today - dt.timedelta(days=1)
    response = client.post(
        "/api/entries/",
        entry(
            shop.pk,
            *many_lines(MAX_MANUAL_LINES - 1),
            line("401000", debit="1.00", aux="COOP"),
            piece_date=str(piece_day),
        ),
        format="json",
    )
    # 499 lines balance; the 500th debits 401000 and the bank's credit is one short:
    assert response.status_code == 400
    lines = many_lines(MAX_MANUAL_LINES - 1)
    lines[-1]["credit"] = f"{MAX_MANUAL_LINES - 1}.00"
    response = client.post(
        "/api/entries/",
        entry(
            shop.pk,
            *lines,
            line("401000", debit="1.00", aux="COOP"),
            piece_date=str(piece_day),
        ),
        format="json",
    )
    assert response.status_code == 201, response.json()
    filename, content = fec_export(ledger=shop.ledger, year=today.year)
    assert fec_violations(content, filename) == []
    rows = [r.split("\t") for r in content.decode().splitlines()[1:]]
    ours = [r for r in rows if r[2] == response.json()["reference"]]
    assert len(ours) == 500
    assert {(r[8], r[9]) for r in ours} == {("NOTE-2026-14", f"{piece_day:%Y%m%d}")}
    assert [(r[4], r[6], r[7]) for r in ours if r[4] == "401000"] == [
        ("401000", "COOP", "Coopérative MACHE")
    ]
