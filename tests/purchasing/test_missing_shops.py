"""Who has not ordered (docs/rounds.md): the reminder e-mailed by the coordinator's
button, or by the beat sweep 24 h before the deadline, once, even with two sweeps at
once; and the purchase order e-mailed to the supplier (PDF attached, the hub's delivery
address in it) when the order is confirmed."""

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from mache.models import OutboxMessage
from mache.periods import PARIS, paris_date
from purchasing.models import SupplierOrder
from purchasing.services import notifications
from purchasing.services.consolidation import round_consolidate
from purchasing.services.lifecycle import supplier_order_confirm
from purchasing.services.rounds import round_remind_missing, round_reminders_send, round_update
from shops.models import Shop, User
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
from tests.helpers import page_text, pdf_text

from .test_deadline_race import run_in_thread, wait_for_lock_waiter


@pytest.fixture
def deadline():
    """A deadline three days ahead, to the second: the sweeps below are called "at" fixed
    moments before it. Read as the test starts (a module constant would be as old as the
    run)."""
    return timezone.now().replace(microsecond=0) + dt.timedelta(days=3)


def queued(kind: str) -> list[int]:
    """The object ids of the e-mails of `kind` waiting in the outbox."""
    return [
        message.args[1]
        for message in OutboxMessage.objects.filter(task_name="worker.send_notification")
        if message.args[0] == kind
    ]


@pytest.fixture
def round_world(db, deadline):
    """An open round; one shop ordered, two active shops did not (one reachable by its
    own e-mail and its shopkeeper's, one by nothing), a candidate did not either."""
    CooperativeFactory()
    supplier = SupplierFactory(name="Miellerie des Landes")
    product = ProductFactory(supplier=supplier, case_size=1)
    round_ = RoundFactory(
        supplier=supplier,
        opens_at=deadline - dt.timedelta(days=7),
        closes_at=deadline,
        delivery_date=(deadline + dt.timedelta(days=2)).date(),
    )
    ordered = ShopFactory(name="Bar qui a commandé", email="bar@example.org")
    make_order(round_, ordered, (product, 2, 0))
    waiting = ShopFactory(name="Épicerie en retard", email="epicerie@example.org")
    UserFactory(role=User.Role.SHOPKEEPER, shops=[waiting], email="gerant@example.org")
    UserFactory(role=User.Role.SHOPKEEPER, shops=[waiting], email="", username="sans-mail")
    silent = ShopFactory(name="Boucherie sans e-mail", email="")
    candidate = ShopFactory(
        name="Candidat", email="candidat@example.org", status=Shop.Status.CANDIDATE
    )
    return {
        "round": round_,
        "product": product,
        "ordered": ordered,
        "waiting": waiting,
        "silent": silent,
        "candidate": candidate,
        "coordinator": UserFactory(role=User.Role.COORDINATOR),
    }


# --- The e-mail itself ----------------------------------------------------------------


def test_the_reminder_writes_to_each_shop_without_an_order(round_world):
    sent = notifications.missing_shops_reminder(round_world["round"].pk)
    assert sent == 1
    [message] = mail.outbox
    assert sorted(message.to) == ["epicerie@example.org", "gerant@example.org"]
    assert "Miellerie des Landes" in message.subject
    assert "Épicerie en retard n'a pas encore passé commande" in message.body
    assert f"/commandes/{round_world['round'].pk}/" in message.body


def test_the_reminder_sends_nothing_once_the_round_is_closed(round_world):
    close_round(round_world["round"])
    assert notifications.missing_shops_reminder(round_world["round"].pk) == 0
    assert mail.outbox == []


# --- The coordinator's button ---------------------------------------------------------


def test_the_button_counts_the_shops_e_mailed_and_those_without_an_address(round_world):
    result = round_remind_missing(round_id=round_world["round"].pk)
    assert result == {"emailed": 1, "without_email": 1}
    assert queued("missing_shops_reminder") == [round_world["round"].pk]


def test_the_button_refuses_a_closed_round(round_world):
    from mache.errors import BusinessRuleError

    close_round(round_world["round"])
    with pytest.raises(BusinessRuleError) as refused:
        round_remind_missing(round_id=round_world["round"].pk)
    assert refused.value.code == "round_closed"
    assert queued("missing_shops_reminder") == []


def test_the_round_page_lists_the_missing_shops_and_the_button_says_how_many(client, round_world):
    client.force_login(round_world["coordinator"])
    url = f"/coordination/tournees/{round_world['round'].pk}/"
    body = page_text(client.get(url))
    assert "2 commerces actifs sans commande" in body
    assert "Boucherie sans e-mail" in body and "Épicerie en retard" in body
    assert "Bar qui a commandé" not in body and "Candidat" not in body
    assert "Relancer ces commerces" in body
    response = client.post(f"{url}relancer/", follow=True)
    assert "1 commerce relancé par e-mail ; 1 commerce n'a pas d'adresse e-mail." in page_text(
        response
    )
    # Plurals: two shops reachable, none without an address.
    round_world["silent"].email = "boucherie@example.org"
    round_world["silent"].save()
    response = client.post(f"{url}relancer/", follow=True)
    assert "2 commerces relancés par e-mail." in page_text(response)
    assert len(queued("missing_shops_reminder")) == 2


def test_shopkeepers_cannot_remind(client, round_world):
    keeper = UserFactory(role=User.Role.SHOPKEEPER, shops=[round_world["ordered"]])
    client.force_login(keeper)
    response = client.post(f"/coordination/tournees/{round_world['round'].pk}/relancer/")
    assert response.status_code == 403
    assert queued("missing_shops_reminder") == []


# --- 24 h before the deadline, once ---------------------------------------------------


def test_the_sweep_reminds_24_hours_before_the_deadline_once(round_world, deadline):
    round_ = round_world["round"]
    assert round_reminders_send(now=deadline - dt.timedelta(hours=24, seconds=1)) == []
    assert round_reminders_send(now=deadline - dt.timedelta(hours=24)) == [round_.pk]
    assert round_reminders_send(now=deadline - dt.timedelta(hours=23)) == []
    assert round_reminders_send(now=deadline - dt.timedelta(minutes=1)) == []
    assert queued("missing_shops_reminder") == [round_.pk]
    round_.refresh_from_db()
    assert round_.reminder_sent_at == deadline - dt.timedelta(hours=24)


def test_no_reminder_after_the_deadline_nor_for_a_consolidated_round(round_world, deadline):
    round_ = round_world["round"]
    assert round_reminders_send(now=deadline) == []
    close_round(round_)
    round_consolidate(round_id=round_.pk)
    assert round_reminders_send(now=timezone.now() - dt.timedelta(minutes=1)) == []
    assert queued("missing_shops_reminder") == []


def test_an_extended_deadline_is_reminded_again_before_it(round_world, deadline):
    round_ = round_world["round"]
    now = deadline - dt.timedelta(hours=20)
    assert round_reminders_send(now=now) == [round_.pk]
    later = deadline + dt.timedelta(days=2)
    round_update(
        round_id=round_.pk,
        closes_at=later,
        delivery_date=paris_date(later) + dt.timedelta(days=1),
        now=now,
    )
    round_.refresh_from_db()
    assert round_.reminder_sent_at is None
    assert round_reminders_send(now=now + dt.timedelta(hours=1)) == []
    assert round_reminders_send(now=later - dt.timedelta(hours=23)) == [round_.pk]
    assert len(queued("missing_shops_reminder")) == 2


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_remind_once(deadline):
    """Sweep A has claimed the round and not committed; sweep B's conditional UPDATE
    waits on the row, then finds it claimed and leaves it."""
    round_ = RoundFactory(opens_at=deadline - dt.timedelta(days=7), closes_at=deadline)
    now = deadline - dt.timedelta(hours=2)
    claimed, release = threading.Event(), threading.Event()

    def sweep_a():
        with transaction.atomic():
            reminded = round_reminders_send(now=now)
            claimed.set()
            release.wait(timeout=20)
        return reminded

    thread_a, outcome_a = run_in_thread(sweep_a)
    assert claimed.wait(timeout=20)
    thread_b, outcome_b = run_in_thread(lambda: round_reminders_send(now=now))
    wait_for_lock_waiter()
    release.set()
    thread_a.join(timeout=20)
    thread_b.join(timeout=20)
    assert (outcome_a.get("value"), outcome_b.get("value")) == ([round_.pk], [])
    assert queued("missing_shops_reminder") == [round_.pk]


# --- The purchase order to the supplier -----------------------------------------------


@pytest.fixture
def consolidated(round_world):
    """The round consolidated at or above the minimum: confirmed at once."""
    coop = CooperativeFactory()
    coop.hub_address = "Plateforme MACHE\nZA du Bois Joli\n35560 Rimou"
    coop.save()
    close_round(round_world["round"])
    supplier_order = round_consolidate(round_id=round_world["round"].pk)
    assert supplier_order.status == SupplierOrder.Status.CONFIRMED
    return {**round_world, "supplier_order": supplier_order}


def test_a_confirmed_order_is_e_mailed_to_the_supplier_with_its_pdf(consolidated, tmp_path):
    supplier_order = consolidated["supplier_order"]
    assert queued("purchase_order_to_supplier") == [supplier_order.pk]
    assert notifications.purchase_order_to_supplier(supplier_order.pk) == 1
    [message] = mail.outbox
    assert message.to == [supplier_order.round.supplier.email]
    assert f"Bon de commande n° {supplier_order.pk}" in message.subject
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == (f"bon-de-commande-{supplier_order.pk}.pdf", "application/pdf")
    text = pdf_text(content, tmp_path)
    assert "Livraison à la plateforme : Plateforme MACHE, ZA du Bois Joli, 35560 Rimou" in text
    supplier_order.refresh_from_db()
    assert supplier_order.sent_to_email == supplier_order.round.supplier.email
    assert supplier_order.sent_to_supplier_at is not None
    # Once: a second run (a redelivered task) sends nothing.
    assert notifications.purchase_order_to_supplier(supplier_order.pk) == 0
    assert len(mail.outbox) == 1


def test_the_round_page_says_when_and_to_whom_the_order_was_sent(client, consolidated):
    supplier_order = consolidated["supplier_order"]
    notifications.purchase_order_to_supplier(supplier_order.pk)
    sent_at = dt.datetime(2026, 11, 12, 8, 14, tzinfo=PARIS)
    SupplierOrder.objects.filter(pk=supplier_order.pk).update(sent_to_supplier_at=sent_at)
    client.force_login(consolidated["coordinator"])
    body = page_text(client.get(f"/coordination/tournees/{consolidated['round'].pk}/"))
    email = supplier_order.round.supplier.email
    assert f"Bon de commande envoyé à {email} le 12/11/2026 à 08:14." in body


def test_a_supplier_without_e_mail_gets_nothing_and_the_page_says_so(client, consolidated):
    supplier = consolidated["round"].supplier
    supplier.email = ""
    supplier.save()
    supplier_order = consolidated["supplier_order"]
    assert notifications.purchase_order_to_supplier(supplier_order.pk) == 0
    assert mail.outbox == []
    supplier_order.refresh_from_db()
    assert supplier_order.sent_to_supplier_at is None
    client.force_login(consolidated["coordinator"])
    body = page_text(client.get(f"/coordination/tournees/{consolidated['round'].pk}/"))
    assert "Le fournisseur n'a pas d'adresse e-mail" in body


def test_an_order_under_review_goes_to_the_supplier_only_once_confirmed(round_world):
    round_ = round_world["round"]
    supplier = round_.supplier
    supplier.min_order_amount = 1000
    supplier.save()
    close_round(round_)
    supplier_order = round_consolidate(round_id=round_.pk)
    assert supplier_order.status == SupplierOrder.Status.NEEDS_REVIEW
    assert queued("purchase_order_to_supplier") == []
    assert notifications.purchase_order_to_supplier(supplier_order.pk) == 0  # not confirmed
    supplier_order_confirm(supplier_order_id=supplier_order.pk)
    assert queued("purchase_order_to_supplier") == [supplier_order.pk]
    assert notifications.purchase_order_to_supplier(supplier_order.pk) == 1
    assert mail.outbox[0].to == [supplier.email]


def test_without_a_hub_address_the_cooperatives_address_is_printed(consolidated, tmp_path):
    from purchasing.pdf import purchase_order_pdf
    from shops.models import Cooperative

    coop = Cooperative.objects.get()
    coop.hub_address = ""
    coop.address = "2 rue de la Mairie"
    coop.postcode = "35560"
    coop.commune = "Rimou"
    coop.save()
    text = pdf_text(purchase_order_pdf(consolidated["supplier_order"]), tmp_path)
    assert "Livraison à la plateforme : 2 rue de la Mairie, 35560 Rimou" in text


def test_a_round_not_open_yet_is_not_reminded(client, round_world):
    from mache.errors import BusinessRuleError

    round_ = round_world["round"]
    round_.opens_at = timezone.now() + dt.timedelta(hours=2)
    round_.save()
    with pytest.raises(BusinessRuleError) as refused:
        round_remind_missing(round_id=round_.pk)
    assert refused.value.code == "round_not_open"
    assert notifications.missing_shops_reminder(round_.pk) == 0
    client.force_login(round_world["coordinator"])
    body = page_text(client.get(f"/coordination/tournees/{round_.pk}/"))
    assert "2 commerces actifs sans commande" in body
    assert "Relancer ces commerces" not in body and "vous pourrez relancer" in body
    assert queued("missing_shops_reminder") == [] and mail.outbox == []
