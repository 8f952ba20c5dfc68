"""`/api/cooperative/` (docs/sepa.md, "The cooperative's record"): every role reads it,
the coordinator changes it; identifiers checked, 400 naming the field, nothing written.
And the page « La coopérative » with the same fields."""

from decimal import Decimal

import pytest

from mache.identifiers import vat_number_for
from shops.models import Cooperative

from .conftest import COOP_BIC, COOP_IBAN, COOP_ICS

FIELDS = {
    "name",
    "legal_name",
    "siret",
    "vat_number",
    "legal_form",
    "share_capital",
    "rcs",
    "address",
    "postcode",
    "commune",
    "hub_address",
    "hub_latitude",
    "hub_longitude",
    "local_radius_km",
    "iban",
    "bic",
    "sepa_creditor_id",
    "vat_on_debits",
    "payment_term_days",
    "service_fee_rate",
    "share_value",
}


@pytest.mark.parametrize("role", ["coordinator", "shopkeeper", "accountant"])
def test_every_role_reads_the_cooperative(api, coop, request, role):
    response = api.as_user(request.getfixturevalue(role)).get("/api/cooperative/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == FIELDS
    assert body["share_value"] == "50.00"
    assert body["service_fee_rate"] == "0.0200"
    assert body["payment_term_days"] == 30


def test_the_coordinator_changes_the_legal_mentions_and_the_bank(api, coop, coordinator):
    response = api.as_user(coordinator).patch(
        "/api/cooperative/",
        {
            "vat_number": vat_number_for(coop.siret),
            "legal_form": "SCIC SAS à capital variable",
            "share_capital": "12500.00",
            "rcs": "RCS Rennes 303 265 045",
            "iban": COOP_IBAN,
            "bic": COOP_BIC,
            "sepa_creditor_id": COOP_ICS,
            "vat_on_debits": True,
            "payment_term_days": 45,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["share_capital"] == "12500.00"
    saved = Cooperative.get()
    assert saved.iban == COOP_IBAN and saved.sepa_creditor_id == COOP_ICS
    assert saved.share_capital == Decimal("12500.00")
    assert saved.vat_on_debits is True and saved.payment_term_days == 45
    assert saved.name == "MACHE Test"  # fields not sent are kept


@pytest.mark.parametrize("role", ["shopkeeper", "accountant"])
def test_only_the_coordinator_changes_it(api, coop, request, role):
    response = api.as_user(request.getfixturevalue(role)).patch(
        "/api/cooperative/", {"name": "Autre"}, format="json"
    )
    assert response.status_code == 403
    assert Cooperative.get().name == "MACHE Test"


@pytest.mark.parametrize(
    "field, value",
    [
        ("iban", "FR7630006000011234567890188"),  # wrong checksum
        ("iban", "FR76300060000112345"),  # too short for France
        ("bic", "AGRI"),
        ("sepa_creditor_id", "FR00ZZZ123456"),
        ("vat_number", "FR00303265045"),
        ("vat_number", "FR40303265045"),  # valid, but another company's SIREN
        ("vat_number", "DE136695976"),  # valid, but not French
        ("siret", "12345678901234"),
        ("payment_term_days", 90),
        ("postcode", "3556"),
        ("share_value", "abc"),
    ],
)
def test_bad_identifiers_are_400_naming_the_field_and_write_nothing(
    api, coop, coordinator, field, value
):
    response = api.as_user(coordinator).patch(
        "/api/cooperative/", {field: value, "name": "Changée"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Cooperative.get().name == "MACHE Test"


def test_a_blank_vat_number_is_derived_from_the_siren(api, coop, coordinator):
    # docs/e-invoicing.md, "Identities": python-stdnum computes the key from the SIREN.
    Cooperative.objects.update(vat_number="")
    body = api.as_user(coordinator).get("/api/cooperative/").json()
    assert body["vat_number"] == vat_number_for(coop.siret) != ""
    assert body["vat_number"] == "FR" + body["vat_number"][2:4] + coop.siret[:9]


def test_a_given_vat_number_is_stored_compact_and_follows_no_later_siret(api, coop, coordinator):
    given = vat_number_for(coop.siret)
    spaced = f"{given[:4]} {given[4:7]} {given[7:10]} {given[10:]}"
    response = api.as_user(coordinator).patch(
        "/api/cooperative/", {"vat_number": spaced}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert Cooperative.get().vat_number == given
    # A new SIRET of another SIREN no longer matches the number given: said on it.
    response = api.as_user(coordinator).patch(
        "/api/cooperative/", {"siret": "73282932000074"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["vat_number"]
    assert Cooperative.get().siret == coop.siret


def test_a_la_poste_siret_is_accepted(api, coop, coordinator):
    response = api.as_user(coordinator).patch(
        "/api/cooperative/", {"siret": "35600000010000", "vat_number": ""}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["vat_number"] == "FR39356000000"


# --- The page -------------------------------------------------------------------------


def test_the_page_saves_the_new_fields(client, coop, coordinator):
    client.force_login(coordinator)
    page = client.get("/coordination/cooperative/")
    assert "Banque et prélèvements" in page.content.decode()
    response = client.post(
        "/coordination/cooperative/",
        {
            "name": "MACHE Test",
            "legal_name": "SCIC MACHE TEST",
            "siret": coop.siret,
            "share_value": "50,00",
            "service_fee_rate": "0.02",
            "legal_form": "SCIC SAS",
            "share_capital": "1000,00",
            "rcs": "RCS Rennes",
            "vat_number": vat_number_for(coop.siret),
            "vat_on_debits": "on",
            "payment_term_days": "30",
            "iban": COOP_IBAN,
            "bic": COOP_BIC,
            "sepa_creditor_id": COOP_ICS,
        },
    )
    assert response.status_code == 302, response.content.decode()
    saved = Cooperative.get()
    assert (saved.iban, saved.bic, saved.sepa_creditor_id) == (COOP_IBAN, COOP_BIC, COOP_ICS)
    assert saved.vat_on_debits and saved.legal_form == "SCIC SAS"


def test_the_page_says_a_wrong_iban_in_french_and_saves_nothing(client, coop, coordinator):
    client.force_login(coordinator)
    response = client.post(
        "/coordination/cooperative/",
        {
            "name": "Changée",
            "legal_name": "SCIC MACHE TEST",
            "siret": coop.siret,
            "share_value": "50,00",
            "payment_term_days": "30",
            "iban": "FR7630006000011234567890188",
        },
    )
    assert response.status_code == 400
    assert "Cet IBAN n&#x27;est pas valide" in response.content.decode()
    assert Cooperative.get().name == "MACHE Test"


def test_the_page_shows_the_vat_number_derived_from_the_siren(client, coop, coordinator):
    Cooperative.objects.update(vat_number="")
    client.force_login(coordinator)
    page = client.get("/coordination/cooperative/").content.decode()
    assert vat_number_for(coop.siret) in page
