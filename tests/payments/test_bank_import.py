"""Bank statements imported and matched (payments.services.bank, docs/bank.md): once
only (409, under a race too), each matching rule, the lines left to match and the
coordinator's hand match, the API's roles and refusals, the "Banque" pages."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections, transaction
from django.test import Client

from mache.errors import BusinessRuleError, InvalidInput
from mache.periods import paris_today
from payments.models import (
    BankLine,
    BankStatement,
    CreditTransferBatch,
    DirectDebitBatch,
    DirectDebitItem,
    Mandate,
    Payment,
)
from payments.services.bank import StatementExists, bank_line_match, statement_import
from payments.services.payments import payment_record
from payments.statements.matching import Batch, Decision, Lookups, decide
from purchasing.models import CreditNote, Invoice
from tests.factories import ShopFactory
from tests.factories.purchasing import received_round
from tests.purchasing.test_deadline_race import wait_for_lock_waiter

from .statement_files import Line, camt053, cfonb120

D = Decimal
pytestmark = pytest.mark.django_db
URL = "/api/bank/statements/"
LINES_URL = "/api/bank/lines/"


def today():
    return paris_today()


@pytest.fixture
def romazy(db):
    """A shop with two invoices (the oldest first) and its mandate."""
    shop = ShopFactory(name="Épicerie de Romazy", legal_name="SARL Les Halles de Romazy")
    first = received_round({shop: 12})[shop.pk]
    second = received_round({shop: 18})[shop.pk]
    return shop, first, second


def upload(api, user, data, name="releve.xml"):
    client = api.as_user(user)
    return client.post(URL, {"file": SimpleUploadedFile(name, data)}, format="multipart")


def pay_line(amount, **kwargs):
    return Line(D(amount), booked_on=today(), **kwargs)


def import_lines(lines, **kwargs):
    return statement_import(data=camt053(lines, **kwargs), file_name="releve.xml")


def state():
    """What an import writes: statements, lines, payments."""
    return (BankStatement.objects.count(), BankLine.objects.count(), Payment.objects.count())


# --- once only ---


def test_a_statement_is_imported_with_its_counts(api, coordinator, romazy):
    shop, first, _ = romazy
    data = camt053(
        [
            pay_line(first.total_incl_vat, text=f"Facture {first.number}"),
            pay_line("-12.00", text="Frais de tenue de compte"),
        ]
    )

    response = upload(api, coordinator, data)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body == {
        "id": body["id"],
        "account_iban": "FR7630006000011234567890189",
        "from": "2026-03-01",
        "to": "2026-03-31",
        "lines": 2,
        "matched": 1,
    }
    statement = BankStatement.objects.get()
    assert statement.format == "camt053" and statement.file_name == "releve.xml"
    assert statement.imported_by == coordinator
    assert len(statement.file_sha256) == 64


def test_the_same_statement_twice_is_409_and_writes_nothing(api, coordinator, romazy):
    shop, first, _ = romazy
    data = camt053([pay_line(first.total_incl_vat, text=f"Facture {first.number}")])
    assert upload(api, coordinator, data).status_code == 201
    before = state()

    response = upload(api, coordinator, data)

    assert response.status_code == 409
    assert response.json()["code"] == "statement_exists"
    assert state() == before
    # The same statement in CFONB 120 is recognised the same way (account, dates).
    cfonb = cfonb120([pay_line("5.00")])
    assert upload(api, coordinator, cfonb, "releve.txt").status_code == 201
    assert upload(api, coordinator, cfonb, "releve.txt").json()["code"] == "statement_exists"


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_statement_at_once_make_one(romazy):
    """The second import passes the existence check (the first is not committed yet),
    then waits on the unique index and is refused with statement_exists."""
    shop, first, _ = romazy
    data = camt053([pay_line("7.00", text="Don")])
    imported, release = threading.Event(), threading.Event()
    outcome = {}

    def first_import():
        try:
            with transaction.atomic():
                outcome["first"] = statement_import(data=data)
                imported.set()
                release.wait(10)
        finally:
            connections.close_all()

    def second_import():
        try:
            imported.wait(10)
            outcome["second"] = statement_import(data=data)
        except BusinessRuleError as exc:
            outcome["error"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first_import), threading.Thread(target=second_import)]
    for thread in threads:
        thread.start()
    wait_for_lock_waiter()
    release.set()
    for thread in threads:
        thread.join(20)

    assert isinstance(outcome.get("error"), StatementExists)
    assert BankStatement.objects.count() == 1 and BankLine.objects.count() == 1


# --- bad input ---


@pytest.mark.parametrize(
    "data",
    [
        b"date;montant\n2026-03-01;12,00\n",
        b"<Document><Stmt>",
        bytes(range(256)),
    ],
)
def test_a_file_that_is_no_statement_is_400_on_file_and_writes_nothing(api, coordinator, data):
    response = upload(api, coordinator, data)

    assert response.status_code == 400
    assert list(response.json()) == ["file"]
    assert state() == (0, 0, 0)


def test_no_file_or_an_empty_one_is_400_on_file(api, coordinator):
    client = api.as_user(coordinator)
    assert list(client.post(URL, {}, format="multipart").json()) == ["file"]
    response = upload(api, coordinator, b"")
    assert response.status_code == 400 and list(response.json()) == ["file"]


def test_a_file_over_the_upload_limit_is_413(api, coordinator, settings):
    settings.MAX_UPLOAD_BYTES = 4096
    data = camt053([pay_line("1.00", text="x" * 100) for _ in range(40)])
    assert len(data) > 4096

    response = upload(api, coordinator, data)

    assert response.status_code == 413
    assert state() == (0, 0, 0)


def test_the_statement_endpoints_answer_other_roles_403(api, shopkeeper, accountant, romazy):
    shop, first, _ = romazy
    statement = import_lines([pay_line("3.00", text="Inconnu")])
    line = statement.lines.get()
    data = camt053([pay_line("4.00")], statement_id="OTHER")
    for user in (shopkeeper, accountant):
        client = api.as_user(user)
        assert upload(api, user, data).status_code == 403
        assert client.get(LINES_URL).status_code == 403
        response = client.post(
            f"{LINES_URL}{line.pk}/match/", {"shop": shop.pk, "invoices": []}, format="json"
        )
        assert response.status_code == 403
    assert state() == (1, 1, 0)


# --- the rules ---


def test_a_credit_naming_an_invoice_pays_that_invoice(romazy):
    shop, first, second = romazy
    # The newer invoice is named: it is paid, not the oldest.
    statement = import_lines(
        [pay_line(second.total_incl_vat, text=f"VIR SEPA REGLT {second.number}")]
    )

    line = statement.lines.get()
    assert line.status == BankLine.Status.MATCHED
    payment = line.payments.get()
    assert (payment.shop, payment.amount, payment.method) == (
        shop,
        second.total_incl_vat,
        "transfer",
    )
    assert payment.date == today()
    assert payment.reference == f"VIR SEPA REGLT {second.number}"
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.amount_due == 0 and first.amount_due == first.total_incl_vat


def test_a_credit_naming_a_credit_note_pays_its_invoice(romazy):
    shop, first, second = romazy
    note = CreditNote.objects.create(
        number=f"MACHE-AV-{today().year}-000001",
        year=today().year,
        sequence=1,
        invoice=second,
        shop=shop,
        issued_on=today(),
        reason="Casse",
        total_excl_vat=D("1.00"),
        total_vat=D("0.06"),
        total_incl_vat=D("1.06"),
        applied=D("0"),
    )
    statement = import_lines([pay_line("10.00", text=f"solde {note.number}")])

    payment = statement.lines.get().payments.get()
    assert [a.settlement.invoice_id for a in payment.allocations.all()] == [second.pk]


def test_invoices_of_two_shops_in_one_credit_wait_for_the_coordinator(romazy):
    shop, first, _ = romazy
    other = ShopFactory(name="Bar de Vieux-Vy")
    theirs = received_round({other: 6})[other.pk]
    statement = import_lines([pay_line("50.00", text=f"{first.number} {theirs.number}")])

    assert statement.lines.get().status == BankLine.Status.UNMATCHED
    assert Payment.objects.count() == 0


def test_a_credit_naming_a_mandate_pays_the_oldest_invoices(romazy):
    shop, first, second = romazy
    Mandate.objects.create(
        shop=shop,
        reference="RUM-ROMAZY-1",
        signed_on=dt.date(2026, 1, 5),
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
    )
    statement = import_lines(
        [pay_line(first.total_incl_vat, mandate_reference="RUM-ROMAZY-1", text="PRLV SEPA")]
    )

    payment = statement.lines.get().payments.get()
    assert (payment.shop, payment.method) == (shop, "direct_debit")
    first.refresh_from_db()
    assert first.amount_due == 0


def test_a_credit_naming_a_shop_with_the_amount_of_one_open_invoice_pays_it(romazy):
    shop, first, second = romazy
    # The payer's name in capitals and without accents, the amount of the newer invoice.
    statement = import_lines(
        [
            pay_line(second.total_incl_vat, counterparty="EPICERIE DE ROMAZY", text="VIREMENT"),
            # Same amount again: that invoice is paid now, nothing else is due that much.
            pay_line(second.total_incl_vat, counterparty="EPICERIE DE ROMAZY", text="VIREMENT"),
            # Its legal name in the text, an amount no invoice is due.
            pay_line("1.23", text="SARL LES HALLES DE ROMAZY"),
        ]
    )

    matched, again, odd = statement.lines.order_by("position")
    assert matched.status == BankLine.Status.MATCHED
    assert [a.settlement.invoice_id for a in matched.payments.get().allocations.all()] == [
        second.pk
    ]
    assert again.status == odd.status == BankLine.Status.UNMATCHED
    assert Payment.objects.count() == 1


def test_a_line_the_books_refuse_stays_unmatched_and_the_import_goes_on(romazy):
    shop, first, _ = romazy
    # Booked long ago (before the business dates allowed): payment_record refuses it.
    statement = import_lines(
        [
            Line(first.total_incl_vat, booked_on=dt.date(2001, 1, 2), text=first.number),
            pay_line(first.total_incl_vat, text=first.number),
        ],
        from_date=dt.date(2001, 1, 1),
    )

    old, recent = statement.lines.order_by("position")
    assert old.status == BankLine.Status.UNMATCHED
    assert recent.status == BankLine.Status.MATCHED


def test_the_same_file_in_cfonb120_is_matched_alike(romazy):
    shop, first, _ = romazy
    data = cfonb120([pay_line(first.total_incl_vat, text=f"VIR {first.number}")])

    statement = statement_import(data=data, file_name="releve.txt")

    assert statement.format == "cfonb120"
    assert statement.lines.get().status == BankLine.Status.MATCHED


def _batch(shop, invoice, *, status=DirectDebitBatch.Status.SENT):
    mandate = Mandate.objects.create(
        shop=shop,
        reference="RUM-ROMAZY-1",
        signed_on=dt.date(2026, 1, 5),
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
    )
    batch = DirectDebitBatch.objects.create(
        collection_date=today(),
        status=status,
        message_id="MACHE-DD-2026-0001",
        count=1,
        total=invoice.total_incl_vat,
    )
    item = DirectDebitItem.objects.create(
        batch=batch,
        shop=shop,
        mandate=mandate,
        amount=invoice.total_incl_vat,
        sequence_type="FRST",
        end_to_end_id="MACHE-DD-2026-0001-1",
    )
    item.invoices.add(invoice)
    return batch, item


def test_a_credit_naming_a_direct_debit_batch_settles_it(romazy):
    shop, first, _ = romazy
    batch, item = _batch(shop, first)
    statement = import_lines(
        [pay_line(first.total_incl_vat, batch_reference=batch.message_id, text="REMISE PRLV")]
    )

    line = statement.lines.get()
    batch.refresh_from_db()
    assert line.status == BankLine.Status.MATCHED and line.direct_debit_batch == batch
    assert batch.status == DirectDebitBatch.Status.SETTLED
    item.refresh_from_db()
    assert list(line.payments.all()) == [item.payment]


def test_a_rejected_direct_debit_cancels_its_payment(romazy):
    shop, first, _ = romazy
    batch, item = _batch(shop, first, status=DirectDebitBatch.Status.SETTLED)
    payment = payment_record(
        shop=shop, date=today(), amount=item.amount, method="direct_debit", invoices=[first.pk]
    )
    DirectDebitItem.objects.filter(pk=item.pk).update(
        status=DirectDebitItem.Status.SETTLED, payment=payment
    )
    statement = import_lines(
        [
            pay_line(
                -item.amount,
                end_to_end_id=item.end_to_end_id,
                return_reason="AM04",
                text="RETOUR PRLV",
                counterparty="EPICERIE DE ROMAZY",
            )
        ]
    )

    line = statement.lines.get()
    assert line.status == BankLine.Status.MATCHED
    assert list(line.payments.all()) == [payment]
    item.refresh_from_db()
    payment.refresh_from_db()
    first.refresh_from_db()
    assert (item.status, item.return_reason) == (DirectDebitItem.Status.REJECTED, "AM04")
    assert payment.cancelled_at is not None
    assert first.amount_due == first.total_incl_vat


def test_a_debit_naming_a_credit_transfer_batch_settles_it(romazy):
    batch = CreditTransferBatch.objects.create(
        execution_date=today(),
        status=CreditTransferBatch.Status.SENT,
        message_id="MACHE-CT-2026-0001",
        count=0,
        total=D("250.00"),
    )
    statement = import_lines([pay_line("-250.00", text="VIR EMIS MACHE-CT-2026-0001")])

    line = statement.lines.get()
    batch.refresh_from_db()
    assert line.status == BankLine.Status.MATCHED and line.credit_transfer_batch == batch
    assert batch.status == CreditTransferBatch.Status.SETTLED


# --- the decision alone (pure: a line and lookups) ---


def fact(amount, **kwargs):
    return Line(D(amount), **kwargs)


def test_decide_takes_the_rules_in_order():
    lookups = Lookups(
        direct_debit_batches={"DD-1": Batch(1, frozenset({D("300.00")}))},
        direct_debit_items={"E2E-9": 9},
        documents={"MACHE-2026-000001": (11, 5), "MACHE-2026-000002": (12, 6)},
        mandates={"RUM-5": 5},
        shop_names={5: {" epicerie de romazy "}, 6: {" bar de vieux vy "}},
        open_items={6: [(12, D("42.00")), (13, D("17.00"))]},
        credit_transfer_batches={"CT-1": Batch(3, frozenset({D("80.00")}))},
    )

    # (a) the batch, named in the text, with its amount; not with another amount.
    assert decide(fact("300.00", text="REMISE DD-1"), lookups) == Decision(
        "direct_debit_batch", batch_id=1
    )
    assert decide(fact("299.00", batch_reference="DD-1"), lookups) is None
    # (b) a return: its end-to-end id, a reason or a debit.
    assert decide(fact("-30.00", end_to_end_id="E2E-9", return_reason="MD01"), lookups) == (
        Decision("direct_debit_return", item_id=9, reason="MD01")
    )
    assert decide(fact("30.00", end_to_end_id="E2E-9"), lookups) is None
    # (c) before (d): the invoice named wins over the mandate.
    assert decide(fact("5.00", text="MACHE-2026-000001", mandate_reference="RUM-5"), lookups) == (
        Decision("invoice", shop_id=5, invoice_ids=(11,))
    )
    assert decide(fact("5.00", mandate_reference="RUM-5"), lookups) == Decision(
        "mandate", shop_id=5
    )
    # (e) the shop's name and exactly one open invoice of that amount.
    assert decide(fact("17.00", counterparty="Bar de Vieux-Vy"), lookups) == Decision(
        "shop_amount", shop_id=6, invoice_ids=(13,)
    )
    assert decide(fact("18.00", counterparty="Bar de Vieux-Vy"), lookups) is None
    assert decide(fact("17.00", counterparty="Barbara"), lookups) is None
    # (f) a debit naming a credit-transfer batch, of its amount.
    assert decide(fact("-80.00", batch_reference="CT-1"), lookups) == Decision(
        "credit_transfer_batch", batch_id=3
    )
    assert decide(fact("80.00", batch_reference="CT-1"), lookups) is None


# --- the lines left, and the hand match ---


def test_lines_are_listed_by_status_in_a_fixed_number_of_queries(
    api, coordinator, romazy, django_assert_num_queries
):
    shop, first, _ = romazy
    import_lines(
        [pay_line(first.total_incl_vat, text=first.number)]
        + [pay_line(f"{n}.00", text=f"Inconnu {n}") for n in range(1, 6)]
    )
    client = api.as_user(coordinator)
    client.get(LINES_URL)  # the token's first use is not what is counted

    with django_assert_num_queries(4):  # token and user, count, lines, their payments
        response = client.get(LINES_URL, {"status": "unmatched"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    assert {line["status"] for line in body["results"]} == {"unmatched"}
    matched = client.get(LINES_URL, {"status": "matched"}).json()["results"]
    assert [len(line["payments"]) for line in matched] == [1]
    assert client.get(LINES_URL).json()["count"] == 6


def test_an_unknown_status_is_400_on_status(api, coordinator):
    response = api.as_user(coordinator).get(LINES_URL, {"status": "paid"})

    assert response.status_code == 400
    assert list(response.json()) == ["status"]


def test_the_coordinator_matches_a_credit_by_hand(api, coordinator, romazy):
    shop, first, second = romazy
    amount = first.total_incl_vat + second.total_incl_vat
    line = import_lines([pay_line(amount, text="VIR M DUPONT")]).lines.get()
    client = api.as_user(coordinator)

    response = client.post(
        f"{LINES_URL}{line.pk}/match/",
        {"shop": shop.pk, "invoices": [second.pk, first.pk]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "matched"
    line.refresh_from_db()
    assert line.status == BankLine.Status.MATCHED and line.matched_by == coordinator
    payment = line.payments.get()
    assert payment.amount == amount and payment.created_by == coordinator
    assert [a.settlement.invoice_id for a in payment.allocations.all()] == [second.pk, first.pk]
    # Twice: 409, nothing more written.
    again = client.post(
        f"{LINES_URL}{line.pk}/match/", {"shop": shop.pk, "invoices": []}, format="json"
    )
    assert again.status_code == 409 and again.json()["code"] == "line_already_matched"
    assert Payment.objects.count() == 1


def test_a_hand_match_without_invoices_pays_the_oldest_first(api, coordinator, romazy):
    shop, first, second = romazy
    line = import_lines([pay_line(first.total_incl_vat, text="VIR")]).lines.get()

    response = api.as_user(coordinator).post(
        f"{LINES_URL}{line.pk}/match/", {"shop": shop.pk}, format="json"
    )

    assert response.status_code == 200
    first.refresh_from_db()
    assert first.amount_due == 0


def test_a_debit_cannot_be_matched_by_hand(api, coordinator, romazy):
    shop, _, _ = romazy
    line = import_lines([pay_line("-9.00", text="Frais")]).lines.get()

    response = api.as_user(coordinator).post(
        f"{LINES_URL}{line.pk}/match/", {"shop": shop.pk}, format="json"
    )

    assert response.status_code == 409 and response.json()["code"] == "line_not_credit"
    assert Payment.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"shop": None}, "shop"),
        ({"shop": 999999}, "shop"),
        ({"shop": "x"}, "shop"),
        ({"invoices": "3"}, "invoices"),
        ({"invoices": [-1]}, "invoices"),
        ({"invoices": "foreign"}, "invoices"),
    ],
)
def test_a_bad_hand_match_is_400_on_its_field_and_writes_nothing(
    api, coordinator, romazy, body, field
):
    shop, _, _ = romazy
    other = ShopFactory()
    theirs = received_round({other: 6})[other.pk]
    line = import_lines([pay_line("9.00", text="VIR")]).lines.get()
    body = {"shop": shop.pk, **body}
    if body.get("invoices") == "foreign":
        body["invoices"] = [theirs.pk]

    response = api.as_user(coordinator).post(f"{LINES_URL}{line.pk}/match/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Payment.objects.count() == 0
    line.refresh_from_db()
    assert line.status == BankLine.Status.UNMATCHED


def test_a_hand_match_of_an_unknown_line_is_404(api, coordinator, romazy):
    shop, _, _ = romazy
    client = api.as_user(coordinator)
    assert (
        client.post(f"{LINES_URL}999999/match/", {"shop": shop.pk}, format="json").status_code
        == 404
    )
    assert client.post(f"{LINES_URL}x/match/", {"shop": shop.pk}, format="json").status_code == 400


def test_the_service_refuses_the_same_as_the_api(coordinator, romazy):
    shop, first, _ = romazy
    line = import_lines([pay_line("-1.00")]).lines.get()
    with pytest.raises(BusinessRuleError):
        bank_line_match(line_id=line.pk, shop=shop, invoices=[], user=coordinator)
    credit = import_lines([pay_line("1.00")], statement_id="S2").lines.get()
    other = ShopFactory()
    with pytest.raises(InvalidInput):
        bank_line_match(line_id=credit.pk, shop=other, invoices=[first.pk], user=coordinator)


# --- the pages ---


def page_client(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_bank_page_imports_a_statement_and_lists_what_is_left(coordinator, romazy):
    shop, first, _ = romazy
    client = page_client(coordinator)
    data = camt053(
        [
            pay_line(first.total_incl_vat, text=first.number),
            pay_line("14.20", text="VIR MYSTERE", counterparty="M. DUPONT"),
        ]
    )

    response = client.post(
        "/banque/", {"file": SimpleUploadedFile("releve.xml", data)}, follow=True
    )

    assert response.status_code == 200
    text = response.content.decode()
    assert "Relevé importé : 2 ligne(s), dont 1 rapprochée(s) automatiquement." in text
    assert "VIR MYSTERE" in text and "M. DUPONT" in text
    again = client.post("/banque/", {"file": SimpleUploadedFile("releve.xml", data)})
    assert again.status_code == 400
    assert "Ce relevé a déjà été importé." in again.content.decode()
    junk = client.post("/banque/", {"file": SimpleUploadedFile("a.txt", b"bonjour")})
    assert "ni un relevé CAMT.053 ni un CFONB 120" in junk.content.decode()


def test_the_line_page_matches_by_hand(coordinator, romazy):
    shop, first, second = romazy
    line = import_lines([pay_line(second.total_incl_vat, text="VIR")]).lines.get()
    client = page_client(coordinator)

    shown = client.get(f"/banque/lignes/{line.pk}/", {"shop": shop.pk})
    assert shown.status_code == 200
    assert first.number in shown.content.decode() and second.number in shown.content.decode()

    response = client.post(f"/banque/lignes/{line.pk}/", {"shop": shop.pk, "invoices": [second.pk]})

    assert response.status_code == 302
    second.refresh_from_db()
    assert second.amount_due == 0
    line.refresh_from_db()
    assert line.status == BankLine.Status.MATCHED


def test_the_bank_pages_are_for_coordinators(shopkeeper, accountant, romazy):
    line = import_lines([pay_line("2.00")]).lines.get()
    for user in (shopkeeper, accountant):
        client = page_client(user)
        assert client.get("/banque/").status_code == 403
        assert client.get(f"/banque/lignes/{line.pk}/").status_code == 403


def test_invoice_ids_are_those_of_invoices(romazy):
    # Sanity of the fixture the tests rely on: two open invoices, the first due first.
    shop, first, second = romazy
    assert list(Invoice.objects.filter(shop=shop).order_by("due_on", "pk")) == [first, second]
