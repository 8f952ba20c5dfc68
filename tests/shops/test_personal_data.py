"""Personal data (issue 19, point 4; docs/personal-data.md): a person who leaves is
anonymised (RGPD article 17) while the shop's legal records stay as they were, and every
user downloads what the cooperative holds on them (article 15)."""

import json
import logging
from decimal import Decimal

import pytest
from axes.models import AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounting.models import Entry
from accounting.services import ManualLineIn, manual_entry_post
from inventory.models import StockCount, StockMovement
from inventory.services import movement_create
from mache.models import OutboxMessage
from purchasing.models import CreditNote, Invoice, Order
from shops.models import LoginThrottle, Shop, User
from shops.twofactor import TOTPDevice
from tests.factories import (
    DEFAULT_PASSWORD,
    CooperativeFactory,
    ShopFactory,
    UserFactory,
    build_shop_world,
)
from tests.helpers import page_text, pdf_text, rows_of, tables_digest

NAME, SURNAME = "Maëlle", "Le Bihan"
EMAIL, PHONE = "maelle.lebihan@exemple.fr", "06 12 34 56 78"
# What a refused request must leave as it was.
WATCHED_APPS = ["shops", "authtoken", "otp_totp", "axes", "admin", "sessions", "mache"]
NO_SESSIONS = [app for app in WATCHED_APPS if app != "sessions"]  # a page's login writes one
LEGAL_MODELS = (Invoice, CreditNote, Entry, StockMovement, StockCount, Order)


@pytest.fixture
def world(db):
    CooperativeFactory()
    shop = ShopFactory(name="Épicerie de Romazy")
    world = build_shop_world(shop)
    person = world["shopkeeper"]
    person.username = "maelle"
    person.first_name, person.last_name, person.email, person.phone = NAME, SURNAME, EMAIL, PHONE
    person.save()
    Shop.objects.filter(pk=shop.pk).update(
        contact_name=f"{NAME} {SURNAME}", email=EMAIL.upper(), phone="02 99 00 11 22"
    )
    # She posted a manual entry and recorded a loss: records that name her account.
    world["entry"] = manual_entry_post(
        ledger=shop.ledger,
        journal="OD",
        date=timezone.localdate(),
        label="Régularisation de caisse",
        piece_ref="REG-1",
        lines=[
            ManualLineIn("658000", debit=Decimal("1.20")),
            ManualLineIn("530000", credit=Decimal("1.20")),
        ],
        user=person,
    )
    world["loss"] = movement_create(
        shop=shop,
        product=world["sale"].product,
        kind="loss",
        reason="damaged",
        quantity=1,
        user=person,
    )
    world["coordinator"] = UserFactory(username="coord", role=User.Role.COORDINATOR)
    world["foreign"] = build_shop_world(ShopFactory(name="Boucherie Étrangère"))
    return world


def traces_of(person) -> dict:
    """Every way into the account, and every trace of a login: a token, a session, a
    device, a login from the pages (axes' log), a failure from elsewhere (its throttle
    counter stays), a reset request (its counter, by e-mail) and an invitation waiting."""
    token = Token.objects.create(user=person)
    TOTPDevice.objects.create(user=person, name="Téléphone", confirmed=False)
    pages = Client()
    pages.post(
        "/connexion/", {"username": person.username, "password": "faux"}, REMOTE_ADDR="10.9.9.9"
    )
    assert (
        pages.post(
            "/connexion/", {"username": person.username, "password": DEFAULT_PASSWORD}
        ).status_code
        == 302
    )
    Client().post("/connexion/mot-de-passe/oublie/", {"email": person.email})
    OutboxMessage.objects.create(
        task_id=f"invitation-{person.pk}",
        task_name="worker.send_notification",
        args=["user_invitation", person.pk],
    )
    assert LoginThrottle.objects.filter(name=person.username).exists()
    assert LoginThrottle.objects.filter(name=person.email).exists()
    assert AccessLog.objects.filter(username=person.username).exists()
    assert AccessFailureLog.objects.filter(username=person.username).exists()
    return {"token": token.key, "pages": pages}


def fec_and_invoice(api, coordinator, shop, invoice, tmp_path) -> tuple:
    client = api.as_user(coordinator)
    fec = client.get("/api/exports/fec/", {"shop": shop.pk, "year": timezone.localdate().year})
    assert fec.status_code == 200
    fec_bytes = b"".join(fec.streaming_content)
    pdf = client.get(f"/api/invoices/{invoice.pk}/pdf/")
    assert pdf.status_code == 200
    return fec_bytes, pdf_text(pdf.content, tmp_path)


# --- Anonymising (article 17) ---------------------------------------------------------


def test_a_coordinator_anonymises_a_person_through_the_api(world, api, tmp_path, caplog):
    person, shop, coordinator = world["shopkeeper"], world["shop"], world["coordinator"]
    traces = traces_of(person)
    invoice = world["invoices"][0]
    fec_before, invoice_before = fec_and_invoice(api, coordinator, shop, invoice, tmp_path)
    assert "ROMAZY" in invoice_before.upper()
    legal_before = rows_of(*LEGAL_MODELS)
    other_shop = world["foreign"]["shop"]
    other_contact = Shop.objects.filter(pk=other_shop.pk).values_list("email", "phone").get()

    caplog.set_level(logging.INFO, logger="mache.auth")
    response = api.as_user(coordinator).post(
        f"/api/users/{person.pk}/anonymise/", {"clear_shop_contacts": [shop.pk]}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["username"] == f"ancien-membre-{person.pk}"
    assert body["is_active"] is False and body["anonymised_at"]
    assert body["cleared_shop_contacts"] == [shop.pk]
    assert (body["first_name"], body["last_name"], body["email"]) == ("", "", "")
    # Nothing of her is left in her row, nor anywhere in the users' table.
    row = User.objects.filter(pk=person.pk).values().get()
    text = json.dumps(row, default=str, ensure_ascii=False).casefold()
    for erased in (NAME, SURNAME, EMAIL, PHONE, "maelle"):
        assert erased.casefold() not in text, erased
    assert row["last_login"] is None and not User.objects.get(pk=person.pk).has_usable_password()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM shops_user u WHERE u::text ILIKE %s", [f"%{EMAIL}%"])
        assert cursor.fetchone()[0] == 0
    # Every way in is closed, every trace of a login is gone.
    assert not Token.objects.filter(user=person).exists()
    assert not TOTPDevice.objects.filter(user=person).exists()
    assert not LoginThrottle.objects.filter(name__in=["maelle", EMAIL]).exists()
    assert not AccessLog.objects.filter(username__iexact="maelle").exists()
    assert not AccessFailureLog.objects.filter(username__iexact="maelle").exists()
    assert not OutboxMessage.objects.filter(args=["user_invitation", person.pk]).exists()
    stale = APIClient()
    stale.credentials(HTTP_AUTHORIZATION=f"Token {traces['token']}")
    assert stale.get("/api/me/").status_code == 401
    assert traces["pages"].get("/api/me/").status_code in (401, 403)
    assert "/connexion/" in traces["pages"].get("/mes-donnees/")["Location"]
    # The shop's contact was hers (the coordinator chose to clear it); the other's stays.
    assert Shop.objects.filter(pk=shop.pk).values_list("contact_name", "email", "phone").get() == (
        "",
        "",
        "",
    )
    assert Shop.objects.filter(pk=other_shop.pk).values_list("email", "phone").get() == (
        other_contact
    )
    # The legal records are as they were: rows, the FEC of the shop, the invoice's buyer.
    assert rows_of(*LEGAL_MODELS) == legal_before
    assert Entry.objects.get(pk=world["entry"].pk).created_by_id == person.pk
    assert StockMovement.objects.get(pk=world["loss"].pk).created_by_id == person.pk
    assert fec_and_invoice(api, coordinator, shop, invoice, tmp_path) == (
        fec_before,
        invoice_before,
    )
    # Who anonymised whom, and when: the admin's history and the log, without her name.
    audit = LogEntry.objects.get(object_id=str(person.pk), user=coordinator)
    assert audit.object_repr == f"ancien-membre-{person.pk}"
    assert "RGPD" in audit.change_message
    logged = [r.getMessage() for r in caplog.records if "User anonymised" in r.getMessage()]
    assert len(logged) == 1 and f"id={person.pk}" in logged[0] and "coord" in logged[0]
    assert "maelle" not in logged[0].casefold()


def test_the_person_page_anonymises_with_a_confirmation(world, client):
    person, shop = world["shopkeeper"], world["shop"]
    client.force_login(world["coordinator"])
    page = client.get(f"/coordination/personnes/{person.pk}/").content.decode()
    assert f'action="/coordination/personnes/{person.pk}/anonymiser/"' in page
    assert "data-confirm=" in page.split("anonymiser/")[1].split(">")[0]
    # The shop whose contact she is is offered, unticked, saying why.
    assert "même nom, même e-mail" in page and "checked" not in page.split("Départ")[1]

    response = client.post(f"/coordination/personnes/{person.pk}/anonymiser/")

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.anonymised_at is not None and person.email == "" and not person.is_active
    # Not ticked: the shop's contact stays as it was.
    assert Shop.objects.get(pk=shop.pk).email == EMAIL.upper()
    page = page_text(client.get(f"/coordination/personnes/{person.pk}/", follow=True))
    assert "Compte anonymisé" in page and "Anonymiser" not in page
    assert f"ancien-membre-{person.pk}" in page and NAME not in page
    listing = page_text(client.get("/coordination/personnes/"))
    assert "anonymisé" in listing and NAME not in listing


def test_the_page_clears_the_ticked_shop_contacts(world, client):
    person, shop = world["shopkeeper"], world["shop"]
    client.force_login(world["coordinator"])
    response = client.post(
        f"/coordination/personnes/{person.pk}/anonymiser/", {"clear_shop_contacts": [shop.pk]}
    )
    assert response.status_code == 302
    shop.refresh_from_db()
    assert (shop.contact_name, shop.email, shop.phone) == ("", "", "")


def test_a_shop_that_is_not_hers_is_refused_with_nothing_written(world, api, client):
    person, foreign = world["shopkeeper"], world["foreign"]["shop"]
    api.as_user(world["coordinator"])
    client.force_login(world["coordinator"])  # (a login writes its date)
    before = tables_digest(NO_SESSIONS)
    response = api.post(
        f"/api/users/{person.pk}/anonymise/", {"clear_shop_contacts": [foreign.pk]}, format="json"
    )
    assert response.status_code == 400
    assert "clear_shop_contacts" in response.json()
    for bad in (["x"], [0], "tout"):
        response = api.post(
            f"/api/users/{person.pk}/anonymise/", {"clear_shop_contacts": bad}, format="json"
        )
        assert response.status_code == 400 and "clear_shop_contacts" in response.json()
    client.post(
        f"/coordination/personnes/{person.pk}/anonymiser/", {"clear_shop_contacts": [foreign.pk]}
    )
    assert tables_digest(NO_SESSIONS) == before


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, role=User.Role.COORDINATOR)


@pytest.mark.parametrize(
    ("caller", "target", "status", "code"),
    [
        ("coordinator", "coordinator", 409, "self"),
        ("root", "coordinator", 409, "last_coordinator"),
        ("coordinator", "root", 404, None),
        ("shopkeeper", "accountant", 403, None),
        ("accountant", "shopkeeper", 403, None),
        ("shopkeeper", "foreign", 403, None),  # another tenant's user
        ("accountant", "coordinator", 403, None),
    ],
)
def test_refusals_write_nothing(world, superuser, api, caller, target, status, code):
    people = {**world, "root": superuser, "foreign": world["foreign"]["shopkeeper"]}
    before = tables_digest(WATCHED_APPS)
    response = api.as_user(people[caller]).post(
        f"/api/users/{people[target].pk}/anonymise/", {}, format="json"
    )
    assert response.status_code == status, response.content
    if code:
        assert response.json()["code"] == code
        assert response.json()["detail"]  # in French, said to the coordinator
    Token.objects.filter(user=people[caller]).delete()  # the caller's own token, made here
    assert tables_digest(WATCHED_APPS) == before


def test_the_last_coordinator_goes_once_another_is_named(world, superuser, api):
    coordinator = world["coordinator"]
    response = api.as_user(superuser).post(f"/api/users/{coordinator.pk}/anonymise/")
    assert response.json()["code"] == "last_coordinator"
    UserFactory(role=User.Role.COORDINATOR)
    assert api.post(f"/api/users/{coordinator.pk}/anonymise/").status_code == 200


def test_twice_is_409_and_the_account_stays_closed(world, api, client):
    person, coordinator = world["shopkeeper"], world["coordinator"]
    client_api = api.as_user(coordinator)
    assert client_api.post(f"/api/users/{person.pk}/anonymise/").status_code == 200
    client.force_login(coordinator)
    before = tables_digest(NO_SESSIONS)
    response = client_api.post(f"/api/users/{person.pk}/anonymise/")
    assert response.status_code == 409 and response.json()["code"] == "already_anonymised"
    # Neither a name nor a way back in can be given to it again.
    response = client_api.patch(
        f"/api/users/{person.pk}/", {"email": EMAIL, "is_active": True}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "user_anonymised"
    client.post(f"/coordination/personnes/{person.pk}/reactiver/")
    client.post(f"/coordination/personnes/{person.pk}/", {"email": EMAIL, "role": "shopkeeper"})
    client.post(f"/coordination/personnes/{person.pk}/anonymiser/")
    assert tables_digest(NO_SESSIONS) == before


def test_the_page_refuses_oneself_in_french(world, client):
    coordinator = world["coordinator"]
    client.force_login(coordinator)
    page = client.get(f"/coordination/personnes/{coordinator.pk}/").content.decode()
    assert "anonymiser/" not in page  # no button for oneself
    response = client.post(f"/coordination/personnes/{coordinator.pk}/anonymiser/", follow=True)
    assert "Vous ne pouvez pas anonymiser votre propre compte." in page_text(response)
    coordinator.refresh_from_db()
    assert coordinator.is_active and coordinator.anonymised_at is None


def test_the_pages_refuse_other_roles(world, client, superuser):
    person = world["shopkeeper"]
    for role in ("shopkeeper", "accountant"):
        client.force_login(world[role])
        assert client.post(f"/coordination/personnes/{person.pk}/anonymiser/").status_code == 403
    client.force_login(world["coordinator"])
    assert client.post(f"/coordination/personnes/{superuser.pk}/anonymiser/").status_code == 404
    person.refresh_from_db()
    assert person.anonymised_at is None and person.email == EMAIL


# --- The export (article 15) ------------------------------------------------------------


def export_of(user) -> tuple:
    client = APIClient()
    client.force_authenticate(user)
    response = client.get("/api/me/personal-data/")
    assert response.status_code == 200, response.content
    return response, response.json()


def test_a_user_downloads_what_the_cooperative_holds_on_them(world):
    person = world["shopkeeper"]
    key = traces_of(person)["token"]
    TOTPDevice.objects.filter(user=person).update(confirmed=True)
    secret = TOTPDevice.objects.get(user=person).key
    person.refresh_from_db()  # logged in since

    response, data = export_of(person)

    assert response["Content-Disposition"] == (
        'attachment; filename="donnees-personnelles-maelle.json"'
    )
    assert response["Content-Type"].startswith("application/json")
    identity = data["identity"]
    assert (identity["username"], identity["first_name"], identity["last_name"]) == (
        "maelle",
        NAME,
        SURNAME,
    )
    assert (identity["email"], identity["phone"], identity["role"]) == (EMAIL, PHONE, "shopkeeper")
    assert identity["role_label"] == "Commerçant"
    assert identity["shops"] == [{"id": world["shop"].pk, "name": "Épicerie de Romazy"}]
    assert identity["date_joined"] and identity["last_login"]
    # Means of access: dates, never the token's key nor the device's secret.
    assert len(data["api_tokens"]) == 1 and data["api_tokens"][0]["created"]
    assert [d["confirmed"] for d in data["two_factor_devices"]] == [True]
    text = response.content.decode()
    assert key not in text and secret not in text and "password" not in text
    assert {row["scope"] for row in data["login_throttle"]} == {"login", "reset"}
    assert data["logins"] and data["login_failures"][0]["ip_address"] == "10.9.9.9"
    assert data["invitation"] == {"pending": False, "emails_waiting": 1}
    assert data["shop_contacts"] == [
        {
            "shop": world["shop"].pk,
            "name": "Épicerie de Romazy",
            "matching_fields": ["contact_name", "email"],
        }
    ]
    # What she wrote, by kind: counts and references.
    records = {(r["table"], r["field"]): r for r in data["records"]}
    entries = records[("accounting.Entry", "created_by")]
    # The manual entry, and the Z ticket's entry, both posted by her.
    assert entries["name"] == "Écritures comptables"
    assert entries["count"] == Entry.objects.filter(created_by=person).count() == 2
    assert {
        "id": world["entry"].pk,
        "reference": str(world["entry"].number),
        "date": world["entry"].date.isoformat(),
        "shop": None,
    } in entries["references"]
    movements = records[("inventory.StockMovement", "created_by")]
    # The loss, and the count's adjustment.
    assert [r["id"] for r in movements["references"]] == list(
        StockMovement.objects.filter(created_by=person).order_by("pk").values_list("pk", flat=True)
    )
    assert world["loss"].pk in [r["id"] for r in movements["references"]]
    assert {r["shop"] for r in movements["references"]} == {world["shop"].pk}
    assert records[("inventory.StockCount", "counted_by")]["count"] == 1
    assert records[("accounting.SalesDay", "created_by")]["count"] == 1
    assert records[("purchasing.Order", "created_by")]["count"] == 0
    # What is kept after she leaves, and why, in French.
    retention = json.dumps(data["retention"], ensure_ascii=False)
    assert "L123-22" in retention and "L102 B" in retention and "dix ans" in retention


def test_the_export_shows_nothing_of_another_user(world):
    person, foreign = world["shopkeeper"], world["foreign"]
    foreign["shopkeeper"].email = "etranger@exemple.fr"
    foreign["shopkeeper"].save(update_fields=["email"])
    traces_of(foreign["shopkeeper"])
    response, data = export_of(person)
    text = response.content.decode()
    assert foreign["shopkeeper"].username not in text
    assert foreign["shop"].name not in text and "etranger@" not in text
    theirs = {foreign["count"].pk, foreign["sales_day"].pk}
    for record in data["records"]:
        if record["table"] in ("inventory.StockCount", "accounting.SalesDay"):
            assert not theirs & {r["id"] for r in record["references"]}
        for reference in record["references"]:
            assert reference["shop"] in (None, world["shop"].pk)
    assert data["login_throttle"] == [] and data["logins"] == []


def test_the_export_costs_the_same_queries_whatever_the_records(world):
    person, shop = world["shopkeeper"], world["shop"]
    product = world["sale"].product

    def queries():
        client = APIClient()
        client.force_authenticate(person)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/me/personal-data/").status_code == 200
        return len(captured)

    few = queries()
    for _ in range(15):
        movement_create(shop=shop, product=product, kind="adjustment", quantity=1, user=person)
    traces_of(person)
    many = queries()
    assert many == few
    assert few <= 40
    _, data = export_of(person)
    movements = next(r for r in data["records"] if r["table"] == "inventory.StockMovement")
    assert movements["count"] == StockMovement.objects.filter(created_by=person).count() > 15


def test_the_export_needs_a_login(db):
    assert APIClient().get("/api/me/personal-data/").status_code in (401, 403)


@pytest.mark.parametrize("role", ["shopkeeper", "accountant", "coordinator"])
def test_my_data_page_links_the_download(world, client, role):
    client.force_login(world[role])
    response = client.get("/mes-donnees/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/api/me/personal-data/"' in html and 'href="/mes-donnees/"' in html
    text = page_text(response)
    assert world[role].username in text and "L123-22" in text
    assert User.Role(world[role].role).label in text


def test_the_security_page_links_my_data(world, client):
    client.force_login(world["coordinator"])
    assert 'href="/mes-donnees/"' in client.get("/securite/").content.decode()


def test_a_reset_request_after_anonymisation_reaches_nobody(world, api):
    person = world["shopkeeper"]
    api.as_user(world["coordinator"]).post(f"/api/users/{person.pk}/anonymise/")
    mail.outbox.clear()
    Client().post("/connexion/mot-de-passe/oublie/", {"email": EMAIL})
    assert mail.outbox == []


def test_an_old_invitation_link_dies_with_the_account(world, api):
    """The link's token hashes the password and the e-mail: both change."""
    from django.contrib.auth.tokens import default_token_generator

    person = world["shopkeeper"]
    token = default_token_generator.make_token(person)
    api.as_user(world["coordinator"]).post(f"/api/users/{person.pk}/anonymise/")
    person.refresh_from_db()
    assert not default_token_generator.check_token(person, token)
