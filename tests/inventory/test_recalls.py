"""Traceability of a lot and its recall (issue 17, points 5-6; docs/recalls.md).

The world: lot L-2417 of a butter went to three shops (10, 8 and 5 units); Romazy sold 4
of it, Bazouges lost 3 and sold 2, Tremblay touched nothing. Romazy also holds a later
lot, L-9999, and a fourth shop only that one. Every figure below follows from these.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from inventory import notifications, recalls
from inventory.models import Recall, RecallShop, StockBalance, StockLot, StockMovement
from inventory.recalls import recall_confirm
from inventory.selectors import alerts, unconfirmed_recalls
from inventory.services import ReturnOut, stock_returns_record
from mache.models import OutboxMessage
from shops.models import User
from tests.factories import (
    CooperativeFactory,
    ProductFactory,
    ShopFactory,
    SupplierFactory,
    UserFactory,
)
from tests.factories.inventory import record_movement
from tests.helpers import page_text, pdf_text, rows_of

from .conftest import days, receive

LOT = "L-2417"
REASON = "Présence de Listeria monocytogenes (Rappel Conso 2026-11-0042)"


@pytest.fixture
def world(db):
    CooperativeFactory()
    supplier = SupplierFactory(name="Laiterie du Couesnon", email="qualite@couesnon.example")
    product = ProductFactory(supplier=supplier, name="Beurre doux 250 g", sku="BD250")
    romazy = ShopFactory(name="Épicerie de Romazy", email="romazy@example.org")
    bazouges = ShopFactory(name="Bazouges Primeurs", email="")
    tremblay = ShopFactory(name="Tremblay Bio", email="tremblay@example.org")
    elsewhere = ShopFactory(name="Zéro Déchet Vitré", email="vitre@example.org")
    before = timezone.now() - dt.timedelta(hours=3)
    sold_at = timezone.now() - dt.timedelta(hours=1)
    for shop, units in ((romazy, 10), (bazouges, 8), (tremblay, 5)):
        receive(shop, product, units, "2.0000", lot=LOT, expires_on=days(5), at=before)
    receive(romazy, product, 6, "2.0000", lot="L-9999", expires_on=days(20), at=before)
    receive(elsewhere, product, 7, "2.0000", lot="L-9999", expires_on=days(20), at=before)
    record_movement(romazy, product, "sale", -4, at=sold_at)  # FEFO: out of L-2417
    record_movement(bazouges, product, "loss", -3, at=sold_at, reason="damaged")
    record_movement(bazouges, product, "sale", -2, at=sold_at)
    keepers = {
        shop: UserFactory(
            role=User.Role.SHOPKEEPER, shops=[shop], email=f"gerant{shop.pk}@example.org"
        )
        for shop in (romazy, bazouges, tremblay, elsewhere)
    }
    return {
        "product": product,
        "romazy": romazy,
        "bazouges": bazouges,
        "tremblay": tremblay,
        "elsewhere": elsewhere,
        "keepers": keepers,
        "coordinator": UserFactory(role=User.Role.COORDINATOR),
    }


def recall(api, world, **body):
    return api.as_user(world["coordinator"]).post(
        "/api/recalls/",
        {"product": world["product"].pk, "lot": LOT, "reason": REASON, **body},
        format="json",
    )


def figures(body):
    return {line["name"]: (line["received"], line["sold_or_lost"], line["left"]) for line in body}


def sell(api, world, shop, quantity, kind="sale"):
    extra = {"reason": "expired"} if kind == "loss" else {}
    return api.as_user(world["keepers"][shop]).post(
        "/api/stock/movements/",
        {"shop": shop.pk, "product": world["product"].pk, "kind": kind, "quantity": quantity}
        | extra,
        format="json",
    )


def till_import(api, user, shop, text):
    upload = SimpleUploadedFile("caisse.csv", text.encode(), content_type="text/csv")
    return api.as_user(user).post(
        "/api/stock/sales-import/", {"shop": shop.pk, "file": upload}, format="multipart"
    )


def quantity(shop, product):
    return StockBalance.objects.get(shop=shop, product=product).quantity


# --- Traceability ---------------------------------------------------------------------


def test_the_trace_of_a_lot_gives_every_shop_s_figures(api, world, django_assert_num_queries):
    client = api.as_user(world["coordinator"])
    client.get("/api/shops/")  # the token's first read
    with django_assert_num_queries(5):  # token, product, lots, exits, recall
        response = client.get("/api/traceability/", {"product": world["product"].pk, "lot": LOT})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["lot"], body["name"], body["supplier"], body["recall"]) == (
        LOT,
        "Beurre doux 250 g",
        "Laiterie du Couesnon",
        None,
    )
    shops = {
        line["name"]: (line["received"], line["sold"], line["lost"], line["left"])
        for line in body["shops"]
    }
    assert shops == {
        "Bazouges Primeurs": (8, 2, 3, 3),
        "Tremblay Bio": (5, 0, 0, 5),
        "Épicerie de Romazy": (10, 4, 0, 6),
    }
    assert body["totals"] == {
        "received": 23,
        "sold": 6,
        "lost": 3,
        "returned": 0,
        "adjusted": 0,
        "recalled": 0,
        "left": 14,
    }
    [entry] = body["shops"][0]["entries"]
    assert (entry["quantity"], entry["expires_on"], entry["kind"]) == (
        8,
        days(5).isoformat(),
        "receipt",
    )


def test_a_shopkeeper_traces_only_their_shop(api, world):
    response = api.as_user(world["keepers"][world["romazy"]]).get(
        "/api/traceability/", {"product": world["product"].pk, "lot": LOT}
    )
    assert [line["name"] for line in response.json()["shops"]] == ["Épicerie de Romazy"]
    assert response.json()["totals"]["received"] == 10
    # The fourth shop never had the lot: to its shopkeeper it does not exist.
    response = api.as_user(world["keepers"][world["elsewhere"]]).get(
        "/api/traceability/", {"product": world["product"].pk, "lot": LOT}
    )
    assert response.status_code == 400
    assert "n'est entré dans aucun stock" in response.json()["lot"][0]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"product": "999999", "lot": LOT}, "product"),
        ({"product": "²", "lot": LOT}, "product"),
        ({"lot": LOT}, "product"),
        ({"product": "PRODUCT", "lot": "INCONNU"}, "lot"),
        ({"product": "PRODUCT"}, "lot"),
    ],
)
def test_the_trace_refuses_bad_input(api, world, query, field):
    query = {k: world["product"].pk if v == "PRODUCT" else v for k, v in query.items()}
    response = api.as_user(world["coordinator"]).get("/api/traceability/", query)
    assert response.status_code == 400
    assert list(response.json()) == [field]


# --- The recall -----------------------------------------------------------------------


def test_a_recall_blocks_the_lot_tells_every_shop_and_each_confirms(
    api, world, tmp_path, django_assert_num_queries
):
    romazy, bazouges, tremblay = world["romazy"], world["bazouges"], world["tremblay"]
    product = world["product"]
    response = recall(api, world)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["product"], body["lot"]) == (product.pk, LOT)
    assert figures(body["shops"]) == {
        "Bazouges Primeurs": (8, 5, 3),
        "Tremblay Bio": (5, 0, 5),
        "Épicerie de Romazy": (10, 4, 6),
    }
    assert {line["shop"] for line in body["shops"]} == {romazy.pk, bazouges.pk, tremblay.pk}

    # One e-mail per shop concerned, queued after commit through the outbox.
    lines = {line.shop: line for line in RecallShop.objects.filter(recall_id=body["id"])}
    queued = [
        message.args[1]
        for message in OutboxMessage.objects.filter(task_name="worker.send_notification")
        if message.args[0] == "recall_notice"
    ]
    assert sorted(queued) == sorted(line.pk for line in lines.values())
    # Sent once: the second delivery of a task sends nothing.
    assert notifications.recall_notice(lines[romazy].pk) == 1
    assert notifications.recall_notice(lines[romazy].pk) == 0
    [message] = mail.outbox
    assert sorted(message.to) == sorted(["romazy@example.org", world["keepers"][romazy].email])
    assert f"Rappel du lot {LOT}" in message.subject
    assert "Listeria" in message.body and "10 unités" in message.body
    assert f"/rappels/{body['id']}/" in message.body
    # A shop without an address of its own: its shopkeeper is told.
    assert notifications.recall_notice(lines[bazouges].pk) == 1
    assert mail.outbox[1].to == [world["keepers"][bazouges].email]
    lines[romazy].refresh_from_db()
    assert lines[romazy].notified_at is not None

    # Romazy still sells out of its other lot (FEFO skips the recalled one) ...
    assert sell(api, world, romazy, 3).status_code == 201
    assert StockLot.objects.get(shop=romazy, code="L-9999").remaining == 3
    assert StockLot.objects.get(shop=romazy, code=LOT).remaining == 6
    # ... but not beyond it: the recalled units are blocked; nothing is written.
    before = rows_of(StockMovement, StockLot, StockBalance)
    refused = sell(api, world, romazy, 4)
    assert refused.status_code == 409
    assert refused.json()["code"] == "lot_recalled"
    assert f"Lot {LOT} rappelé" in refused.json()["detail"]
    assert "3 hors lot rappelé" in refused.json()["detail"]
    # Bazouges only holds recalled units: no sale, no loss.
    assert sell(api, world, bazouges, 1).json()["code"] == "lot_recalled"
    assert sell(api, world, bazouges, 1, kind="loss").json()["code"] == "lot_recalled"
    assert rows_of(StockMovement, StockLot, StockBalance) == before

    # The shopkeeper's pages carry the banner until the withdrawal is confirmed.
    keeper = world["keepers"][romazy]
    with django_assert_num_queries(2):  # is there any, then the banner's lines
        assert [line.shop for line in unconfirmed_recalls(user=keeper)] == [romazy]
    confirmed = api.as_user(keeper).post(
        f"/api/recalls/{body['id']}/confirm/", {"shop": romazy.pk}, format="json"
    )
    assert confirmed.status_code == 200, confirmed.json()
    [line] = confirmed.json()["shops"]  # a shopkeeper sees only their shop's line
    assert (line["shop"], line["withdrawn"], line["left"]) == (romazy.pk, 6, 6)
    assert line["confirmed_at"] is not None
    movement = StockMovement.objects.get(shop=romazy, kind="recall")
    assert (movement.quantity, movement.quantity_after) == (-6, 3)
    assert [(part.lot.code, part.quantity) for part in movement.lot_parts.all()] == [(LOT, 6)]
    assert quantity(romazy, product) == 3
    with django_assert_num_queries(1):  # nothing to show: one bare query (every page)
        assert unconfirmed_recalls(user=keeper) == []
    # Twice: refused, nothing more withdrawn.
    again = api.as_user(keeper).post(
        f"/api/recalls/{body['id']}/confirm/", {"shop": romazy.pk}, format="json"
    )
    assert (again.status_code, again.json()["code"]) == (409, "recall_confirmed")
    assert StockMovement.objects.filter(kind="recall").count() == 1

    # Tremblay counts 3 where 5 were: the count takes the recalled units (nothing else
    # is there); then it confirms the 3 it withdraws.
    count = api.as_user(world["keepers"][tremblay]).post(
        "/api/stock/counts/",
        {"shop": tremblay.pk, "lines": [{"product": product.pk, "quantity": 3}]},
        format="json",
    )
    assert count.status_code == 201, count.json()
    recall_confirm(
        recall=Recall.objects.get(pk=body["id"]), shop=tremblay, user=world["coordinator"]
    )
    assert quantity(tremblay, product) == 0

    # Today's traceability: every figure.
    trace = api.as_user(world["coordinator"]).get(
        "/api/traceability/", {"product": product.pk, "lot": LOT}
    )
    assert trace.json()["recall"] == body["id"]
    assert {
        line["name"]: (
            line["received"],
            line["sold"],
            line["lost"],
            line["adjusted"],
            line["recalled"],
            line["left"],
        )
        for line in trace.json()["shops"]
    } == {
        "Bazouges Primeurs": (8, 2, 3, 0, 0, 3),
        "Tremblay Bio": (5, 0, 0, 2, 3, 0),
        "Épicerie de Romazy": (10, 4, 0, 0, 6, 0),
    }

    # The report for the authorities.
    pdf = api.as_user(world["coordinator"]).get(f"/api/recalls/{body['id']}/pdf/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content, tmp_path)
    assert "Rapport de traçabilité" in text
    for expected in (LOT, "Beurre doux 250 g", "BD250", "Laiterie du Couesnon", "Listeria"):
        assert expected in text
    assert "Retrait non confirmé par 1 commerce sur 3" in text
    rows = {line.split()[0]: line.split()[-6:] for line in text.splitlines() if "  " in line}
    assert "Épicerie" in rows and "Tremblay" in rows and "Bazouges" in rows
    assert "Total" in text


def test_a_sale_out_of_a_lot_received_after_its_recall_is_refused(api, world):
    """A later delivery of the recalled lot is blocked too: the block is by code."""
    assert recall(api, world).status_code == 201
    shop = world["elsewhere"]
    receive(shop, world["product"], 2, "2.0000", lot=LOT, expires_on=days(1))
    response = sell(api, world, shop, 7)
    assert response.status_code == 201  # its seven units of L-9999
    assert sell(api, world, shop, 1).json()["code"] == "lot_recalled"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"product": 999999}, "product"),
        ({"lot": "INCONNU"}, "lot"),
        ({"lot": "   "}, "lot"),
        ({"reason": ""}, "reason"),
    ],
)
def test_a_recall_refuses_bad_input_and_writes_nothing(api, world, body, field):
    before = rows_of(Recall, RecallShop, OutboxMessage)
    response = recall(api, world, **body)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert rows_of(Recall, RecallShop, OutboxMessage) == before


def test_a_product_never_received_cannot_be_recalled(api, world):
    never = ProductFactory(supplier=world["product"].supplier, name="Crème crue")
    response = recall(api, world, product=never.pk)
    assert response.status_code == 400
    assert "« Crème crue »" in response.json()["lot"][0]
    assert not Recall.objects.exists()


def test_a_lot_is_recalled_once(api, world):
    assert recall(api, world).status_code == 201
    before = rows_of(Recall, RecallShop, OutboxMessage)
    response = recall(api, world, reason="Encore")
    assert (response.status_code, response.json()["code"]) == (409, "recall_exists")
    assert rows_of(Recall, RecallShop, OutboxMessage) == before


def test_recalls_are_scoped_to_the_shops_concerned(api, world):
    recall_id = recall(api, world).json()["id"]
    romazy, elsewhere = world["romazy"], world["elsewhere"]
    keeper = api.as_user(world["keepers"][romazy])
    [listed] = keeper.get("/api/recalls/").json()["results"]
    assert [line["shop"] for line in listed["shops"]] == [romazy.pk]
    assert keeper.post("/api/recalls/", {}, format="json").status_code == 403
    # Another shop's line: not one of the keeper's shops.
    other = keeper.post(
        f"/api/recalls/{recall_id}/confirm/", {"shop": world["bazouges"].pk}, format="json"
    )
    assert list(other.json()) == ["shop"]
    # A shop the recall does not concern sees nothing of it.
    outsider = api.as_user(world["keepers"][elsewhere])
    assert outsider.get("/api/recalls/").json()["results"] == []
    assert outsider.get(f"/api/recalls/{recall_id}/").status_code == 404
    assert outsider.get(f"/api/recalls/{recall_id}/pdf/").status_code == 404
    refused = outsider.post(
        f"/api/recalls/{recall_id}/confirm/", {"shop": elsewhere.pk}, format="json"
    )
    assert refused.status_code == 404
    assert not RecallShop.objects.filter(confirmed_at__isnull=False).exists()


def test_a_shopkeeper_s_report_shows_their_shop_only(api, world, tmp_path):
    recall_id = recall(api, world).json()["id"]
    pdf = api.as_user(world["keepers"][world["romazy"]]).get(f"/api/recalls/{recall_id}/pdf/")
    text = pdf_text(pdf.content, tmp_path)
    assert "Romazy" in text
    assert "Bazouges" not in text and "Tremblay" not in text


def test_a_shop_with_nothing_left_confirms_without_a_movement(api, world):
    recall_id = recall(api, world).json()["id"]
    bazouges = world["bazouges"]
    lot = StockLot.objects.get(shop=bazouges, code=LOT)
    # Its last three units thrown away before the recall's block... by a count.
    api.as_user(world["keepers"][bazouges]).post(
        "/api/stock/counts/",
        {"shop": bazouges.pk, "lines": [{"product": world["product"].pk, "quantity": 0}]},
        format="json",
    )
    lot.refresh_from_db()
    assert lot.remaining == 0
    line = recall_confirm(
        recall=Recall.objects.get(pk=recall_id), shop=bazouges, user=world["keepers"][bazouges]
    )
    assert (line.movement, line.confirmed_at is not None) == (None, True)
    assert not StockMovement.objects.filter(kind="recall").exists()
    assert Decimal(StockBalance.objects.get(shop=bazouges, product=world["product"]).value) == 0


# --- Pages ----------------------------------------------------------------------------


def test_the_pages_recall_a_lot_show_the_banner_and_confirm(client, world):
    romazy, product = world["romazy"], world["product"]
    query = f"?product={product.pk}&lot={LOT}"
    client.force_login(world["coordinator"])
    text = page_text(client.get(f"/tracabilite/{query}"))
    assert "Bazouges Primeurs" in text and "Rappeler le lot" in text
    response = client.post(f"/tracabilite/{query}", {"reason": REASON})
    recall_ = Recall.objects.get()
    assert response.status_code == 302 and response.url == f"/rappels/{recall_.pk}/"

    client.force_login(world["keepers"][romazy])
    text = page_text(client.get("/stock/"))
    assert f"Rappel du lot {LOT} de Beurre doux 250 g" in text
    text = page_text(client.get(f"/tracabilite/{query}"))
    assert "Bazouges" not in text and "Rappeler le lot" not in text
    assert client.post(f"/tracabilite/{query}", {"reason": "x"}).status_code == 403
    response = client.post(f"/rappels/{recall_.pk}/", {"shop": romazy.pk}, follow=True)
    text = page_text(response)
    assert "Retrait confirmé pour Épicerie de Romazy : 6 unités retirées du stock." in text
    assert "Rappel du lot" not in page_text(client.get("/stock/"))
    assert client.get(f"/rappels/{recall_.pk}/rapport.pdf").status_code == 200
    # A shop the recall does not concern: not found.
    client.force_login(world["keepers"][world["elsewhere"]])
    assert client.get(f"/rappels/{recall_.pk}/").status_code == 404


# --- Exits around the recall, late deliveries ------------------------------------------


def test_a_count_before_the_confirmation_takes_the_recalled_units_first(api, world):
    """Romazy holds 6 recalled (L-2417) and 6 free (L-9999) units. It takes the recalled
    ones off the shelf, counts the 6 left, then confirms: the count's -6 are the recalled
    units, the confirmation withdraws nothing more, the 6 free units still sell."""
    assert recall(api, world).status_code == 201
    romazy, product = world["romazy"], world["product"]
    count = api.as_user(world["keepers"][romazy]).post(
        "/api/stock/counts/",
        {"shop": romazy.pk, "lines": [{"product": product.pk, "quantity": 6}]},
        format="json",
    )
    assert count.status_code == 201, count.json()
    lots = {lot.code: lot.remaining for lot in StockLot.objects.filter(shop=romazy)}
    assert lots == {LOT: 0, "L-9999": 6}
    line = recall_confirm(recall=Recall.objects.get(), shop=romazy, user=world["keepers"][romazy])
    assert line.movement is None
    assert quantity(romazy, product) == 6
    assert sell(api, world, romazy, 6).status_code == 201


def test_a_credit_note_return_after_the_recall_sends_back_the_recalled_units(api, world):
    assert recall(api, world).status_code == 201
    romazy, product = world["romazy"], world["product"]
    [movement] = stock_returns_record(
        returns=[
            ReturnOut(
                shop_id=romazy.pk,
                product_id=product.pk,
                quantity=2,
                source="credit-note-line:1",
                occurred_at=timezone.now(),
            )
        ]
    )
    assert [(part.lot.code, part.quantity) for part in movement.lot_parts.all()] == [(LOT, 2)]


def test_a_delivery_of_the_lot_after_the_recall_tells_the_shop_which_withdraws_it(api, world):
    assert recall(api, world).status_code == 201
    the_recall = Recall.objects.get()
    elsewhere, romazy, product = world["elsewhere"], world["romazy"], world["product"]
    OutboxMessage.objects.all().delete()

    # A shop that never had the lot receives 2 units of it: its line, an e-mail, a banner.
    receive(elsewhere, product, 2, "2.0000", lot=LOT, expires_on=days(1))
    line = RecallShop.objects.get(recall=the_recall, shop=elsewhere)
    assert (line.received, line.sold_or_lost, line.left, line.confirmed_at) == (2, 0, 2, None)
    assert queued_notices() == [line.pk]
    assert notifications.recall_notice(line.pk) == 1
    assert "2 unités" in mail.outbox[-1].body
    keeper = world["keepers"][elsewhere]
    assert [line.shop for line in unconfirmed_recalls(user=keeper)] == [elsewhere]
    confirmed = api.as_user(keeper).post(
        f"/api/recalls/{the_recall.pk}/confirm/", {"shop": elsewhere.pk}, format="json"
    )
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["shops"][0]["withdrawn"] == 2
    assert quantity(elsewhere, product) == 7  # its L-9999 units

    # A shop that confirmed gets 3 more units: its line reopens, it is told again, and
    # its second confirmation withdraws them.
    recall_confirm(recall=the_recall, shop=romazy, user=world["keepers"][romazy])
    OutboxMessage.objects.all().delete()
    receive(romazy, product, 3, "2.0000", lot=LOT, expires_on=days(5))
    line = RecallShop.objects.get(recall=the_recall, shop=romazy)
    assert (line.received, line.sold_or_lost, line.left) == (13, 4, 3)
    assert (line.confirmed_at, line.notified_at) == (None, None)
    assert queued_notices() == [line.pk]
    assert [line.shop for line in unconfirmed_recalls(user=world["keepers"][romazy])] == [romazy]
    assert sell(api, world, romazy, 7).json()["code"] == "lot_recalled"  # 6 free units
    line = recall_confirm(recall=the_recall, shop=romazy, user=world["keepers"][romazy])
    assert line.movement.quantity == -3
    assert recalls.withdrawn(line) == 9
    assert quantity(romazy, product) == 6
    assert StockMovement.objects.filter(shop=romazy, kind="recall").count() == 2


def queued_notices():
    return [
        message.args[1]
        for message in OutboxMessage.objects.filter(task_name="worker.send_notification")
        if message.args[0] == "recall_notice"
    ]


@pytest.fixture
def cream(api, world):
    """A cream whose lot X1 (5 units) reached Tremblay three days ago, recalled today."""
    cream = ProductFactory(supplier=world["product"].supplier, name="Crème crue", sku="CR1")
    shop = world["tremblay"]
    receive(
        shop,
        cream,
        5,
        "2.0000",
        lot="X1",
        expires_on=days(10),
        at=timezone.now() - dt.timedelta(days=3),
    )
    response = recall(api, world, product=cream.pk, lot="X1")
    assert response.status_code == 201, response.json()
    return cream


def test_sales_made_before_the_recall_are_recorded_after_it(api, world, cream):
    """Yesterday's sales took the lot before it was recalled: the form and the till
    import record them; today's sales of it are refused."""
    shop, keeper = world["tremblay"], world["keepers"][world["tremblay"]]
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    sold = api.as_user(keeper).post(
        "/api/stock/movements/",
        {
            "shop": shop.pk,
            "product": cream.pk,
            "kind": "sale",
            "quantity": 2,
            "occurred_on": yesterday.isoformat(),
        },
        format="json",
    )
    assert sold.status_code == 201, sold.json()
    imported = till_import(api, keeper, shop, f"date;sku;quantity\n{yesterday.isoformat()};CR1;1\n")
    assert imported.status_code == 201, imported.json()
    assert StockLot.objects.get(shop=shop, product=cream).remaining == 2
    today = till_import(
        api, keeper, shop, f"date;sku;quantity\n{timezone.localdate().isoformat()};CR1;1\n"
    )
    assert (today.status_code, today.json()["code"]) == (409, "lot_recalled")
    # The confirmation withdraws the 2 units left; afterwards a sale of yesterday that
    # the stock of the moment no longer covers is refused (the withdrawal took them).
    line = recall_confirm(recall=Recall.objects.get(product=cream), shop=shop, user=keeper)
    assert line.movement.quantity == -2
    late = till_import(api, keeper, shop, f"date;sku;quantity\n{yesterday.isoformat()};CR1;1\n")
    assert (late.status_code, late.json()["code"]) == (409, "insufficient_stock")


def test_the_till_import_and_the_loss_page_answer_lot_recalled(api, client, world):
    assert recall(api, world).status_code == 201
    bazouges, keeper = world["bazouges"], world["keepers"][world["bazouges"]]
    before = rows_of(StockMovement, StockLot, StockBalance)
    today = timezone.localdate().isoformat()
    response = till_import(api, keeper, bazouges, f"date;sku;quantity\n{today};BD250;1\n")
    assert (response.status_code, response.json()["code"]) == (409, "lot_recalled")
    client.force_login(keeper)
    response = client.post(
        f"/stock/?shop={bazouges.pk}",
        {"product": world["product"].pk, "quantity": "1", "reason": "expired"},
    )
    assert response.status_code == 200
    assert f"Lot {LOT} rappelé" in page_text(response)
    assert rows_of(StockMovement, StockLot, StockBalance) == before


def test_the_stock_says_the_blocked_units_and_alerts_skip_them(api, world):
    assert recall(api, world).status_code == 201
    romazy = world["romazy"]
    [balance] = (
        api.as_user(world["keepers"][romazy])
        .get("/api/stock/", {"shop": romazy.pk})
        .json()["results"]
    )
    assert (balance["quantity"], balance["blocked"]) == (12, 6)
    assert balance["next_expiry"] == days(20).isoformat()  # L-9999's, not the recalled lot's
    romazy.expiry_alert_days = 30
    romazy.save()
    assert [lot.code for lot in alerts(shop=romazy)["expiring"]] == ["L-9999"]


def test_a_recall_body_with_a_list_for_a_lot_is_refused_in_french(api, world):
    response = recall(api, world, lot=[LOT])
    assert response.status_code == 400
    assert response.json() == {"lot": ["Numéro de lot : un texte est attendu."]}
    assert not Recall.objects.exists()


def test_the_recall_pages_for_each_role(client, api, world):
    recall_id = recall(api, world).json()["id"]
    bazouges, product = world["bazouges"], world["product"]
    client.force_login(world["coordinator"])
    # A second recall of the lot from the page (another tab): the reason is said.
    response = client.post(f"/tracabilite/?product={product.pk}&lot={LOT}", {"reason": "Encore"})
    assert f"Le lot {LOT} de « Beurre doux 250 g » est déjà rappelé." in page_text(response)
    assert Recall.objects.count() == 1
    # Bazouges has no address of its own and its shopkeeper's e-mail is not sent yet.
    text = page_text(client.get(f"/rappels/{recall_id}/"))
    assert text.count("Non prévenu") == 3
    notifications.recall_notice(RecallShop.objects.get(shop=bazouges).pk)
    text = page_text(client.get(f"/rappels/{recall_id}/"))
    assert text.count("Non prévenu") == 2 and "Prévenu par e-mail le" in text
    # The coordinator confirms on Bazouges' behalf after a count emptied its lot.
    assert text.count(">Confirmer le retrait<") == 3
    StockLot.objects.filter(shop=bazouges, code=LOT).update(remaining=0)
    response = client.post(f"/rappels/{recall_id}/", {"shop": bazouges.pk}, follow=True)
    text = page_text(response)
    assert "Retrait confirmé pour Bazouges Primeurs : 0 unité retirée du stock." in text
    assert "0 retirée du stock" in text
    # An accountant reads the trace and the recall of their shop, and confirms nothing.
    accountant = UserFactory(role=User.Role.ACCOUNTANT, shops=[world["romazy"]])
    client.force_login(accountant)
    text = page_text(client.get(f"/tracabilite/?product={product.pk}&lot={LOT}"))
    assert "Épicerie de Romazy" in text and "Bazouges" not in text
    assert "Rappeler le lot" not in text
    text = page_text(client.get(f"/rappels/{recall_id}/"))
    assert "Épicerie de Romazy" in text and ">Confirmer le retrait<" not in text
    refused = client.post(f"/rappels/{recall_id}/", {"shop": world["romazy"].pk})
    assert refused.status_code == 403
