"""Direct-debit batches (docs/sepa.md, "Direct debits"): what a batch collects, the
pain.008.001.02 file valid against its XSD, FRST then RCUR, the pre-notification
e-mailed once, the refusals, and the bank's answer (settled, rejected)."""

from decimal import Decimal

import pytest
from django.core import mail

from mache.models import OutboxMessage
from mache.periods import paris_today
from payments.models import DirectDebitBatch, DirectDebitItem, Mandate
from payments.notifications import direct_debit_prenotification
from payments.services.direct_debits import (
    direct_debit_batch_prepare,
    direct_debit_batch_settle,
    direct_debit_item_reject,
)
from purchasing.models import Invoice
from shops.models import Cooperative

from .conftest import (
    COOP_ICS,
    assert_valid,
    find_all,
    in_days,
    received_supplier_order,
)


def post(api, user, body):
    return api.as_user(user).post("/api/direct-debits/", body, format="json")


def prenotifications() -> list[int]:
    return [
        message.args[1]
        for message in OutboxMessage.objects.filter(task_name="worker.send_notification")
        if message.args[0] == "direct_debit_prenotification"
    ]


def test_a_batch_collects_the_open_invoices_of_the_shops_with_a_mandate(
    api, coordinator, two_shops
):
    first, second, third = two_shops["shops"]
    invoices = two_shops["invoices"]
    response = post(api, coordinator, {"collection_date": str(in_days(3)), "invoices": None})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "prepared" and body["count"] == 2
    by_shop = {item["shop"]: item for item in body["items"]}
    assert set(by_shop) == {first.pk, second.pk}  # the third shop signed no mandate
    for shop in (first, second):
        invoice = invoices[shop.pk]
        assert by_shop[shop.pk]["invoices"] == [invoice.pk]
        assert by_shop[shop.pk]["amount"] == f"{invoice.amount_due:.2f}"
        assert by_shop[shop.pk]["mandate"] == f"RUM-{shop.pk}-1"
        assert by_shop[shop.pk]["sequence_type"] == "FRST"
        assert invoice.number in by_shop[shop.pk]["end_to_end_id"]
    assert Decimal(body["total"]) == invoices[first.pk].amount_due + invoices[second.pk].amount_due
    # One pre-notification per shop, waiting for the commit's send.
    assert sorted(prenotifications()) == sorted(
        DirectDebitItem.objects.values_list("pk", flat=True)
    )


def test_invoices_not_due_by_the_collection_date_wait(api, coordinator, two_shops):
    Cooperative.objects.update(payment_term_days=30)
    shop = two_shops["shops"][0]
    later = received_supplier_order([shop])[1][shop.pk]  # due in 30 days
    body = post(api, coordinator, {"collection_date": str(in_days(3))}).json()
    collected = {pk for item in body["items"] for pk in item["invoices"]}
    assert later.pk not in collected
    assert two_shops["invoices"][shop.pk].pk in collected


def test_one_item_per_shop_sums_its_invoices(api, coordinator, two_shops):
    shop = two_shops["shops"][0]
    other = received_supplier_order([shop], units=(7,))[1][shop.pk]
    body = post(api, coordinator, {"collection_date": str(in_days(3))}).json()
    [item] = [item for item in body["items"] if item["shop"] == shop.pk]
    first = two_shops["invoices"][shop.pk]
    assert item["invoices"] == sorted([first.pk, other.pk])
    assert Decimal(item["amount"]) == first.amount_due + other.amount_due
    assert item["end_to_end_id"].endswith("+1")


def test_the_file_is_pain_008_valid_against_its_schema(api, coordinator, two_shops):
    batch_id = post(api, coordinator, {"collection_date": str(in_days(3))}).json()["id"]
    response = api.as_user(coordinator).get(f"/api/direct-debits/{batch_id}/xml/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    root = assert_valid(response.content, "pain.008.001.02")
    batch = DirectDebitBatch.objects.get(pk=batch_id)
    assert find_all(root, "p:CstmrDrctDbtInitn/p:GrpHdr/p:MsgId")[0].text == batch.message_id
    assert find_all(root, "p:CstmrDrctDbtInitn/p:GrpHdr/p:CtrlSum")[0].text == f"{batch.total}"
    [block] = find_all(root, "p:CstmrDrctDbtInitn/p:PmtInf")
    ns = {"p": root.nsmap[None]}
    assert block.find("p:PmtTpInf/p:LclInstrm/p:Cd", ns).text == "B2B"
    assert block.find("p:PmtTpInf/p:SeqTp", ns).text == "FRST"
    assert block.find("p:ReqdColltnDt", ns).text == str(in_days(3))
    assert block.find("p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", ns).text == COOP_ICS
    mandates = {
        m.text for m in block.iterfind("p:DrctDbtTxInf/p:DrctDbtTx/p:MndtRltdInf/p:MndtId", ns)
    }
    assert mandates == {m.reference for m in two_shops["mandates"]}
    texts = [t.text for t in block.iterfind("p:DrctDbtTxInf/p:RmtInf/p:Ustrd", ns)]
    assert all(t.startswith("Factures MACHE-") for t in texts)
    assert DirectDebitBatch.objects.get(pk=batch_id).status == "sent"


def test_b2b_and_core_mandates_go_in_separate_payment_blocks(api, coordinator, two_shops):
    Mandate.objects.filter(pk=two_shops["mandates"][1].pk).update(scheme="CORE")
    batch_id = post(api, coordinator, {"collection_date": str(in_days(14))}).json()["id"]
    root = assert_valid(
        api.as_user(coordinator).get(f"/api/direct-debits/{batch_id}/xml/").content,
        "pain.008.001.02",
    )
    ns = {"p": root.nsmap[None]}
    schemes = [
        b.find("p:PmtTpInf/p:LclInstrm/p:Cd", ns).text
        for b in find_all(root, "p:CstmrDrctDbtInitn/p:PmtInf")
    ]
    assert sorted(schemes) == ["B2B", "CORE"]
    assert root.find("p:CstmrDrctDbtInitn/p:GrpHdr/p:NbOfTxs", ns).text == "2"


def test_first_collection_then_recurring(api, coordinator, two_shops):
    shop = two_shops["shops"][0]
    first = direct_debit_batch_prepare(collection_date=in_days(3), invoice_ids=None)
    # A second batch while the first is on its way: the mandate is no longer first.
    more = received_supplier_order([shop])[1][shop.pk]
    pending = direct_debit_batch_prepare(collection_date=in_days(3), invoice_ids=[more.pk])
    assert pending.items.get().sequence_type == "RCUR"
    direct_debit_batch_settle(batch=first, date=paris_today())
    mandate = Mandate.objects.get(shop=shop)
    assert mandate.first_collected_on == in_days(3)
    item = first.items.get(shop=shop)
    assert item.status == "settled" and item.payment.method == "direct_debit"
    assert item.payment.reference == item.end_to_end_id
    assert Invoice.objects.get(pk=two_shops["invoices"][shop.pk].pk).amount_due == 0
    assert DirectDebitBatch.objects.get(pk=first.pk).status == "settled"
    third = received_supplier_order([shop])[1][shop.pk]
    batch = direct_debit_batch_prepare(collection_date=in_days(3), invoice_ids=[third.pk])
    assert batch.items.get().sequence_type == "RCUR"
    # Settling again does nothing more.
    direct_debit_batch_settle(batch=first, date=paris_today())
    assert item.shop.payments.count() == 1


def test_a_new_iban_starts_a_new_sequence(api, coordinator, two_shops):
    shop = two_shops["shops"][0]
    batch = direct_debit_batch_prepare(collection_date=in_days(3), invoice_ids=None)
    direct_debit_batch_settle(batch=batch, date=paris_today())
    mandate = Mandate.objects.get(shop=shop)
    response = api.as_user(coordinator).put(
        f"/api/shops/{shop.pk}/mandate/",
        {
            "iban": "FR7630006000011234567890189",
            "bic": "AGRIFRPP",
            "reference": mandate.reference,
            "signed_on": "2025-06-01",
            "scheme": "B2B",
        },
        format="json",
    )
    assert response.status_code == 200
    invoice = received_supplier_order([shop])[1][shop.pk]
    batch = direct_debit_batch_prepare(collection_date=in_days(3), invoice_ids=[invoice.pk])
    assert batch.items.get().sequence_type == "FRST"


def test_an_invoice_in_a_batch_not_settled_is_409_already_collected(api, coordinator, two_shops):
    invoice = two_shops["invoices"][two_shops["shops"][0].pk]
    assert post(api, coordinator, {"collection_date": str(in_days(3))}).status_code == 201
    response = post(
        api, coordinator, {"collection_date": str(in_days(4)), "invoices": [invoice.pk]}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "already_collected"
    assert invoice.number in response.json()["detail"]
    assert DirectDebitBatch.objects.count() == 1
    # Without a list, what is being collected is left out: nothing remains.
    response = post(api, coordinator, {"collection_date": str(in_days(4))})
    assert response.status_code == 400 and list(response.json()) == ["invoices"]


def test_an_invoice_rejected_can_be_collected_again(two_shops):
    shop = two_shops["shops"][0]
    batch = direct_debit_batch_prepare(collection_date=in_days(3), invoice_ids=None)
    direct_debit_batch_settle(batch=batch, date=paris_today())
    item = batch.items.get(shop=shop)
    direct_debit_item_reject(item=item, reason="AM04", date=paris_today())
    item.refresh_from_db()
    assert item.status == "rejected" and item.return_reason == "AM04"
    assert item.payment.cancelled_at is not None
    invoice = Invoice.objects.get(pk=two_shops["invoices"][shop.pk].pk)
    assert invoice.amount_due == invoice.total_incl_vat  # due again
    # The first collection came back: the mandate is first again.
    assert Mandate.objects.get(shop=shop).first_collected_on is None
    again = direct_debit_batch_prepare(collection_date=in_days(3), invoice_ids=[invoice.pk])
    assert again.items.get().sequence_type == "FRST"
    assert again.items.get().end_to_end_id != item.end_to_end_id
    # Rejecting twice does nothing more.
    direct_debit_item_reject(item=item, reason="AM04", date=paris_today())


def test_an_invoice_of_a_shop_without_a_mandate_is_400_on_invoices(api, coordinator, two_shops):
    third = two_shops["shops"][2]
    invoice = two_shops["invoices"][third.pk]
    response = post(
        api, coordinator, {"collection_date": str(in_days(3)), "invoices": [invoice.pk]}
    )
    assert response.status_code == 400
    assert list(response.json()) == ["invoices"]
    assert third.name in response.json()["invoices"][0]
    assert DirectDebitBatch.objects.count() == 0


@pytest.mark.parametrize("invoices", [[999999], ["abc"], "3", [0]])
def test_unknown_or_malformed_invoices_are_400(api, coordinator, two_shops, invoices):
    response = post(api, coordinator, {"collection_date": str(in_days(3)), "invoices": invoices})
    assert response.status_code == 400
    assert list(response.json()) == ["invoices"]
    assert DirectDebitBatch.objects.count() == 0


@pytest.mark.parametrize(
    "days, scheme, notice, ok",
    [
        (-1, "B2B", None, False),  # past
        (1, "B2B", None, False),  # B2B: 2 days
        (2, "B2B", None, True),
        (13, "CORE", None, False),  # CORE: 14 days
        (14, "CORE", None, True),
        (4, "CORE", 5, False),  # the mandate's own notice
        (5, "CORE", 5, True),
    ],
)
def test_the_collection_date_leaves_the_notice(
    api, coordinator, two_shops, days, scheme, notice, ok
):
    Mandate.objects.update(scheme=scheme, prenotification_days=notice)
    response = post(api, coordinator, {"collection_date": str(in_days(days))})
    if ok:
        assert response.status_code == 201, response.json()
    else:
        assert response.status_code == 400
        assert list(response.json()) == ["collection_date"]
        assert DirectDebitBatch.objects.count() == 0


def test_a_core_mandate_short_of_its_notice_waits_without_blocking_the_others(
    api, coordinator, two_shops
):
    first, second, _ = two_shops["shops"]
    Mandate.objects.filter(shop=second).update(scheme="CORE")
    body = post(api, coordinator, {"collection_date": str(in_days(3))}).json()
    assert [item["shop"] for item in body["items"]] == [first.pk]
    # Fourteen days ahead, the CORE shop is collected too (its invoice still open).
    later = post(api, coordinator, {"collection_date": str(in_days(14))}).json()
    assert [item["shop"] for item in later["items"]] == [second.pk]


def test_the_cooperative_bank_details_are_needed(api, coordinator, two_shops):
    Cooperative.objects.update(sepa_creditor_id="")
    response = post(api, coordinator, {"collection_date": str(in_days(3))})
    assert response.status_code == 409
    assert response.json()["code"] == "cooperative_bank_details_missing"
    assert "identifiant de créancier SEPA" in response.json()["detail"]
    assert DirectDebitBatch.objects.count() == 0


def test_the_pre_notification_is_sent_once(two_shops):
    batch = direct_debit_batch_prepare(collection_date=in_days(3), invoice_ids=None)
    item = batch.items.get(shop=two_shops["shops"][0])
    assert direct_debit_prenotification(item.pk) == 1
    assert direct_debit_prenotification(item.pk) == 0  # a task delivered twice
    [message] = mail.outbox
    assert message.to == ["rimou@example.org"]
    assert in_days(3).strftime("%d/%m/%Y") in message.subject
    body = message.body
    assert f"{item.amount}".replace(".", ",") in body
    assert two_shops["invoices"][item.shop_id].number in body
    assert Mandate.objects.get(shop=item.shop).iban not in body  # masked
    assert DirectDebitItem.objects.get(pk=item.pk).prenotified_at is not None


@pytest.mark.parametrize("role", ["shopkeeper", "accountant"])
def test_batches_are_for_the_coordinator_only(api, two_shops, request, role):
    user = request.getfixturevalue(role)
    assert post(api, user, {"collection_date": str(in_days(3))}).status_code == 403
    assert api.as_user(user).get("/api/direct-debits/").status_code == 403
    batch = direct_debit_batch_prepare(collection_date=in_days(3), invoice_ids=None)
    assert api.as_user(user).get(f"/api/direct-debits/{batch.pk}/xml/").status_code == 403


def test_the_list_costs_the_same_whatever_the_batches(
    api, coordinator, two_shops, django_assert_num_queries
):
    client = api.as_user(coordinator)
    direct_debit_batch_prepare(collection_date=in_days(3), invoice_ids=None)
    with django_assert_num_queries(5):  # auth, count, batches, items, invoices
        client.get("/api/direct-debits/")
    shop = two_shops["shops"][0]
    for _ in range(3):
        invoice = received_supplier_order([shop])[1][shop.pk]
        direct_debit_batch_prepare(collection_date=in_days(3), invoice_ids=[invoice.pk])
    with django_assert_num_queries(5):
        body = client.get("/api/direct-debits/").json()
    assert body["count"] == 4
