"""The purchasing pages: shopkeepers' order form, past orders and invoices; the
coordinator's rounds, consolidation, review and receipt. Through Django's test client,
against the same services and selectors as the API."""

import datetime as dt
import re
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from purchasing.models import Invoice, Order, Round, SupplierOrder
from purchasing.selectors import round_fill_changed
from purchasing.services.consolidation import round_consolidate
from purchasing.services.lifecycle import supplier_order_confirm
from purchasing.services.receipt import supplier_order_receive
from shops.models import User
from tests.factories import (
    CooperativeFactory,
    ProductFactory,
    RoundFactory,
    ShopFactory,
    SupplierFactory,
    UserFactory,
    add_tiers,
    biscuit_round,
    close_round,
    make_order,
)
from tests.helpers import eur
from tests.helpers import page_text as text

from .order_form_helpers import gauge, row, sentences, words
from .order_form_helpers import typed as typed_value

NBSP = "\u00a0"
QUERY_BUDGET = 20


@pytest.fixture
def world(db):
    """A supplier with two products (one with a tier), an open round where another shop
    ordered 4 of the case of 6, and a shopkeeper who has not ordered yet."""
    shop = ShopFactory(name="Épicerie de Romazy")
    world = biscuit_round(min_order_amount="50.00")
    ProductFactory(supplier=world["supplier"], name="Ancien produit", active=False)
    other = world["other"]
    return {
        **world,
        "shop": shop,
        "keeper": UserFactory(role=User.Role.SHOPKEEPER, shops=[shop]),
        "other_keeper": UserFactory(role=User.Role.SHOPKEEPER, shops=[other]),
        "coordinator": UserFactory(role=User.Role.COORDINATOR),
    }


def order_data(world, **values):
    """Form data: q<id>/t<id> for both products, e.g. order_data(w, galettes=(3, 1))."""
    data = {}
    for name in ("galettes", "cidre"):
        quantity, tolerance = values.get(name, ("", ""))
        data[f"q{world[name].pk}"] = quantity
        data[f"t{world[name].pk}"] = tolerance
    return data


def close(round_):
    close_round(round_, ago=dt.timedelta(minutes=1))
    round_.refresh_from_db()


# --- The shopkeeper's order form --------------------------------------------------------


def test_the_order_form_lists_the_active_products_with_case_price_tiers_and_gauge(client, world):
    client.force_login(world["keeper"])
    galettes, cidre = world["galettes"], world["cidre"]
    response = client.get(f"/commandes/{world['round'].pk}/")
    assert response.status_code == 200
    body = text(response)
    assert "Galettes" in body and "Cidre" in body and "Ancien produit" not in body
    # In short: reference, "par 6" (the case), the unit price excl. VAT without the
    # euro sign (the list's head says so), the volume price.
    assert "par 6 : colis de 6 · prix HT l'unité en €" in body
    assert row(response, galettes).small == "GAL · par 6 · 2,5000\ndès 2 colis : 2,2000"
    assert row(response, cidre).small == "CID · par 12 · 1,0000"
    # The other shop's 4 units fill 4/6 of the group's current case: 2 missing.
    assert gauge(response, galettes) == 66
    assert words(response, galettes) == ("manque 2", "")
    assert gauge(response, cidre) == 0
    assert words(response, cidre) == ("", "")
    assert eur('<strong id="shop-incl">0,00 €</strong>') in body
    assert eur("minimum 50,00 € non atteint") in body
    # Bare fields, named by the product: order_form.js gives them their label and the
    # numeric keyboard (tests/browser/test_purchasing_pages.py).
    assert f"<input name=q{galettes.pk}><input name=t{galettes.pk}>" in row(response, galettes).html
    assert "mache/order_form.js" in body

    # In whole sentences.
    response = client.get(f"/commandes/{world['round'].pk}/?detail=1")
    assert row(response, galettes).small == eur(
        f"GAL · colis de 6 · TVA 5,5{NBSP}% · 2,5000 € HT l'unité\ndès 2 colis : 2,2000 €"
    )
    assert gauge(response, galettes) == 66
    assert "Il manque 2 unités au groupe pour un premier colis." in sentences(response, galettes)
    assert gauge(response, cidre) == 0


def test_the_estimate_counts_the_typed_quantities_without_saving_them(client, world):
    client.force_login(world["keeper"])
    url = f"/commandes/{world['round'].pk}/estimation/"
    response = client.post(
        url, {**order_data(world, galettes=(2, "")), "detail": "1"}, HTTP_HX_REQUEST="true"
    )
    assert gauge(response, world["galettes"]) == 100  # 4 + 2: the case is full
    assert "Colis complet." in sentences(response, world["galettes"])
    response = client.post(url, order_data(world, galettes=(2, "")), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = text(response)
    assert gauge(response, world["galettes"]) == 100
    assert words(response, world["galettes"]) == ("1 colis", eur("vous 2 u. · 5,00 €"))
    # What the shop would be invoiced (docs/consolidation.md, rule 6): its 2 galettes
    # 5.00, a third of the 25.00 shipping by goods (5.00 of 15.00) 8.33, the 2 % fee
    # 0.10; VAT 0.73 on 13.33 at 5.5 % and 0.02 on 0.10 at 20 %.
    assert eur('<td class="num" id="shop-goods">5,00 €</td>') in body
    assert eur('<td class="num" id="shop-shipping">8,33 €</td>') in body
    assert eur('<th class="num" id="shop-excl">13,43 €</th>') in body
    assert eur('<strong id="shop-incl">14,18 €</strong>') in body
    assert f'<i id=f{world["galettes"].pk} style=--g:100% hx-swap-oob="true">' in body
    # 4 + 8 = 12 units: two cases, the tier price for every unit of the group.
    response = client.post(
        url, order_data(world, galettes=(8, ""), cidre=(12, "")), HTTP_HX_REQUEST="true"
    )
    body = text(response)
    # Goods 8 x 2.20 + 12 x 1.00 = 29.60; shipping 25.00 x 29.60 / 38.40 = 19.27 (11.46
    # at 5.5 %, 7.81 at 20 %); fee 0.59; VAT 1.60 on 29.06 and 4.08 on 20.40.
    assert eur('<td class="num" id="shop-goods">29,60 €</td>') in body
    assert eur('<th class="num" id="shop-excl">49,46 €</th>') in body
    assert eur('<strong id="shop-incl">55,14 €</strong>') in body
    assert eur('<span id="group-total">38,40 €</span>') in body  # 12 x 2.20 + 12.00
    assert not Order.objects.filter(shop=world["shop"]).exists()


def test_the_estimate_replaces_the_shops_saved_lines(client, world):
    make_order(world["round"], world["shop"], (world["galettes"], 2, 0))
    client.force_login(world["keeper"])
    response = client.get(f"/commandes/{world['round'].pk}/")
    assert gauge(response, world["galettes"]) == 100
    assert typed_value(response, f"q{world['galettes'].pk}") == "2"
    response = client.post(
        f"/commandes/{world['round'].pk}/estimation/", order_data(world, galettes=(1, ""))
    )
    assert gauge(response, world["galettes"]) == 83  # 4 + 1, not 4 + 2 + 1
    assert words(response, world["galettes"]) == ("manque 1", "vous : rien")


def test_an_invalid_value_counts_as_zero_in_the_estimate(client, world):
    client.force_login(world["keeper"])
    response = client.post(
        f"/commandes/{world['round'].pk}/estimation/",
        order_data(world, galettes=("abc", ""), cidre=(12, "")),
    )
    assert response.status_code == 200
    # Only the cider counts: 12.00, and the whole shipping (no other shop gets goods:
    # the other shop's 4 galettes fill no case), fee 0.24.
    assert eur('<td class="num" id="shop-goods">12,00 €</td>') in text(response)
    assert eur('<th class="num" id="shop-excl">37,24 €</th>') in text(response)


def test_placing_changing_and_withdrawing_an_order(client, world):
    client.force_login(world["keeper"])
    url = f"/commandes/{world['round'].pk}/"
    response = client.post(url, order_data(world, galettes=(3, 1)))
    assert response.status_code == 302 and response["Location"] == url
    order = Order.objects.get(shop=world["shop"])
    assert list(order.lines.values_list("product_id", "quantity", "tolerance")) == [
        (world["galettes"].pk, 3, 1)
    ]
    assert "Commande enregistrée." in text(client.get(url))

    client.post(url, order_data(world, galettes=(0, ""), cidre=(12, "")))
    assert list(order.lines.values_list("product_id", "quantity")) == [(world["cidre"].pk, 12)]

    response = client.post(url, order_data(world, galettes=("0", ""), cidre=("", "")), follow=True)
    assert not Order.objects.filter(pk=order.pk).exists()
    assert "Votre commande a été retirée de la tournée" in text(response)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abc", "Saisissez un nombre entier d'unités."),
        ("-1", "Pas de nombre négatif."),
        ("100001", f"Au plus 100{NBSP}000 unités."),
        ("2.5", "Saisissez un nombre entier d'unités."),
    ],
)
def test_a_bad_quantity_is_said_beside_its_field_keeps_the_input_and_saves_nothing(
    client, world, typed, message
):
    make_order(world["round"], world["shop"], (world["cidre"], 12, 0))
    client.force_login(world["keeper"])
    response = client.post(
        f"/commandes/{world['round'].pk}/", order_data(world, galettes=(typed, ""), cidre=(24, ""))
    )
    assert response.status_code == 400
    line = row(response, world["galettes"])
    assert message in line.text and "field-error" in line.html
    # The field in full: its label, what was typed, the numeric keyboard, its error.
    assert (
        f'<label for="id_q{world["galettes"].pk}">Quantité<span class="visually-hidden"> : '
        f'Galettes</span></label><input type="number" '
        f'name="q{world["galettes"].pk}" value="{typed}" min="0" inputmode="numeric" '
        f'aria-invalid="true" id="id_q{world["galettes"].pk}">'
    ) in line.html
    assert typed_value(response, f"q{world['cidre'].pk}") == "24"  # kept too
    assert list(Order.objects.get(shop=world["shop"]).lines.values_list("quantity", flat=True)) == [
        12
    ]


def test_an_empty_order_is_refused_above_the_form(client, world):
    client.force_login(world["keeper"])
    response = client.post(f"/commandes/{world['round'].pk}/", order_data(world))
    assert response.status_code == 400
    assert "La commande doit compter au moins une ligne." in text(response)
    assert not Order.objects.filter(shop=world["shop"]).exists()


def test_a_form_posted_after_the_deadline_says_so_and_saves_nothing(client, world):
    client.force_login(world["keeper"])
    close(world["round"])
    response = client.post(f"/commandes/{world['round'].pk}/", order_data(world, galettes=(2, "")))
    assert response.status_code == 409
    body = text(response)
    assert "La tournée est close : votre commande n'a pas été enregistrée." in body
    local = timezone.localtime(world["round"].closes_at)
    assert f"Commandes closes le {local:%d/%m/%Y} à {local:%H:%M}." in body
    assert not Order.objects.filter(shop=world["shop"]).exists()


def test_the_estimate_of_a_closed_round_says_it_is_closed(client, world):
    client.force_login(world["keeper"])
    close(world["round"])
    response = client.post(
        f"/commandes/{world['round'].pk}/estimation/", order_data(world, galettes=(2, ""))
    )
    assert "La tournée est close" in text(response)


def test_after_consolidation_the_shop_sees_what_it_was_allocated(client, world):
    make_order(world["round"], world["shop"], (world["galettes"], 1, 1))
    close(world["round"])
    round_consolidate(round_id=world["round"].pk)  # 4 + 1, tolerance 1: one case of 6
    client.force_login(world["keeper"])
    response = client.get(f"/commandes/{world['round'].pk}/")
    assert response.status_code == 200
    body = text(response)
    assert "Commandes closes le" in body and 'name="q' not in body
    row = re.search(r"<tr><td>Galettes.*?</tr>", body).group(0)
    # Asked 1 (tolerance 1), allocated 2, not received yet.
    assert re.findall(r'class="num">(?:<strong>)?(\d+)', row) == ["1", "2"]
    assert "+1 tol." in row and "à venir" in row


def test_an_upcoming_round_is_not_open_to_orders_yet(client, world):
    round_ = RoundFactory(
        supplier=world["supplier"],
        opens_at=timezone.now() + dt.timedelta(hours=1),
        closes_at=timezone.now() + dt.timedelta(days=1),
    )
    client.force_login(world["keeper"])
    assert "Commandes ouvertes à partir du" in text(client.get(f"/commandes/{round_.pk}/"))
    assert "Bientôt ouvertes" in text(client.get("/commandes/"))


def test_the_open_rounds_show_the_time_left_and_whether_the_shop_ordered(client, world):
    make_order(world["round"], world["shop"], (world["galettes"], 1, 0))
    past = RoundFactory(
        supplier=world["supplier"], closes_at=timezone.now() - dt.timedelta(hours=1)
    )
    client.force_login(world["keeper"])
    body = text(client.get("/commandes/"))
    assert "Biscuiterie de Rimou" in body
    assert re.search(r"reste (23 h \d+ min|1 j 0 h)", body)
    assert "Commande passée : 1 produit" in body
    assert f"/commandes/{past.pk}/" not in body


# --- Past orders and invoices -------------------------------------------------------------


@pytest.fixture
def invoiced(world):
    make_order(world["round"], world["shop"], (world["galettes"], 2, 0), (world["cidre"], 12, 0))
    close(world["round"])
    supplier_order = round_consolidate(round_id=world["round"].pk)
    supplier_order_confirm(supplier_order_id=supplier_order.pk)  # 27.00 < 50.00
    world["invoices"] = supplier_order_receive(
        supplier_order_id=supplier_order.pk, received={world["cidre"].pk: 6}
    )
    world["supplier_order"] = supplier_order
    return world


def test_past_orders_show_what_was_allocated_and_received(client, invoiced):
    client.force_login(invoiced["keeper"])
    response = client.get("/commandes/historique/")
    assert response.status_code == 200
    body = text(response)
    cidre = re.search(r"<tr><td>Cidre</td>.*?</tr>", body).group(0)
    assert re.findall(r'class="num">(?:<strong>)?(\d+)', cidre) == ["12", "12"]
    assert "reçu 6" in cidre
    invoice = Invoice.objects.get(shop=invoiced["shop"])
    assert f"/factures/{invoice.pk}/pdf/" in body


def test_the_invoices_list_the_shops_own_with_totals_and_pdf(client, invoiced):
    client.force_login(invoiced["keeper"])
    response = client.get("/factures/")
    body = text(response)
    mine = Invoice.objects.get(shop=invoiced["shop"])
    theirs = Invoice.objects.get(shop=invoiced["other"])
    assert mine.number in body and theirs.number not in body
    assert eur(f"{mine.total_incl_vat}".replace(".", ",") + " €") in body
    pdf = client.get(f"/factures/{mine.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert client.get(f"/factures/{theirs.pk}/pdf/").status_code == 404


def test_an_invoice_pdf_is_open_to_the_coordinator(client, invoiced):
    client.force_login(invoiced["coordinator"])
    invoice = invoiced["invoices"][0]
    assert client.get(f"/factures/{invoice.pk}/pdf/").status_code == 200


# --- Roles and scope ------------------------------------------------------------------------


def test_shop_pages_are_for_shopkeepers_and_coordinator_pages_for_coordinators(client, world):
    round_id = world["round"].pk
    shop_urls = ["/commandes/", "/commandes/historique/", f"/commandes/{round_id}/", "/factures/"]
    coord_urls = [
        "/coordination/tournees/",
        f"/coordination/tournees/{round_id}/",
        f"/coordination/tournees/{round_id}/total/",
    ]
    client.force_login(world["coordinator"])
    assert [client.get(url).status_code for url in shop_urls] == [403] * 4
    assert client.post(f"/commandes/{round_id}/estimation/").status_code == 403
    client.force_login(world["keeper"])
    assert [client.get(url).status_code for url in coord_urls] == [403] * 3
    for action in ("consolider", "valider", "annuler"):
        assert client.post(f"/coordination/tournees/{round_id}/{action}/").status_code == 403
    assert Round.objects.get(pk=round_id).status == "open"
    accountant = UserFactory(role=User.Role.ACCOUNTANT, shops=[world["shop"]])
    client.force_login(accountant)
    assert client.get(f"/commandes/{round_id}/").status_code == 403


def test_a_shopkeeper_cannot_name_another_shop(client, world):
    client.force_login(world["keeper"])
    response = client.get(f"/commandes/{world['round'].pk}/?shop={world['other'].pk}")
    assert response.status_code == 404


def test_a_shopkeeper_never_sees_another_shops_order_lines(client, world):
    close(world["round"])
    round_consolidate(round_id=world["round"].pk)
    client.force_login(world["keeper"])
    body = text(client.get(f"/commandes/{world['round'].pk}/"))
    assert "Votre commerce n'a pas commandé dans cette tournée." in body
    assert "Bar de Vieux-Vy" not in body


# --- Coordinator ---------------------------------------------------------------------------


def test_the_rounds_list_shows_status_deadline_and_loads_the_group_total(client, world):
    client.force_login(world["coordinator"])
    body = text(client.get("/coordination/tournees/"))
    assert "Biscuiterie de Rimou" in body and "Ouverte" in body and "reste" in body
    assert f'hx-get="/coordination/tournees/{world["round"].pk}/total/"' in body
    total = text(client.get(f"/coordination/tournees/{world['round'].pk}/total/"))
    assert eur("0,00 €") in total and "non atteint" in total  # 4 units: no case yet


def test_the_round_page_shows_the_fill_and_consolidate_closes_and_enqueues(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world["coordinator"])
    url = f"/coordination/tournees/{world['round'].pk}/"
    body = text(client.get(url))
    assert "Consolider maintenant" in body and "Galettes" in body and "il manque 2" in body
    # The task is sent after commit: the captured callback is the sending, not run here
    # (the browser test runs the whole thing with a real worker).
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url + "consolider/")
    # (the other callback drops the live fill's cached copy, docs/consolidation.md)
    sending = [c for c in callbacks if getattr(c, "func", None) is not round_fill_changed]
    assert response.status_code == 302 and len(sending) == 1
    task_id = response["Location"].split("?tache=")[1]
    assert Round.objects.get(pk=world["round"].pk).closes_at <= timezone.now()

    page = text(client.get(response["Location"]))
    assert 'id="task-progress"' in page and 'hx-trigger="every 2s"' in page
    progress = text(client.get(f"{url}taches/{task_id}/"))
    assert "En attente du worker" in progress and "every 2s" in progress

    round_consolidate(round_id=world["round"].pk)
    progress = text(client.get(f"{url}taches/{task_id}/"))
    assert "Consolidation terminée." in progress and "every 2s" not in progress
    assert f'href="{url}#consolidation"' in progress


def test_a_bad_task_id_is_ignored_or_not_found(client, world):
    client.force_login(world["coordinator"])
    url = f"/coordination/tournees/{world['round'].pk}/"
    assert client.get(url + "?tache=pas-un-uuid").status_code == 200
    assert client.get(url + "taches/pas-un-uuid/").status_code == 404
    assert client.get(f"{url}taches/{uuid.uuid4()}/").status_code == 200


@pytest.fixture
def below_minimum(world):
    close(world["round"])
    make_order(world["round"], world["shop"], (world["galettes"], 2, 0))
    world["supplier_order"] = round_consolidate(round_id=world["round"].pk)
    assert world["supplier_order"].status == "needs_review"  # 15.00 < 50.00
    return world


def test_a_supplier_order_below_the_minimum_is_listed_then_confirmed(client, below_minimum):
    client.force_login(below_minimum["coordinator"])
    assert "Commandes fournisseur à valider" in text(client.get("/coordination/tournees/"))
    url = f"/coordination/tournees/{below_minimum['round'].pk}/"
    body = text(client.get(url))
    assert "Confirmer malgré le minimum" in body and "Annuler la tournée" in body
    assert "sous le minimum de commande" in body
    response = client.post(url + "valider/", follow=True)
    assert "Commande fournisseur validée" in text(response)
    assert SupplierOrder.objects.get(pk=below_minimum["supplier_order"].pk).status == "confirmed"
    response = client.post(url + "valider/", follow=True)  # twice: the service refuses
    assert "n'attend pas de validation" in text(response)


def test_a_round_below_the_minimum_can_be_cancelled(client, below_minimum):
    client.force_login(below_minimum["coordinator"])
    url = f"/coordination/tournees/{below_minimum['round'].pk}/"
    response = client.post(url + "annuler/", follow=True)
    assert "Tournée annulée" in text(response)
    assert Round.objects.get(pk=below_minimum["round"].pk).status == "cancelled"
    client.force_login(below_minimum["keeper"])
    assert "Cette tournée a été annulée" in text(
        client.get(f"/commandes/{below_minimum['round'].pk}/")
    )


@pytest.fixture
def confirmed(world):
    make_order(world["round"], world["shop"], (world["galettes"], 8, 0), (world["cidre"], 24, 0))
    close(world["round"])
    world["supplier_order"] = round_consolidate(round_id=world["round"].pk)
    assert world["supplier_order"].status == "confirmed"  # 12 x 2.20 + 24 x 1.00 = 50.40
    return world


def test_the_receipt_form_defaults_to_the_ordered_units(client, confirmed):
    client.force_login(confirmed["coordinator"])
    url = f"/coordination/tournees/{confirmed['round'].pk}/"
    assert "Saisir la réception" in text(client.get(url))
    body = text(client.get(url + "reception/"))
    assert f'name="r{confirmed["cidre"].pk}" value="24"' in body
    assert f'name="r{confirmed["galettes"].pk}" value="12"' in body
    assert 'type="date"' in body


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("25", "Au plus 24 unités (commandées)."),
        ("", "Saisissez le nombre d'unités."),
        ("vingt", "Saisissez un nombre entier d'unités."),
        ("-3", "Pas de nombre négatif."),
    ],
)
def test_a_bad_received_quantity_is_said_beside_its_field_and_changes_nothing(
    client, confirmed, typed, message
):
    client.force_login(confirmed["coordinator"])
    cidre, galettes = confirmed["cidre"].pk, confirmed["galettes"].pk
    response = client.post(
        f"/coordination/tournees/{confirmed['round'].pk}/reception/",
        {f"r{cidre}": typed, f"r{galettes}": "12", f"lot{cidre}": "L42"},
    )
    assert response.status_code == 400
    body = text(response)
    card = body[body.index(f'id="receipt-{cidre}"') : body.index(f'id="receipt-{galettes}"')]
    assert message in card and 'value="L42"' in card
    assert SupplierOrder.objects.get(pk=confirmed["supplier_order"].pk).status == "confirmed"
    assert not Invoice.objects.exists()


def test_a_bad_or_past_expiry_date_is_refused(client, confirmed):
    client.force_login(confirmed["coordinator"])
    cidre, galettes = confirmed["cidre"].pk, confirmed["galettes"].pk
    url = f"/coordination/tournees/{confirmed['round'].pk}/reception/"
    response = client.post(
        url, {f"r{cidre}": "24", f"r{galettes}": "12", f"exp{cidre}": "31/02/2027"}
    )
    assert response.status_code == 400 and "Une date comme 26/11/2026." in text(response)
    response = client.post(
        url, {f"r{cidre}": "24", f"r{galettes}": "12", f"exp{cidre}": "2020-01-01"}
    )
    assert response.status_code == 400
    assert "« Cidre » : la date limite 01/01/2020 précède la réception." in text(response)
    assert not Invoice.objects.exists()


def test_a_receipt_with_a_shortfall_issues_the_invoices(client, confirmed):
    client.force_login(confirmed["coordinator"])
    cidre, galettes = confirmed["cidre"].pk, confirmed["galettes"].pk
    url = f"/coordination/tournees/{confirmed['round'].pk}/"
    response = client.post(
        url + "reception/",
        {
            f"r{cidre}": "20",
            f"r{galettes}": "12",
            f"lot{galettes}": "GAL-7",
            f"exp{galettes}": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 302 and response["Location"] == url
    body = text(client.get(url))
    assert "Réception enregistrée : 2 factures émises" in body
    assert "manque 4" in body
    invoices = Invoice.objects.order_by("sequence")
    assert [invoice.shop.name for invoice in invoices] == ["Bar de Vieux-Vy", "Épicerie de Romazy"]
    for invoice in invoices:
        assert invoice.number in body
    mine = Invoice.objects.get(shop=confirmed["shop"])
    assert mine.lines.get(product_id=cidre).quantity == 20
    # A second receipt is refused by the service, and said so.
    response = client.get(url + "reception/")
    assert "Réception déjà enregistrée." in text(response)


# --- Query budgets ---------------------------------------------------------------------------


def build(size: int) -> dict:
    """`size` products and `size` shops ordering all of them in an open round, and the
    same in a received round; one shopkeeper in the first shop."""
    CooperativeFactory()
    supplier = SupplierFactory(min_order_amount=Decimal("10.00"))
    products = [ProductFactory(supplier=supplier, case_size=3) for _ in range(size)]
    for product in products[::2]:
        add_tiers(product, (2, "2.0000"), (5, "1.5000"))
    shops = [ShopFactory() for _ in range(size)]
    open_round = RoundFactory(supplier=supplier)
    past = RoundFactory(supplier=supplier, closes_at=timezone.now() - dt.timedelta(minutes=1))
    for shop in shops:
        lines = [(product, 2, 1) for product in products]
        make_order(open_round, shop, *lines)
        make_order(past, shop, *lines)
    supplier_order = round_consolidate(round_id=past.pk)
    supplier_order_receive(supplier_order_id=supplier_order.pk, received={})
    closed = RoundFactory(supplier=supplier, closes_at=timezone.now() - dt.timedelta(minutes=2))
    for shop in shops:
        make_order(closed, shop, *[(product, 1, 0) for product in products])
    round_consolidate(round_id=closed.pk)
    keeper = UserFactory(role=User.Role.SHOPKEEPER, shops=[shops[0]])
    coordinator = UserFactory(role=User.Role.COORDINATOR)
    return {
        "open": open_round,
        "past": past,
        "closed": closed,
        "products": products,
        "keeper": keeper,
        "coordinator": coordinator,
        "invoice": Invoice.objects.filter(shop=shops[0]).get(),
    }


def pages(data):
    keeper, coordinator = data["keeper"], data["coordinator"]
    open_, past, closed = data["open"].pk, data["past"].pk, data["closed"].pk
    order = {f"q{p.pk}": "4" for p in data["products"]}
    return [
        (keeper, "get", "/commandes/", None),
        (keeper, "get", "/commandes/historique/", None),
        (keeper, "get", f"/commandes/{open_}/", None),
        (keeper, "post", f"/commandes/{open_}/estimation/", order),
        (keeper, "post", f"/commandes/{open_}/", {f"q{data['products'][0].pk}": "x"}),
        (keeper, "get", f"/commandes/{past}/", None),
        (keeper, "get", f"/commandes/{closed}/", None),
        (keeper, "get", "/factures/", None),
        (keeper, "get", f"/factures/{data['invoice'].pk}/pdf/", None),
        (coordinator, "get", "/coordination/tournees/", None),
        (coordinator, "get", f"/coordination/tournees/{open_}/", None),
        (coordinator, "get", f"/coordination/tournees/{open_}/total/", None),
        (coordinator, "get", f"/coordination/tournees/{open_}/?tache={uuid.uuid4()}", None),
        (coordinator, "get", f"/coordination/tournees/{past}/", None),
        (coordinator, "get", f"/coordination/tournees/{closed}/", None),
        (coordinator, "get", f"/coordination/tournees/{closed}/reception/", None),
        (
            coordinator,
            "post",
            f"/coordination/tournees/{closed}/reception/",
            {f"r{p.pk}": "999" for p in data["products"]},
        ),
        (coordinator, "get", f"/coordination/tournees/{closed}/bon-de-commande/", None),
    ]


def measure(client, data) -> dict:
    counts = {}
    for number, (user, method, url, payload) in enumerate(pages(data)):
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            response = getattr(client, method)(url, payload or {})
        assert response.status_code in (200, 400), (url, response.status_code)
        counts[f"{number}: {method} {url}"] = len(queries)
    return counts


def test_every_purchasing_page_has_a_fixed_query_budget(client, db):
    small = measure(client, build(3))
    assert max(small.values()) <= QUERY_BUDGET, small
    large = measure(client, build(30))
    assert max(large.values()) <= QUERY_BUDGET, large
    # Whatever the number of products, shops and lines: the same count, page by page.
    assert list(small.values()) == list(large.values()), (small, large)
    # (The keys differ by the ids in the URLs; the pages come in the same order.)


def test_a_task_that_found_nothing_to_do_says_so(client, world):
    from mache.celery import app

    task_id = str(uuid.uuid4())
    # A real result in the result backend, as a worker would write it.
    app.backend.mark_as_done(task_id, {"round": world["round"].pk, "supplier_order": None})
    client.force_login(world["coordinator"])
    url = f"/coordination/tournees/{world['round'].pk}/"
    body = text(client.get(f"{url}taches/{task_id}/"))
    assert "Rien à consolider" in body and "Voir la consolidation" not in body
    assert "every 2s" not in body


def test_a_failed_task_stops_polling_and_says_so(client, world):
    from mache.celery import app

    task_id = str(uuid.uuid4())
    app.backend.mark_as_failure(task_id, RuntimeError("base injoignable"))
    client.force_login(world["coordinator"])
    url = f"/coordination/tournees/{world['round'].pk}/"
    body = text(client.get(f"{url}taches/{task_id}/"))
    assert "La consolidation a échoué" in body and "every 2s" not in body
