"""Credit transfers to suppliers (docs/sepa.md, "Paying suppliers"): a batch pays
approved supplier invoices their total incl. VAT, pain.001.001.03 valid against its XSD,
posted (401000 aux supplier / 512000) when the bank shows it; the refusals."""

from decimal import Decimal

import pytest

from accounting.models import Entry, EntryLine
from mache.periods import paris_today
from payments.models import CreditTransferBatch, CreditTransferItem
from payments.selectors import supplier_invoices_to_pay
from payments.services.credit_transfers import credit_transfer_batch_settle
from purchasing.models import SupplierInvoice
from shops.models import Cooperative
from tests.factories import ShopFactory

from .conftest import approved_supplier_invoice, assert_valid, in_days, received_supplier_order


@pytest.fixture
def received(bank_coop):
    """Two approved supplier invoices of received orders (two suppliers with their bank
    details)."""
    shops = [ShopFactory(), ShopFactory()]
    first, _ = received_supplier_order(shops, units=(3, 4))
    second, _ = received_supplier_order(shops, units=(10,), price="1.2000")
    return [approved_supplier_invoice(first), approved_supplier_invoice(second)]


def owed(supplier_invoice) -> Decimal:
    """What the order's purchase entry owes the supplier, incl. VAT."""
    return EntryLine.objects.get(
        entry__source=f"supplier-order:{supplier_invoice.supplier_order_id}",
        account__number="401000",
    ).credit


def post(api, user, body):
    return api.as_user(user).post("/api/credit-transfers/", body, format="json")


def test_a_batch_pays_approved_invoices_what_is_owed(api, coordinator, received):
    response = post(
        api,
        coordinator,
        {"execution_date": str(in_days(1)), "supplier_invoices": [o.pk for o in received]},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["count"] == 2 and body["status"] == "prepared"
    amounts = {item["supplier_invoice"]: Decimal(item["amount"]) for item in body["items"]}
    assert amounts == {o.pk: owed(o) for o in received}
    # 3 + 4 units at 2.50, 5.5 % VAT, shipping included: what the purchase entry owes.
    assert Decimal(body["total"]) == sum(amounts.values())
    assert all(amount > 0 for amount in amounts.values())


def test_the_file_is_pain_001_valid_against_its_schema(api, coordinator, received):
    batch_id = post(
        api,
        coordinator,
        {"execution_date": str(in_days(1)), "supplier_invoices": [o.pk for o in received]},
    ).json()["id"]
    response = api.as_user(coordinator).get(f"/api/credit-transfers/{batch_id}/xml/")
    assert response.status_code == 200
    root = assert_valid(response.content, "pain.001.001.03")
    ns = {"p": root.nsmap[None]}
    batch = CreditTransferBatch.objects.get(pk=batch_id)
    assert root.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", ns).text == batch.message_id
    assert root.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", ns).text == "2"
    creditors = root.findall("p:CstmrCdtTrfInitn/p:PmtInf/p:CdtTrfTxInf/p:CdtrAcct/p:Id/p:IBAN", ns)
    assert {c.text for c in creditors} == {"DE89370400440532013000"}
    assert batch.status == "sent"


def test_settling_posts_each_transfer_once(api, coordinator, received):
    body = post(
        api, coordinator, {"execution_date": str(in_days(1)), "supplier_invoices": [received[0].pk]}
    ).json()
    batch = CreditTransferBatch.objects.get(pk=body["id"])
    credit_transfer_batch_settle(batch=batch, date=paris_today())
    item = batch.items.get()
    entry = Entry.objects.get(source=f"credit-transfer:{item.pk}")
    assert entry.journal.code == "BQ"
    lines = {(line.account.number, line.debit, line.credit) for line in entry.lines.all()}
    assert lines == {("401000", item.amount, 0), ("512000", 0, item.amount)}
    supplier = received[0].supplier
    assert received[0].number in entry.label
    assert entry.lines.get(account__number="401000").auxiliary.code == f"F{supplier.pk:06d}"
    assert CreditTransferBatch.objects.get(pk=batch.pk).status == "settled"
    credit_transfer_batch_settle(batch=batch, date=paris_today())
    assert Entry.objects.filter(source__startswith="credit-transfer:").count() == 1


def test_an_invoice_already_in_a_batch_is_409_already_paid(api, coordinator, received):
    data = {"execution_date": str(in_days(1)), "supplier_invoices": [received[0].pk]}
    assert post(api, coordinator, data).status_code == 201
    response = post(api, coordinator, data)
    assert response.status_code == 409
    assert response.json()["code"] == "already_paid"
    assert CreditTransferBatch.objects.count() == 1


def test_a_supplier_without_bank_details_is_400(api, coordinator, received):
    received[0].supplier.__class__.objects.filter(pk=received[0].supplier_id).update(iban="")
    response = post(
        api, coordinator, {"execution_date": str(in_days(1)), "supplier_invoices": [received[0].pk]}
    )
    assert response.status_code == 400
    assert list(response.json()) == ["supplier_invoices"]
    assert "IBAN" in response.json()["supplier_invoices"][0]


def test_an_invoice_not_approved_is_400(api, coordinator, received):
    waiting = received[0]
    for status in ("matched", "discrepancies", "rejected"):
        waiting.__class__.objects.filter(pk=waiting.pk).update(status=status)
        for ids in ([waiting.pk], [999999], [], ["x"]):
            response = post(
                api, coordinator, {"execution_date": str(in_days(1)), "supplier_invoices": ids}
            )
            assert response.status_code == 400, ids
            assert list(response.json()) == ["supplier_invoices"]
        response = post(
            api, coordinator, {"execution_date": str(in_days(1)), "supplier_invoices": [waiting.pk]}
        )
        assert "n'est pas approuvée" in response.json()["supplier_invoices"][0]
    assert CreditTransferBatch.objects.count() == 0


def test_a_past_execution_date_is_400(api, coordinator, received):
    response = post(
        api,
        coordinator,
        {"execution_date": str(in_days(-1)), "supplier_invoices": [received[0].pk]},
    )
    assert response.status_code == 400 and list(response.json()) == ["execution_date"]


def test_the_cooperative_iban_is_needed(api, coordinator, received):
    Cooperative.objects.update(iban="")
    response = post(
        api, coordinator, {"execution_date": str(in_days(1)), "supplier_invoices": [received[0].pk]}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "cooperative_bank_details_missing"


@pytest.mark.parametrize("role", ["shopkeeper", "accountant"])
def test_transfers_are_the_coordinators(api, received, request, role):
    user = request.getfixturevalue(role)
    data = {"execution_date": str(in_days(1)), "supplier_invoices": [received[0].pk]}
    assert post(api, user, data).status_code == 403
    assert api.as_user(user).get("/api/credit-transfers/").status_code == 403


def test_the_list_costs_the_same_whatever_the_batches(
    api, coordinator, received, django_assert_num_queries
):
    client = api.as_user(coordinator)
    post(
        api, coordinator, {"execution_date": str(in_days(1)), "supplier_invoices": [received[0].pk]}
    )
    with django_assert_num_queries(4):  # auth, count, batches, items
        client.get("/api/credit-transfers/")
    post(
        api, coordinator, {"execution_date": str(in_days(1)), "supplier_invoices": [received[1].pk]}
    )
    with django_assert_num_queries(4):
        assert client.get("/api/credit-transfers/").json()["count"] == 2


def test_an_order_paid_by_an_older_transfer_is_409_already_paid(api, coordinator, received):
    # A transfer made before supplier invoices existed paid the order itself: its
    # invoice, approved since, is not paid again (nor offered on the page).
    invoice = received[0]
    batch = CreditTransferBatch.objects.create(
        execution_date=in_days(1), message_id="MACHE-VIR-OLD", count=1, total=owed(invoice)
    )
    CreditTransferItem.objects.create(
        batch=batch,
        supplier=invoice.supplier,
        supplier_order=invoice.supplier_order,
        amount=owed(invoice),
        iban=invoice.supplier.iban,
        bic=invoice.supplier.bic,
        end_to_end_id="V-OLD-CF",
    )
    response = post(
        api,
        coordinator,
        {"execution_date": str(in_days(1)), "supplier_invoices": [o.pk for o in received]},
    )
    assert response.status_code == 409, response.json()
    body = response.json()
    assert (body["code"], body["supplier_invoices"]) == ("already_paid", [invoice.pk])
    assert invoice.number in body["detail"]
    assert CreditTransferBatch.objects.count() == 1
    assert list(supplier_invoices_to_pay()) == [received[1]]


def test_a_transfer_pays_the_amount_due(api, coordinator, received):
    # The supplier's invoice says 10.00 was prepaid: BT-115 is what is paid.
    invoice = received[0]
    due = invoice.total_incl_vat - Decimal("10.00")
    SupplierInvoice.objects.filter(pk=invoice.pk).update(amount_due=due)
    response = post(
        api,
        coordinator,
        {"execution_date": str(in_days(1)), "supplier_invoices": [o.pk for o in received]},
    )
    assert response.status_code == 201, response.json()
    amounts = {
        item["supplier_invoice"]: Decimal(item["amount"]) for item in response.json()["items"]
    }
    # The other, recorded with no amount due: its total incl. VAT.
    assert amounts == {invoice.pk: due, received[1].pk: received[1].total_incl_vat}
