"""The coordinator's member pages (issue 12, point 4; docs/members.md): a new shop is a
candidate with its ledger, admitted, edited, suspended, reactivated, and leaves; every
change goes through shops.services; bad input keeps what was typed and writes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from mache.identifiers import vat_number_for
from shops.models import Cooperative, Shop, User
from tests.factories import (
    ProductFactory,
    RoundFactory,
    ShopFactory,
    UserFactory,
    make_siret,
)
from tests.helpers import page_text
from tests.shops.test_shop_ledger import assert_has_its_ledger


@pytest.fixture
def coord_client(client, coordinator, coop):
    client.force_login(coordinator)
    return client


def new_shop_form(**changes):
    return {
        "name": "Épicerie de Cuguen",
        "legal_name": "EPICERIE DE CUGUEN",
        "siret": make_siret(),
        "kind": "epicerie",
        "zone": "rural",
        "address": "3 rue de l'Église",
        "postcode": "35270",
        "commune": "Cuguen",
        "shares": "4",
        "contact_name": "Maryvonne Le Goff",
        "email": "cuguen@example.org",
        "phone": "02 99 00 00 00",
        "opening_hours": "mar.-sam. 8 h-12 h 30",
        "tour_position": "3",
        "expiry_alert_days": "3",
        "vat_regime": "simplified",
        **changes,
    }


def test_the_pages_are_for_coordinators_only(client, shopkeeper, accountant, shop):
    for user in (shopkeeper, accountant):
        client.force_login(user)
        for url in (
            "/coordination/membres/nouveau/",
            f"/coordination/membres/{shop.pk}/modifier/",
            f"/coordination/membres/{shop.pk}/admettre/",
            f"/coordination/membres/{shop.pk}/depart/",
        ):
            assert client.get(url).status_code == 403, url
        assert client.post(f"/coordination/membres/{shop.pk}/suspendre/").status_code == 403
    shop.refresh_from_db()
    assert shop.status == Shop.Status.ACTIVE


def test_anonymous_is_sent_to_the_login(client, shop):
    response = client.post(f"/coordination/membres/{shop.pk}/suspendre/")
    assert response.status_code == 302 and "/connexion/" in response["Location"]


def test_a_new_shop_is_a_candidate_with_its_ledger(coord_client):
    response = coord_client.post("/coordination/membres/nouveau/", new_shop_form())
    shop = Shop.objects.get(name="Épicerie de Cuguen")
    assert response.status_code == 302
    assert response["Location"] == f"/coordination/membres/{shop.pk}/"
    assert shop.status == Shop.Status.CANDIDATE
    assert shop.joined_on is None
    assert (shop.shares, shop.contact_name, shop.tour_position) == (4, "Maryvonne Le Goff", 3)
    assert shop.opening_hours == "mar.-sam. 8 h-12 h 30"
    assert_has_its_ledger(shop)
    page = page_text(coord_client.get(response["Location"]))
    assert "Candidat" in page and "Admettre" in page
    assert "Maryvonne Le Goff" in page


def test_bad_input_keeps_what_was_typed_and_writes_nothing(coord_client, shop):
    response = coord_client.post(
        "/coordination/membres/nouveau/",
        new_shop_form(siret="12345678901234", postcode="3527", shares="-1", name=""),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["siret"]  # the model's Luhn check, said with the others at once
    assert form.errors["postcode"]
    assert form.errors["name"] == ["Ce champ est obligatoire."]
    assert "shares" in form.errors
    html = response.content.decode()
    assert 'value="12345678901234"' in html and 'value="Maryvonne Le Goff"' in html
    assert Shop.objects.count() == 1  # the fixture's shop only


def test_a_siret_already_used_is_said_beside_the_field(coord_client, shop):
    response = coord_client.post("/coordination/membres/nouveau/", new_shop_form(siret=shop.siret))
    assert response.status_code == 200
    assert response.context["form"].errors["siret"] == ["Un commerce a déjà ce SIRET."]
    assert Shop.objects.count() == 1


def test_the_service_error_on_a_bad_siret_is_beside_the_field(coord_client):
    # 14 digits with a wrong Luhn key: only the model's validator (in the service) knows.
    good = make_siret()
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    response = coord_client.post("/coordination/membres/nouveau/", new_shop_form(siret=bad))
    assert response.status_code == 200
    assert response.context["form"].errors["siret"]
    assert not Shop.objects.filter(siret=bad).exists()


def test_admission_makes_the_candidate_active_from_its_date(coord_client):
    candidate = ShopFactory(status=Shop.Status.CANDIDATE, joined_on=None)
    url = f"/coordination/membres/{candidate.pk}/admettre/"
    page = coord_client.get(url)
    assert "Adhésion le" in page_text(page)
    # The date picker's value is ISO (a browser drops "30/11/2026" from type=date).
    today = timezone.localdate().isoformat()
    assert f'type="date" name="on" value="{today}"' in page.content.decode()
    response = coord_client.post(url, {"on": "2026-11-02"})
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.status == Shop.Status.ACTIVE
    assert candidate.joined_on == dt.date(2026, 11, 2)
    assert_has_its_ledger(candidate)


def test_admission_with_a_bad_date_keeps_it_and_changes_nothing(coord_client):
    candidate = ShopFactory(status=Shop.Status.CANDIDATE, joined_on=None)
    response = coord_client.post(
        f"/coordination/membres/{candidate.pk}/admettre/", {"on": "31/02/2026"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["on"] == ["Saisissez une date valide."]
    assert 'value="31/02/2026"' in response.content.decode()
    candidate.refresh_from_db()
    assert candidate.status == Shop.Status.CANDIDATE


def test_an_active_shop_cannot_be_admitted_again(coord_client, shop):
    response = coord_client.post(f"/coordination/membres/{shop.pk}/admettre/", {"on": "2026-11-02"})
    assert response.status_code == 409
    assert "Seul un commerce candidat peut être admis." in page_text(response)
    shop.refresh_from_db()
    assert shop.joined_on == dt.date(2015, 1, 1)


def order_response(api, shop):
    keeper = UserFactory(role=User.Role.SHOPKEEPER, shops=[shop])
    product = ProductFactory()
    round_ = RoundFactory(supplier=product.supplier)
    return api.as_user(keeper).post(
        "/api/orders/",
        {
            "round": round_.pk,
            "shop": shop.pk,
            "lines": [{"product": product.pk, "quantity": 3, "tolerance": 0}],
        },
        format="json",
    )


def test_a_suspended_shop_cannot_order_until_reactivated(coord_client, api, shop):
    response = coord_client.post(f"/coordination/membres/{shop.pk}/suspendre/")
    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.status == Shop.Status.SUSPENDED
    refused = order_response(api, shop)
    assert refused.status_code == 409 and refused.json()["code"] == "shop_not_active"

    page = page_text(coord_client.get(f"/coordination/membres/{shop.pk}/"))
    assert "est suspendu" in page and "Réactiver" in page
    coord_client.post(f"/coordination/membres/{shop.pk}/reactiver/")
    shop.refresh_from_db()
    assert shop.status == Shop.Status.ACTIVE
    assert order_response(api, shop).status_code == 201


def test_suspending_a_candidate_is_refused_in_french(coord_client):
    candidate = ShopFactory(status=Shop.Status.CANDIDATE, joined_on=None)
    response = coord_client.post(f"/coordination/membres/{candidate.pk}/suspendre/", follow=True)
    assert "Seul un commerce actif peut être suspendu." in page_text(response)
    candidate.refresh_from_db()
    assert candidate.status == Shop.Status.CANDIDATE


def test_suspend_answers_only_a_post(coord_client, shop):
    assert coord_client.get(f"/coordination/membres/{shop.pk}/suspendre/").status_code == 405


def test_a_shop_that_left_keeps_its_history_and_cannot_order(coord_client, api, shop):
    response = coord_client.post(f"/coordination/membres/{shop.pk}/depart/", {"on": "2026-10-31"})
    assert response.status_code == 302
    shop.refresh_from_db()
    assert (shop.status, shop.left_on) == (Shop.Status.LEFT, dt.date(2026, 10, 31))
    assert shop.joined_on == dt.date(2015, 1, 1)
    assert_has_its_ledger(shop)
    refused = order_response(api, shop)
    assert refused.status_code == 409 and refused.json()["code"] == "shop_not_active"
    page = page_text(coord_client.get(f"/coordination/membres/{shop.pk}/"))
    assert "Parti" in page and "Enregistrer le départ" not in page
    again = coord_client.post(f"/coordination/membres/{shop.pk}/depart/", {"on": "2026-11-30"})
    assert again.status_code == 409
    shop.refresh_from_db()
    assert shop.left_on == dt.date(2026, 10, 31)


def test_a_departure_before_the_admission_is_refused_beside_the_date(coord_client, shop):
    response = coord_client.post(f"/coordination/membres/{shop.pk}/depart/", {"on": "2014-12-31"})
    assert response.status_code == 200
    assert response.context["form"].errors["on"] == ["Le départ ne peut pas précéder l'adhésion."]
    shop.refresh_from_db()
    assert shop.status == Shop.Status.ACTIVE


def test_the_record_is_edited_and_a_bad_value_keeps_what_was_typed(coord_client, shop):
    url = f"/coordination/membres/{shop.pk}/modifier/"
    data = new_shop_form(siret=shop.siret, name="Épicerie renommée", shares="7")
    response = coord_client.post(url, data)
    assert response.status_code == 302
    shop.refresh_from_db()
    assert (shop.name, shop.shares, shop.tour_position) == ("Épicerie renommée", 7, 3)
    assert shop.status == Shop.Status.ACTIVE  # the form never moves the status

    response = coord_client.post(url, {**data, "tour_position": "premier", "phone": "06 12"})
    assert response.status_code == 200
    assert response.context["form"].errors["tour_position"] == ["Saisissez un nombre entier."]
    assert 'value="premier"' in response.content.decode()
    shop.refresh_from_db()
    assert shop.phone == "02 99 00 00 00"


def test_the_vat_number_of_another_siren_is_said_beside_the_field(coord_client, shop):
    url = f"/coordination/membres/{shop.pk}/modifier/"
    data = new_shop_form(siret=shop.siret, vat_number="FR44732829320")
    response = coord_client.post(url, data)
    assert response.status_code == 200
    assert "ne correspond pas au SIREN" in response.context["form"].errors["vat_number"][0]
    shop.refresh_from_db()
    assert shop.vat_number == ""
    response = coord_client.post(url, {**data, "vat_number": vat_number_for(shop.siret)})
    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.vat_number == vat_number_for(shop.siret)


def test_the_member_page_shows_the_shares_and_their_value_in_euros(coord_client, shop):
    Cooperative.objects.update(share_value=Decimal("1500.00"))
    shop.shares = 2
    shop.save()
    page = page_text(coord_client.get(f"/coordination/membres/{shop.pk}/"))
    amounts = ("3\u00a0000,00\u00a0€", "1\u00a0500,00\u00a0€")  # no-break spaces
    assert "Parts souscrites : 2 ({} à {} la part)".format(*amounts) in page
    assert "Modifier dans l'administration" not in page
    assert "Suspendre" in page


def test_the_members_list_links_to_the_new_shop_form(coord_client):
    assert "Nouveau commerce" in page_text(coord_client.get("/coordination/membres/"))
