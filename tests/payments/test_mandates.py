"""A shop's SEPA mandate (docs/sepa.md, "Mandates"): recorded by the coordinator (PUT),
read by the shop's people with the IBAN masked, not found for another shop; IBAN and
BIC checked; a new IBAN or reference starts a new sequence; the member page's form."""

import datetime as dt

import pytest

from payments.models import DirectDebitItem, Mandate
from payments.services.direct_debits import direct_debit_batch_prepare

from .conftest import in_days, mandate_for, shop_iban

IBAN = "FR76 3000 6000 0112 3456 7890 189"


def body(**changes):
    return {
        "iban": IBAN,
        "bic": "AGRIFRPP",
        "reference": "RUM-ROMAZY-001",
        "signed_on": "2025-02-03",
        "scheme": "B2B",
        **changes,
    }


def put(api, user, shop, data):
    return api.as_user(user).put(f"/api/shops/{shop.pk}/mandate/", data, format="json")


def test_the_coordinator_records_then_replaces_a_mandate(api, coop, coordinator, shop):
    response = put(api, coordinator, shop, body())
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "shop": shop.pk,
        "iban": IBAN,  # as given, whole for a coordinator
        "bic": "AGRIFRPP",
        "reference": "RUM-ROMAZY-001",
        "signed_on": "2025-02-03",
        "scheme": "B2B",
        "prenotification_days": None,
        "first_collected_on": None,
    }
    response = put(api, coordinator, shop, body(scheme="CORE", prenotification_days=5))
    assert response.status_code == 200
    mandate = Mandate.objects.get(shop=shop)
    assert (mandate.scheme, mandate.prenotification_days) == ("CORE", 5)
    assert Mandate.objects.count() == 1
    assert api.as_user(coordinator).get(f"/api/shops/{shop.pk}/mandate/").json()["iban"] == IBAN


@pytest.mark.parametrize("role", ["shopkeeper", "accountant"])
def test_the_shop_sees_its_mandate_with_the_iban_masked(api, coop, shop, request, role):
    mandate_for(shop, iban=IBAN)
    response = api.as_user(request.getfixturevalue(role)).get(f"/api/shops/{shop.pk}/mandate/")
    assert response.status_code == 200
    assert response.json()["iban"] == "*" * 23 + "0189"


@pytest.mark.parametrize("role", ["shopkeeper", "accountant"])
def test_another_shops_mandate_is_not_found_and_only_the_coordinator_writes(
    api, coop, shop, other_shop, request, role
):
    mandate_for(other_shop)
    user = request.getfixturevalue(role)
    assert api.as_user(user).get(f"/api/shops/{other_shop.pk}/mandate/").status_code == 404
    assert put(api, user, shop, body()).status_code == 403
    assert put(api, user, other_shop, body()).status_code == 403
    assert not Mandate.objects.filter(shop=shop).exists()


def test_no_mandate_yet_is_404(api, coop, coordinator, shop):
    assert api.as_user(coordinator).get(f"/api/shops/{shop.pk}/mandate/").status_code == 404


@pytest.mark.parametrize(
    "field, value",
    [
        ("iban", "FR7630006000011234567890188"),  # wrong checksum
        ("iban", "XX00"),
        ("bic", "AGRI"),
        ("reference", "RUM_avec_soulignés"),  # not in the SEPA character set
        ("reference", "R" * 36),
        ("signed_on", "2025-02-30"),
        ("signed_on", str(in_days(1))),
        ("scheme", "COR1"),
        ("prenotification_days", 0),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(
    api, coop, coordinator, shop, field, value
):
    response = put(api, coordinator, shop, body(**{field: value}))
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Mandate.objects.exists()


def test_a_reference_is_one_shops_only(api, coop, coordinator, shop, other_shop):
    mandate_for(other_shop, reference="RUM-ROMAZY-001")
    response = put(api, coordinator, shop, body())
    assert response.status_code == 400 and list(response.json()) == ["reference"]


def test_unrelated_changes_keep_the_sequence_a_new_iban_restarts_it(api, coop, coordinator, shop):
    put(api, coordinator, shop, body())
    Mandate.objects.update(first_collected_on=dt.date(2025, 3, 5))
    put(api, coordinator, shop, body(bic="AGRIFRPP882", scheme="CORE"))
    assert Mandate.objects.get().first_collected_on == dt.date(2025, 3, 5)
    put(api, coordinator, shop, body(iban=IBAN.replace(" ", "")))  # the same account
    assert Mandate.objects.get().first_collected_on == dt.date(2025, 3, 5)
    put(api, coordinator, shop, body(iban=shop_iban(7)))
    assert Mandate.objects.get().first_collected_on is None
    Mandate.objects.update(first_collected_on=dt.date(2025, 3, 5))
    put(api, coordinator, shop, body(iban=shop_iban(7), reference="RUM-ROMAZY-002"))
    assert Mandate.objects.get().first_collected_on is None


def test_a_new_iban_waits_for_the_collection_on_its_way(api, coordinator, two_shops):
    shop = two_shops["shops"][0]
    direct_debit_batch_prepare(collection_date=in_days(3), invoice_ids=None)
    mandate = Mandate.objects.get(shop=shop)
    response = put(api, coordinator, shop, body(reference=mandate.reference, iban=shop_iban(99)))
    assert response.status_code == 409
    assert response.json()["code"] == "mandate_in_collection"
    assert Mandate.objects.get(shop=shop).iban == mandate.iban
    # The BIC may still be corrected.
    response = put(
        api, coordinator, shop, body(reference=mandate.reference, iban=mandate.iban, bic="BNPAFRPP")
    )
    assert response.status_code == 200
    assert DirectDebitItem.objects.filter(mandate=mandate).exists()


# --- The member's page ------------------------------------------------------------------


def test_the_member_page_shows_the_mandate_and_its_form_records_it(client, coop, coordinator, shop):
    client.force_login(coordinator)
    page = client.get(f"/coordination/membres/{shop.pk}/").content.decode()
    assert "Mandat de prélèvement" in page and "Enregistrer un mandat" in page
    response = client.post(
        f"/coordination/membres/{shop.pk}/mandat/",
        {
            "reference": "RUM-PAGE-1",
            "signed_on": "2025-02-03",
            "iban": IBAN,
            "bic": "AGRIFRPP",
            "scheme": "B2B",
            "prenotification_days": "",
        },
    )
    assert response.status_code == 302
    assert Mandate.objects.get(shop=shop).reference == "RUM-PAGE-1"
    page = client.get(f"/coordination/membres/{shop.pk}/").content.decode()
    assert "RUM-PAGE-1" in page and "Modifier le mandat" in page


def test_the_mandate_form_says_a_wrong_iban_in_french(client, coop, coordinator, shop):
    client.force_login(coordinator)
    response = client.post(
        f"/coordination/membres/{shop.pk}/mandat/",
        {
            "reference": "RUM-PAGE-1",
            "signed_on": "2025-02-03",
            "iban": "FR7630006000011234567890188",
            "bic": "AGRIFRPP",
            "scheme": "B2B",
        },
    )
    assert response.status_code == 400
    assert "Cet IBAN n&#x27;est pas valide" in response.content.decode()
    assert not Mandate.objects.exists()


def test_the_mandate_page_is_the_coordinators(client, coop, shopkeeper, shop):
    client.force_login(shopkeeper)
    assert client.get(f"/coordination/membres/{shop.pk}/mandat/").status_code == 403
