"""The cooperative's record from a page (issue 12): the coordinator keeps its identity,
the hub address printed on purchase orders, the share value; bad input is said beside
the field and nothing is written."""

import datetime as dt
from decimal import Decimal

import pytest

from purchasing.pdf import purchase_order_pdf
from purchasing.services.consolidation import round_consolidate
from shops.models import Cooperative
from tests.factories import biscuit_round, close_round, make_order, make_siret
from tests.helpers import page_text, pdf_text

URL = "/coordination/cooperative/"


def form(**changes):
    data = {
        "name": "MACHE",
        "legal_name": "SCIC MACHE",
        "siret": make_siret(),
        "address": "2 rue de la Mairie",
        "postcode": "35190",
        "commune": "Tinténiac",
        "hub_address": "Plateforme MACHE\nZA du Lindon\n35630 Hédé-Bazouges",
        "share_value": "75,50",
        "founded_on": "2025-01-01",
    }
    data.update(changes)
    return data


@pytest.fixture
def coord_client(client, coordinator, coop):
    client.force_login(coordinator)
    return client


def test_only_the_coordinator_keeps_the_cooperative(client, shopkeeper, accountant, coop):
    for user in (shopkeeper, accountant):
        client.force_login(user)
        assert client.get(URL).status_code == 403
        assert client.post(URL, form()).status_code == 403
    assert Cooperative.objects.get().name == coop.name


def test_the_coordinator_changes_the_cooperative_and_the_hub_reaches_the_purchase_order(
    coord_client, shop, tmp_path
):
    response = coord_client.post(URL, form(), follow=True)
    assert response.redirect_chain == [(URL, 302)]
    assert "Fiche de la coopérative enregistrée." in page_text(response)
    cooperative = Cooperative.objects.get()
    assert (cooperative.legal_name, cooperative.share_value, cooperative.founded_on) == (
        "SCIC MACHE",
        Decimal("75.50"),
        dt.date(2025, 1, 1),
    )
    # The page shows what is saved, in French.
    page = coord_client.get(URL).content.decode()
    assert 'value="75,50"' in page and "ZA du Lindon" in page

    world = biscuit_round()
    make_order(world["round"], shop, (world["galettes"], 6, 0))
    close_round(world["round"])
    supplier_order = round_consolidate(round_id=world["round"].pk)
    assert "ZA du Lindon" in pdf_text(purchase_order_pdf(supplier_order), tmp_path)


def test_bad_input_keeps_what_was_typed_and_writes_nothing(coord_client, coop):
    before = Cooperative.objects.values().get()
    response = coord_client.post(
        URL, form(siret="12345678901234", share_value="abc", legal_name="SCIC MACHE 2")
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"siret", "share_value"}
    page = response.content.decode()
    assert 'value="SCIC MACHE 2"' in page and 'value="abc"' in page
    assert Cooperative.objects.values().get() == before


def test_a_new_installation_records_its_cooperative(client, coordinator, db):
    assert not Cooperative.objects.exists()
    client.force_login(coordinator)
    assert client.get(URL).status_code == 200
    assert client.post(URL, form()).status_code == 302
    assert Cooperative.objects.get().name == "MACHE"


def test_the_coordinators_home_links_the_cooperative_not_the_admin(coord_client):
    page = coord_client.get("/coordination/").content.decode()
    assert f'href="{URL}"' in page
    assert 'href="/admin/"' not in page
