"""The coordinator's pages that run the rounds (docs/rounds.md): open one, change its
dates (extend it), clone it, the weekly schedules; the round page after "Consolider
maintenant" and once the review is decided. Every refused form keeps what was typed,
says in French beside the field what is wrong, and writes nothing."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from mache.periods import PARIS, paris_date
from purchasing.models import Round, RoundSchedule, SupplierOrder
from purchasing.services.consolidation import round_consolidate
from purchasing.services.lifecycle import round_cancel, supplier_order_confirm
from shops.models import User
from tests.factories import (
    CooperativeFactory,
    ProductFactory,
    RoundFactory,
    ShopFactory,
    SupplierFactory,
    UserFactory,
    close_round,
    make_order,
)
from tests.helpers import page_text, text_of

LOCAL = "%Y-%m-%dT%H:%M"


def local(moment: dt.datetime) -> str:
    """As a datetime-local input shows it: Paris time, to the minute."""
    return moment.astimezone(PARIS).strftime(LOCAL)


def input_value(html: str, name: str) -> str | None:
    """The value attribute of the input named `name`."""
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag:
            found = re.search(r'value="([^"]*)"', tag)
            return found.group(1) if found else ""
    return None


def field_errors(html: str, name: str) -> list[str]:
    """The errors shown beside the input or select named `name` (in its field's block)."""
    start = html.index(f'name="{name}"')
    block = html[start : html.index("</div>", start)]
    return re.findall(r"<li>(.*?)</li>", block)


@pytest.fixture
def coordinator(db):
    CooperativeFactory()
    return UserFactory(role=User.Role.COORDINATOR)


@pytest.fixture
def supplier(db):
    return SupplierFactory(name="Fromagerie du Coglais")


@pytest.fixture
def open_round(supplier):
    now = timezone.now().replace(second=0, microsecond=0)
    return RoundFactory(
        supplier=supplier,
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=2),
        delivery_date=paris_date(now) + dt.timedelta(days=4),
    )


# --- Open a round -----------------------------------------------------------------------


def test_the_home_leads_to_the_form_that_opens_a_round(client, coordinator):
    client.force_login(coordinator)
    home = text_of(client.get("/coordination/"))
    assert 'href="/coordination/tournees/#ouvrir"' in home and "Ouvrir une tournée" in home
    page = text_of(client.get("/coordination/tournees/"))
    assert "/admin/purchasing/round/add/" not in page
    assert 'id="ouvrir"' in page and 'name="supplier"' in page


def test_the_coordinator_opens_a_round_from_the_page(client, coordinator, supplier):
    client.force_login(coordinator)
    now = timezone.now()
    closes = now + dt.timedelta(days=3)
    response = client.post(
        "/coordination/tournees/",
        {
            "supplier": supplier.pk,
            "opens_at": local(now),
            "closes_at": local(closes),
            "delivery_date": str(paris_date(closes) + dt.timedelta(days=1)),
        },
    )
    round_ = Round.objects.get()
    assert (
        response.status_code == 302
        and response["Location"] == f"/coordination/tournees/{round_.pk}/"
    )
    assert round_.supplier == supplier and round_.created_by == coordinator
    assert local(round_.closes_at) == local(closes)  # typed in Paris time


def test_a_past_deadline_keeps_what_was_typed_and_says_why_beside_the_field(
    client, coordinator, supplier
):
    client.force_login(coordinator)
    now = timezone.now()
    typed = {
        "supplier": str(supplier.pk),
        "opens_at": local(now - dt.timedelta(days=2)),
        "closes_at": local(now - dt.timedelta(hours=1)),
        "delivery_date": str(paris_date(now) + dt.timedelta(days=1)),
    }
    response = client.post("/coordination/tournees/", typed)
    assert response.status_code == 400
    html = text_of(response)
    for name in ("opens_at", "closes_at", "delivery_date"):
        assert input_value(html, name) == typed[name], name
    assert re.search(rf'<option value="{supplier.pk}" selected>', html)
    assert field_errors(html, "closes_at") == [
        "La date limite est déjà passée : choisissez une date à venir."
    ]
    assert "rien n'a été enregistré" in html
    assert not Round.objects.exists()


def test_an_empty_form_names_every_field_in_french(client, coordinator):
    client.force_login(coordinator)
    response = client.post("/coordination/tournees/", {"closes_at": "demain"})
    assert response.status_code == 400
    html = text_of(response)
    assert field_errors(html, "supplier") == ["Choisissez le fournisseur."]
    assert field_errors(html, "closes_at") == ["Une date et une heure comme 26/11/2026 18:00."]
    assert input_value(html, "closes_at") == "demain"
    assert field_errors(html, "delivery_date") == ["Indiquez la date."]
    assert not Round.objects.exists()


# --- Change, extend, clone --------------------------------------------------------------


def test_the_coordinator_moves_the_deadline_and_the_delivery(client, coordinator, open_round):
    client.force_login(coordinator)
    url = f"/coordination/tournees/{open_round.pk}/modifier/"
    html = text_of(client.get(url))
    assert input_value(html, "closes_at") == local(open_round.closes_at)
    new_closes = open_round.closes_at + dt.timedelta(days=1)
    new_delivery = open_round.delivery_date + dt.timedelta(days=1)
    response = client.post(
        url, {"closes_at": local(new_closes), "delivery_date": str(new_delivery)}, follow=True
    )
    assert "Tournée modifiée." in page_text(response)
    open_round.refresh_from_db()
    assert (open_round.closes_at, open_round.delivery_date) == (new_closes, new_delivery)


def test_extend_offers_the_deadline_a_day_later(client, coordinator, open_round):
    client.force_login(coordinator)
    html = text_of(client.get(f"/coordination/tournees/{open_round.pk}/modifier/?prolonger=1"))
    assert "Prolonger la tournée" in html
    assert input_value(html, "closes_at") == local(open_round.closes_at + dt.timedelta(days=1))


def test_a_refused_change_keeps_what_was_typed_and_changes_nothing(client, coordinator, open_round):
    client.force_login(coordinator)
    before = Round.objects.values().get(pk=open_round.pk)
    typed = {
        "closes_at": local(open_round.closes_at + dt.timedelta(days=10)),
        "delivery_date": str(open_round.delivery_date),
    }
    response = client.post(f"/coordination/tournees/{open_round.pk}/modifier/", typed)
    assert response.status_code == 400
    html = text_of(response)
    assert input_value(html, "closes_at") == typed["closes_at"]
    assert field_errors(html, "delivery_date") == ["La livraison ne peut précéder la date limite."]
    assert Round.objects.values().get(pk=open_round.pk) == before


def test_a_consolidated_round_offers_no_change(client, coordinator, open_round):
    close_round(open_round)
    round_consolidate(round_id=open_round.pk)
    client.force_login(coordinator)
    response = client.get(f"/coordination/tournees/{open_round.pk}/modifier/", follow=True)
    assert "ses dates ne peuvent plus changer" in page_text(response)


def test_a_past_round_is_cloned_from_the_page(client, coordinator, open_round):
    close_round(open_round)
    round_consolidate(round_id=open_round.pk)
    client.force_login(coordinator)
    url = f"/coordination/tournees/{open_round.pk}/cloner/"
    html = text_of(client.get(url))
    offered = {name: input_value(html, name) for name in ("opens_at", "closes_at", "delivery_date")}
    assert offered["closes_at"] > local(timezone.now())  # a deadline still to come
    response = client.post(url, offered)
    clone = Round.objects.exclude(pk=open_round.pk).get()
    assert response.status_code == 302
    assert clone.supplier_id == open_round.supplier_id and clone.status == Round.Status.OPEN
    # Refused: kept as typed, nothing opened.
    bad = {**offered, "delivery_date": "2020-01-01"}
    response = client.post(url, bad)
    assert response.status_code == 400
    assert input_value(text_of(response), "delivery_date") == "2020-01-01"
    assert Round.objects.count() == 2


@pytest.mark.parametrize(
    "path",
    [
        "/coordination/tournees/hebdomadaires/",
        "/coordination/tournees/{pk}/modifier/",
        "/coordination/tournees/{pk}/cloner/",
    ],
)
def test_shopkeepers_are_refused(client, open_round, path):
    shop = ShopFactory()
    client.force_login(UserFactory(role=User.Role.SHOPKEEPER, shops=[shop]))
    assert client.get(path.format(pk=open_round.pk)).status_code == 403
    assert client.post(path.format(pk=open_round.pk), {}).status_code == 403


# --- Weekly schedules -------------------------------------------------------------------


def schedule_form(supplier_obj, **changes):
    return {
        "supplier": str(supplier_obj.pk),
        "weekday": "3",
        "closes_at_time": "18:00",
        "delivery_weekday": "1",
        "opens_days_before": "3",
        "active": "on",
        **changes,
    }


def test_the_coordinator_adds_edits_and_deactivates_a_schedule(client, coordinator, supplier):
    client.force_login(coordinator)
    url = "/coordination/tournees/hebdomadaires/"
    response = client.post(url, schedule_form(supplier), follow=True)
    assert "Tournée hebdomadaire ajoutée." in page_text(response)
    schedule = RoundSchedule.objects.get()
    assert (schedule.weekday, schedule.closes_at_time, schedule.active) == (
        3,
        dt.time(18, 0),
        True,
    )
    body = page_text(client.get(url))
    assert "chaque jeudi à 18:00" in body and "le mardi" in body and "3 jours avant" in body
    response = client.post(
        f"{url}{schedule.pk}/", schedule_form(supplier, weekday="4", opens_days_before="1")
    )
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.weekday, schedule.opens_days_before) == (4, 1)
    assert "1 jour avant" in page_text(client.get(url))
    response = client.post(f"{url}{schedule.pk}/desactiver/", follow=True)
    assert "elle n'ouvrira plus de tournée" in page_text(response)
    assert RoundSchedule.objects.get().active is False


def test_a_refused_schedule_keeps_what_was_typed(client, coordinator, supplier):
    client.force_login(coordinator)
    typed = schedule_form(supplier, opens_days_before="40", closes_at_time="18h30x")
    response = client.post("/coordination/tournees/hebdomadaires/", typed)
    assert response.status_code == 400
    html = text_of(response)
    assert input_value(html, "opens_days_before") == "40"
    assert field_errors(html, "opens_days_before") == ["Au plus 28 jours."]
    assert input_value(html, "closes_at_time") == "18h30x"
    assert field_errors(html, "closes_at_time") == ["Une heure comme 18:00."]
    assert not RoundSchedule.objects.exists()


# --- The round page after consolidation ---------------------------------------------------


@pytest.fixture
def ordered_round(open_round):
    product = ProductFactory(supplier=open_round.supplier, name="Tomme", case_size=6)
    make_order(open_round, ShopFactory(), (product, 6, 0))
    return open_round


def test_past_its_deadline_the_page_no_longer_says_open_nor_estimates(
    client, coordinator, ordered_round
):
    client.force_login(coordinator)
    url = f"/coordination/tournees/{ordered_round.pk}/"
    before = page_text(client.get(url))
    assert "Ouverte" in before and "si la tournée fermait maintenant" in before
    response = client.post(url + "consolider/")
    after = page_text(client.get(response["Location"]))
    assert "Close, consolidation en cours" in after
    assert "Ouverte" not in after and "si la tournée fermait maintenant" not in after
    assert "Consolider maintenant" not in after and "Relancer ces commerces" not in after


def test_once_consolidated_the_page_shows_the_supplier_order(client, coordinator, ordered_round):
    client.force_login(coordinator)
    url = f"/coordination/tournees/{ordered_round.pk}/"
    response = client.post(url + "consolider/")
    task_url = f"{url}taches/{response['Location'].split('?tache=')[1]}/"
    round_consolidate(round_id=ordered_round.pk)
    # The progress bar, polled by htmx, brings the page's status and the supplier order
    # in place of the fill (out-of-band swaps).
    progress = page_text(client.get(task_url, headers={"HX-Request": "true"}))
    assert "Consolidation terminée." in progress and "Voir la consolidation" in progress
    assert re.search(
        r'<span id="round-status" hx-swap-oob="true" class="badge ok">Consolidée</span>', progress
    )
    assert '<div id="round-fill" hx-swap-oob="true">' in progress
    assert "Confirmée" in progress and "1 produit commandé." in progress
    # On the page itself (the link), no out-of-band copy: one status, one fill.
    with_task = text_of(client.get(response["Location"]))
    assert with_task.count('id="round-status"') == 1 and "hx-swap-oob" not in with_task
    body = page_text(client.get(url))
    assert "Consolidée" in body and "Commande fournisseur n°" in body and "Confirmée" in body
    assert "si la tournée fermait maintenant" not in body and "Ouverte" not in body


@pytest.fixture
def under_review(open_round):
    supplier = open_round.supplier
    supplier.min_order_amount = 500
    supplier.save()
    kept = ProductFactory(supplier=supplier, name="Tomme", case_size=6)
    dropped = ProductFactory(supplier=supplier, name="Crème", sku="CRE", case_size=12)
    make_order(open_round, ShopFactory(), (kept, 6, 0), (dropped, 2, 0))
    close_round(open_round)
    supplier_order = round_consolidate(round_id=open_round.pk)
    assert supplier_order.status == SupplierOrder.Status.NEEDS_REVIEW
    return open_round, supplier_order


def test_the_review_warning_goes_once_confirmed(client, coordinator, under_review):
    round_, supplier_order = under_review
    client.force_login(coordinator)
    url = f"/coordination/tournees/{round_.pk}/"
    body = page_text(client.get(url))
    assert "à valider ou annuler" in body and "« Crème » (CRE) retiré" in body
    supplier_order_confirm(supplier_order_id=supplier_order.pk)
    body = page_text(client.get(url))
    assert "à valider ou annuler" not in body
    assert "« Crème » (CRE) retiré" in body  # not a review warning: it stays


def test_the_review_warning_goes_once_cancelled(client, coordinator, under_review):
    round_, _ = under_review
    round_cancel(round_id=round_.pk)
    client.force_login(coordinator)
    body = page_text(client.get(f"/coordination/tournees/{round_.pk}/"))
    assert "Annulée" in body and "à valider ou annuler" not in body
