"""The e-invoicing lifecycle and the folder platform (docs/e-invoicing.md, "Lifecycle and
the platform"): the rules alone, the deposit on issue (once), the inbox's status files
(good, bad, unknown, twice), `paid` following the money, the pages, the API and its
tenancy. The deposit by a real worker: tests/worker/test_einvoice_worker.py."""

import json
import re
from decimal import Decimal

import pytest

from mache.models import OutboxMessage
from payments.services.payments import payment_cancel, payment_record
from purchasing import einvoice_rules as rules
from purchasing.einvoice_rules import BadStatusFile, document_status, status_file_parse
from purchasing.models import EInvoiceEvent, Invoice
from purchasing.platform import OutgoingDocument, platform_get
from purchasing.platform.folder import FolderPlatform
from purchasing.selectors import with_einvoice_status
from purchasing.services.credit_notes import credit_note_issue
from purchasing.services.einvoicing import (
    deposit_einvoice,
    einvoice_deposit,
    einvoice_statuses_fetch,
    fetch_einvoice_statuses,
)
from shops.models import User
from tests.factories import ShopFactory, UserFactory
from tests.factories.purchasing import received_round
from tests.helpers import text_of

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def folders(settings, tmp_path):
    settings.EINVOICE_PLATFORM = "folder"
    settings.EINVOICE_OUTBOX_DIR = tmp_path / "outbox"
    settings.EINVOICE_INBOX_DIR = tmp_path / "inbox"
    return settings.EINVOICE_OUTBOX_DIR, settings.EINVOICE_INBOX_DIR


@pytest.fixture
def world(folders):
    """Two shops with one invoice each, and their shopkeepers."""
    mine, theirs = ShopFactory(name="Épicerie de Romazy"), ShopFactory(name="Boucherie d'à côté")
    invoices = received_round({mine: 12, theirs: 6})
    return {
        "shop": mine,
        "other": theirs,
        "invoice": invoices[mine.pk],
        "other_invoice": invoices[theirs.pk],
        "keeper": UserFactory(role=User.Role.SHOPKEEPER, shops=[mine]),
        "other_keeper": UserFactory(role=User.Role.SHOPKEEPER, shops=[theirs]),
    }


def drop(inbox, name, payload):
    inbox.mkdir(parents=True, exist_ok=True)
    body = payload if isinstance(payload, bytes | str) else json.dumps(payload)
    path = inbox / name
    (path.write_bytes if isinstance(body, bytes) else path.write_text)(body)
    return path


def status_of(document):
    return with_einvoice_status(type(document).objects.filter(pk=document.pk)).get().einvoice_status


def visible(response) -> str:
    """The page's text, tags dropped, whitespace collapsed."""
    assert response.status_code == 200
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text_of(response)))


def files(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- The rules alone --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "paid", "expected"),
    [
        ([], False, "issued"),
        (["deposited"], False, "deposited"),
        (["deposited", "rejected"], False, "rejected"),
        (["deposited", "refused", "approved"], False, "approved"),
        # A deposit recorded late (its task retried) does not hide what the platform said.
        (["approved", "deposited"], False, "approved"),
        (["deposited", "refused"], True, "paid"),
        ([], True, "paid"),
    ],
)
def test_the_current_status(events, paid, expected):
    assert document_status(events=events, paid=paid) == expected


def test_paid_follows_the_money():
    assert rules.invoice_paid(total=D("10.00"), paid=D("10.00"), credited=D("0"))
    assert rules.invoice_paid(total=D("10.00"), paid=D("4.00"), credited=D("6.00"))
    assert not rules.invoice_paid(total=D("10.00"), paid=D("9.99"), credited=D("0"))
    # Cancelled by credit notes alone: no money came in.
    assert not rules.invoice_paid(total=D("10.00"), paid=D("0"), credited=D("10.00"))
    assert rules.credit_note_paid(total=D("5.00"), applied=D("5.00"))
    assert not rules.credit_note_paid(total=D("5.00"), applied=D("2.00"))


def test_a_good_status_file():
    parsed = status_file_parse(b'{"document": " MACHE-2026-000001 ", "status": "approved"}')
    assert (parsed.document, parsed.status, parsed.reason) == ("MACHE-2026-000001", "approved", "")
    parsed = status_file_parse(
        json.dumps({"document": "X", "status": "refused", "reason": "Prix faux", "at": 1}).encode()
    )
    assert (parsed.status, parsed.reason) == ("refused", "Prix faux")


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"{not json", "JSON illisible"),
        (b"\xff\xfe", "JSON illisible"),
        (b'["MACHE-2026-000001"]', "objet JSON"),
        (b'{"status": "approved"}', "« document » manquant"),
        (b'{"document": "", "status": "approved"}', "« document » manquant"),
        (b'{"document": 12, "status": "approved"}', "« document » manquant"),
        (b'{"document": "X", "status": "paid"}', "« status » invalide"),
        (b'{"document": "X"}', "« status » invalide"),
        (b'{"document": "X", "status": "rejected"}', "« reason » obligatoire"),
        (b'{"document": "X", "status": "refused", "reason": "  "}', "« reason » obligatoire"),
        (b'{"document": "X", "status": "approved", "reason": 3}', "« reason » doit"),
        (b'{"document": "X", "status": "rejected", "reason": "' + b"x" * 501 + b'"}', "trop long"),
        (b" " * (65 * 1024), "trop gros"),
    ],
)
def test_a_bad_status_file_says_why(raw, says):
    with pytest.raises(BadStatusFile, match=says):
        status_file_parse(raw)


# --- The folder platform ----------------------------------------------------------------


def test_the_platform_is_chosen_by_the_settings(settings, folders):
    platform = platform_get()
    assert isinstance(platform, FolderPlatform)
    assert (platform.outbox, platform.inbox) == folders
    settings.EINVOICE_PLATFORM = ""
    assert platform_get() is None


def test_the_outbox_takes_a_document_once_whole(folders):
    outbox, _ = folders
    platform = platform_get()
    for pdf in (b"%PDF-first", b"%PDF-second"):
        assert platform.send(OutgoingDocument("invoice", "MACHE-2026-000001", pdf)) == (
            "MACHE-2026-000001.pdf"
        )
    # One file, the latest bytes, no temporary file left behind.
    assert files(outbox) == ["MACHE-2026-000001.pdf"]
    assert (outbox / "MACHE-2026-000001.pdf").read_bytes() == b"%PDF-second"
    with pytest.raises(ValueError):
        platform.send(OutgoingDocument("invoice", "../etc/passwd", b"%PDF"))


# --- Deposit on issue -------------------------------------------------------------------


def test_issuing_queues_one_deposit_per_document(world):
    queued = OutboxMessage.objects.filter(task_name="purchasing.einvoice_deposit")
    assert sorted(message.args for message in queued) == sorted(
        [["invoice", world["invoice"].pk], ["invoice", world["other_invoice"].pk]]
    )
    note = credit_note_issue(
        invoice_id=world["invoice"].pk,
        reason="Geste commercial",
        lines=[{"label": "Remise", "amount_excl_vat": D("1.00"), "vat_rate": D("5.50")}],
    )
    assert queued.filter(args=["credit_note", note.pk]).count() == 1
    # Nothing is deposited before the worker runs the task; the note, wholly taken off
    # its invoice's amount due, is settled (`paid`) at once.
    assert status_of(world["invoice"]) == "issued"
    assert status_of(note) == "paid"


def test_no_platform_no_deposit(settings, db):
    settings.EINVOICE_PLATFORM = ""
    received_round({ShopFactory(): 6})
    assert not OutboxMessage.objects.filter(task_name="purchasing.einvoice_deposit").exists()
    assert einvoice_statuses_fetch() == {"recorded": 0, "already": 0, "refused": 0, "failed": 0}


def test_the_deposit_puts_the_factur_x_in_the_outbox_once(world, folders):
    outbox, _ = folders
    invoice = world["invoice"]
    result = deposit_einvoice.run("invoice", invoice.pk)
    assert result == {
        "kind": "invoice",
        "document": invoice.pk,
        "reference": f"{invoice.number}.pdf",
    }
    deposited = outbox / f"{invoice.number}.pdf"
    assert deposited.read_bytes().startswith(b"%PDF")
    assert status_of(invoice) == "deposited"
    # The task again (late acknowledgement, the outbox sending twice): nothing more.
    before = deposited.stat().st_mtime_ns
    deposit_einvoice.run("invoice", invoice.pk)
    einvoice_deposit(kind="invoice", document_id=invoice.pk)
    assert files(outbox) == [f"{invoice.number}.pdf"]
    assert deposited.stat().st_mtime_ns == before
    assert invoice.einvoice_events.count() == 1


def test_a_credit_note_is_deposited_too(world, folders):
    outbox, _ = folders
    note = credit_note_issue(
        invoice_id=world["invoice"].pk,
        reason="Geste commercial",
        lines=[{"label": "Remise", "amount_excl_vat": D("1.00"), "vat_rate": D("5.50")}],
    )
    # Wholly taken off the invoice's amount due: settled (`paid`) at once.
    assert note.applied == note.total_incl_vat
    assert status_of(note) == "paid"
    einvoice_deposit(kind="credit_note", document_id=note.pk)
    assert (outbox / f"{note.number}.pdf").read_bytes().startswith(b"%PDF")
    assert list(note.einvoice_events.values_list("status", flat=True)) == ["deposited"]


def test_a_document_gone_is_not_deposited(folders, db):
    assert einvoice_deposit(kind="invoice", document_id=999_999) is None
    assert files(folders[0]) == []


# --- The inbox --------------------------------------------------------------------------


def test_status_files_update_the_documents(world, folders):
    _, inbox = folders
    invoice, other = world["invoice"], world["other_invoice"]
    einvoice_deposit(kind="invoice", document_id=invoice.pk)
    drop(inbox, "1.json", {"document": invoice.number, "status": "rejected", "reason": "BR-FR-01"})
    drop(inbox, "2.json", {"document": other.number, "status": "refused", "reason": "Prix faux"})
    assert fetch_einvoice_statuses.run() == {
        "recorded": 2,
        "already": 0,
        "refused": 0,
        "failed": 0,
    }
    assert (status_of(invoice), status_of(other)) == ("rejected", "refused")
    assert invoice.einvoice_events.get(status="rejected").detail == "BR-FR-01"
    assert other.einvoice_events.get().detail == "Prix faux"
    assert files(inbox) == ["processed"]
    assert files(inbox / "processed") == ["1.json", "2.json"]

    drop(inbox, "1.json", {"document": invoice.number, "status": "approved"})
    assert einvoice_statuses_fetch()["recorded"] == 1
    assert status_of(invoice) == "approved"
    # A file name used again is kept apart, not overwritten.
    assert files(inbox / "processed") == ["1-2.json", "1.json", "2.json"]
    assert list(invoice.einvoice_events.values_list("status", flat=True)) == [
        "deposited",
        "rejected",
        "approved",
    ]


def test_a_credit_note_status_file(world, folders):
    _, inbox = folders
    payment_record(
        shop=world["shop"],
        date=world["invoice"].issued_on,
        amount=world["invoice"].total_incl_vat,
        method="transfer",
    )
    # On a paid invoice: the note goes to the shop's credit, it keeps its platform status.
    note = credit_note_issue(
        invoice_id=world["invoice"].pk,
        reason="Geste commercial",
        lines=[{"label": "Remise", "amount_excl_vat": D("1.00"), "vat_rate": D("5.50")}],
    )
    assert note.applied == 0
    drop(inbox, "n.json", {"document": note.number, "status": "approved"})
    einvoice_statuses_fetch()
    assert status_of(note) == "approved"


def test_a_bad_status_file_is_set_aside_with_its_reason(world, folders):
    _, inbox = folders
    invoice = world["invoice"]
    drop(inbox, "a-bad.json", b"{not json")
    drop(inbox, "b-bad.json", {"document": invoice.number, "status": "rejected"})
    drop(inbox, "c-good.json", {"document": invoice.number, "status": "approved"})
    drop(inbox, ".d-being-written.json", b"{")
    drop(inbox, "e-not-json.txt", b"ignored")
    counts = fetch_einvoice_statuses.run()
    assert counts["recorded"] == 1
    assert status_of(invoice) == "approved"
    failed = inbox / "failed"
    assert files(failed) == [
        "a-bad.json",
        "a-bad.json.reason.txt",
        "b-bad.json",
        "b-bad.json.reason.txt",
    ]
    assert "JSON illisible" in (failed / "a-bad.json.reason.txt").read_text()
    assert "« reason » obligatoire" in (failed / "b-bad.json.reason.txt").read_text()
    # Files not yet whole (dot-names) and other files are left where they are.
    assert files(inbox) == [".d-being-written.json", "e-not-json.txt", "failed", "processed"]


def test_a_status_file_naming_no_document_is_set_aside(world, folders):
    _, inbox = folders
    drop(inbox, "x.json", {"document": "MACHE-1999-000042", "status": "approved"})
    assert einvoice_statuses_fetch()["refused"] == 1
    reason = (inbox / "failed" / "x.json.reason.txt").read_text()
    assert "document inconnu : MACHE-1999-000042" in reason
    assert not EInvoiceEvent.objects.exists()


def test_the_same_status_file_twice_is_recorded_once(world, folders):
    _, inbox = folders
    payload = {"document": world["invoice"].number, "status": "approved"}
    drop(inbox, "s.json", payload)
    einvoice_statuses_fetch()
    # As if the worker had died after recording it, before moving the file.
    drop(inbox, "s.json", payload)
    assert einvoice_statuses_fetch() == {"recorded": 0, "already": 1, "refused": 0, "failed": 0}
    assert world["invoice"].einvoice_events.count() == 1
    assert files(inbox / "processed") == ["s-2.json", "s.json"]


def test_one_update_that_fails_does_not_stop_the_others(world, folders, monkeypatch):
    _, inbox = folders
    drop(inbox, "1.json", {"document": world["invoice"].number, "status": "approved"})
    drop(inbox, "2.json", {"document": world["other_invoice"].number, "status": "approved"})
    real_done = FolderPlatform.done

    def done(self, update):
        if update.document == world["invoice"].number:
            raise OSError("disk full")
        real_done(self, update)

    monkeypatch.setattr(FolderPlatform, "done", done)
    assert einvoice_statuses_fetch()["failed"] == 1
    assert status_of(world["other_invoice"]) == "approved"
    # Left in the inbox for the next fetch, which records nothing twice.
    assert files(inbox) == ["1.json", "processed"]
    monkeypatch.setattr(FolderPlatform, "done", real_done)
    assert einvoice_statuses_fetch()["already"] == 1
    assert files(inbox) == ["processed"]


# --- Paid follows the money ---------------------------------------------------------------


def test_an_invoice_settled_by_a_payment_is_paid_until_the_payment_is_cancelled(world):
    invoice = world["invoice"]
    einvoice_deposit(kind="invoice", document_id=invoice.pk)
    half = (invoice.total_incl_vat / 2).quantize(D("0.01"))
    payment_record(shop=world["shop"], date=invoice.issued_on, amount=half, method="transfer")
    assert status_of(invoice) == "deposited"
    payment = payment_record(
        shop=world["shop"],
        date=invoice.issued_on,
        amount=invoice.total_incl_vat - half,
        method="cheque",
    )
    assert status_of(invoice) == "paid"
    payment_cancel(payment=payment, reason="Chèque impayé")
    assert status_of(invoice) == "deposited"


def test_an_invoice_cancelled_by_a_credit_note_is_not_paid(world):
    invoice = world["invoice"]
    credit_note_issue(
        invoice_id=invoice.pk,
        reason="Tournée annulée",
        lines=[
            {"invoice_line": line.pk, "quantity": line.quantity}
            for line in invoice.lines.filter(product__isnull=False)
        ]
        + [
            {"label": line.label, "amount_excl_vat": line.amount, "vat_rate": line.vat_rate}
            for line in invoice.lines.filter(product__isnull=True)
        ],
    )
    invoice.refresh_from_db()
    assert invoice.amount_due == 0
    assert invoice.status_on(invoice.issued_on) == "credited"
    assert status_of(invoice) == "issued"


def test_the_sql_status_is_the_rule(world, folders):
    _, inbox = folders
    invoice, other = world["invoice"], world["other_invoice"]
    extra = received_round({world["shop"]: 6})[world["shop"].pk]
    einvoice_deposit(kind="invoice", document_id=invoice.pk)
    einvoice_deposit(kind="invoice", document_id=other.pk)
    drop(inbox, "1.json", {"document": other.number, "status": "refused", "reason": "Non"})
    drop(inbox, "2.json", {"document": extra.number, "status": "approved"})
    einvoice_statuses_fetch()
    # A deposit recorded after the platform's answer (its task retried).
    einvoice_deposit(kind="invoice", document_id=extra.pk)
    payment_record(
        shop=world["shop"], date=invoice.issued_on, amount=invoice.total_incl_vat, method="cash"
    )
    for row in with_einvoice_status(Invoice.objects.all()):
        expected = document_status(
            events=list(row.einvoice_events.order_by("at", "id").values_list("status", flat=True)),
            paid=rules.invoice_paid(
                total=row.total_incl_vat, paid=row.amount_paid, credited=row.amount_credited
            ),
        )
        assert row.einvoice_status == expected
    assert [status_of(i) for i in (invoice, other, extra)] == ["paid", "refused", "approved"]


# --- Pages, API, tenancy ----------------------------------------------------------------


def test_the_pages_show_the_status_and_its_history(world, folders, client):
    _, inbox = folders
    invoice = world["invoice"]
    einvoice_deposit(kind="invoice", document_id=invoice.pk)
    drop(inbox, "r.json", {"document": invoice.number, "status": "rejected", "reason": "BR-FR-12"})
    einvoice_statuses_fetch()
    note = credit_note_issue(
        invoice_id=invoice.pk,
        reason="Geste commercial",
        lines=[{"label": "Remise", "amount_excl_vat": D("1.00"), "vat_rate": D("5.50")}],
    )

    client.force_login(world["keeper"])
    listing = visible(client.get("/factures/"))
    assert "Facture électronique : Rejetée par la plateforme" in listing
    detail = visible(client.get(f"/factures/{invoice.pk}/"))
    assert "Facture électronique : Rejetée par la plateforme" in detail
    assert "Déposée" in detail and "BR-FR-12" in detail and f"{invoice.number}.pdf" in detail
    assert "Facture électronique : Réglé" in visible(client.get(f"/avoirs/{note.pk}/"))
    assert "Facture électronique : Réglé" in visible(client.get("/avoirs/"))
    # Another shop's invoice stays out of sight, its history with it.
    assert client.get(f"/factures/{world['other_invoice'].pk}/").status_code == 404

    coordinator = UserFactory(role=User.Role.COORDINATOR)
    client.force_login(coordinator)
    coord = visible(client.get(f"/coordination/factures/{invoice.pk}/"))
    assert "Facture électronique : Rejetée par la plateforme" in coord
    assert "BR-FR-12" in coord
    round_page = visible(client.get(f"/coordination/tournees/{invoice.round_id}/"))
    assert "Rejetée par la plateforme" in round_page and "Émise" in round_page


def test_the_api_gives_the_status_scoped(world, folders, api, django_assert_num_queries):
    _, inbox = folders
    invoice, other = world["invoice"], world["other_invoice"]
    drop(inbox, "1.json", {"document": invoice.number, "status": "refused", "reason": "Non"})
    drop(inbox, "2.json", {"document": other.number, "status": "approved"})
    einvoice_statuses_fetch()
    note = credit_note_issue(
        invoice_id=other.pk,
        reason="Geste commercial",
        lines=[{"label": "Remise", "amount_excl_vat": D("1.00"), "vat_rate": D("5.50")}],
    )

    client = api.as_user(world["keeper"])
    client.get("/api/invoices/")  # the token's first use
    with django_assert_num_queries(5):  # token, count, page, lines, vat: as before
        body = client.get("/api/invoices/").json()
    assert [(row["number"], row["einvoice_status"], row["status"]) for row in body["results"]] == [
        (invoice.number, "refused", "open")
    ]
    assert client.get("/api/invoices/", {"einvoice_status": "approved"}).json()["count"] == 0
    bad = client.get("/api/invoices/", {"einvoice_status": "lost"})
    assert bad.status_code == 400 and "einvoice_status" in bad.json()
    assert client.get(f"/api/invoices/{other.pk}/").status_code == 404
    assert client.get("/api/credit-notes/").json()["count"] == 0

    client = api.as_user(world["other_keeper"])
    assert client.get(f"/api/invoices/{other.pk}/").json()["einvoice_status"] == "approved"
    assert client.get(f"/api/credit-notes/{note.pk}/").json()["einvoice_status"] == "paid"
    coordinator = UserFactory(role=User.Role.COORDINATOR)
    rows = api.as_user(coordinator).get("/api/invoices/", {"einvoice_status": "refused"}).json()
    assert [row["id"] for row in rows["results"]] == [invoice.pk]


def test_the_fetch_runs_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["einvoice-fetch"]
    assert entry == {"task": fetch_einvoice_statuses.name, "schedule": 60.0}
    assert deposit_einvoice.name == "purchasing.einvoice_deposit"
