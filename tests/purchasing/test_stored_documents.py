"""Documents of pooled purchasing kept as issued (issue 19 point 1; docs/documents.md,
purchasing.documents): invoices (supplementary ones too) and credit notes in PDF and XML,
the purchase order, the delivery notes. Each is stored once, by the task its issue
enqueues or by its first download; every download serves the stored bytes with their
ETag, whatever the data or the renderer become; altered bytes are refused (409
`document_altered`, the French page), logged and shown to the coordinator, never drawn
again."""

import logging
from decimal import Decimal as D
from pathlib import Path

import facturx as factur_x
import pytest
from django.core import mail
from django.urls import get_resolver, reverse

from mache.documents import DocumentAltered, document_bytes, document_store, sha256_hex
from mache.models import OutboxMessage, StoredDocument
from purchasing import documents, facturx, pdf
from purchasing.models import SupplierOrder
from purchasing.services import notifications
from purchasing.services.credit_notes import credit_note_issue
from purchasing.services.einvoicing import einvoice_deposit
from purchasing.tasks import store_issued_document
from shops.models import Shop, User
from tests.factories import UserFactory
from tests.helpers import pdf_text

from .distribution_helpers import distributed_round
from .test_supplier_differences import received as received  # the fixture
from .test_supplier_differences import settle


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def world(db, media):
    return distributed_round()


@pytest.fixture
def coord(api, db):
    return api.as_user(UserFactory(role=User.Role.COORDINATOR))


def views_imported():
    """Every view imported before a renderer is replaced: a view importing a renderer by
    name (a working list, a draft) keeps the real one whatever this test patches."""
    get_resolver().url_patterns  # noqa: B018 (imports the URLconf and its views)


def renderer_replaced(monkeypatch, name, content=b"%PDF-drawn-by-another-renderer"):
    """The renderer `purchasing.pdf.<name>` replaced by one drawing other bytes; returns
    the list of the documents it was asked to draw."""
    views_imported()
    drawn = []

    def other(document, *args):
        drawn.append(document.pk)
        return content

    monkeypatch.setattr(pdf, name, other)
    return drawn


def never_drawn(monkeypatch):
    views_imported()

    def refuse(*args):
        raise AssertionError("an issued document is never drawn again")

    for name in ("invoice_pdf", "credit_note_pdf", "purchase_order_pdf", "delivery_notes_pdf"):
        monkeypatch.setattr(pdf, name, refuse)
    monkeypatch.setattr(facturx, "invoice_cii", refuse)
    monkeypatch.setattr(facturx, "credit_note_cii", refuse)


def issued_tasks() -> list[list]:
    return sorted(
        message.args
        for message in OutboxMessage.objects.filter(task_name="purchasing.document_store")
    )


# --- Issue = store ------------------------------------------------------------------------


def test_issuing_enqueues_one_store_task_per_document(world):
    supplier_order = world["supplier_order"]
    invoices = world["invoices"].values()
    # Consolidated at once (no minimum): the purchase order; received: the invoices and
    # the delivery notes. Nothing is drawn before a worker runs the tasks.
    assert issued_tasks() == sorted(
        [["purchase-order", supplier_order.pk], ["delivery-notes", supplier_order.pk]]
        + [["invoice", invoice.pk] for invoice in invoices]
    )
    assert not StoredDocument.objects.exists()
    invoice = world["invoices"][world["romazy"].pk]
    note = credit_note_issue(
        invoice_id=invoice.pk,
        reason="Geste commercial",
        lines=[{"label": "Remise", "amount_excl_vat": D("1.00"), "vat_rate": D("5.50")}],
    )
    assert ["credit-note", note.pk] in issued_tasks()


def test_the_task_stores_each_document_once_however_often_it_runs(world, media):
    supplier_order = world["supplier_order"]
    invoice = world["invoices"][world["romazy"].pk]
    for _ in range(2):  # a redelivered task (late acknowledgement)
        assert store_issued_document.run("invoice", invoice.pk)["documents"] == [
            f"invoice-pdf:{invoice.pk}",
            f"invoice-xml:{invoice.pk}",
        ]
        notes = store_issued_document.run("delivery-notes", supplier_order.pk)["documents"]
        store_issued_document.run("purchase-order", supplier_order.pk)
    shops = sorted(shop.pk for shop in world["tour"])
    assert notes == [f"delivery-note:{supplier_order.pk}:{pk}" for pk in shops] + [
        f"delivery-notes:{supplier_order.pk}"
    ]
    stored = {d.key: d for d in StoredDocument.objects.all()}
    assert len(stored) == 2 + 4 + 1
    assert len([p for p in media.rglob("*") if p.is_file()]) == len(stored)
    assert stored[f"invoice-pdf:{invoice.pk}"].shop_id == invoice.shop_id
    assert stored[f"invoice-xml:{invoice.pk}"].content_type == "application/xml"
    assert {stored[f"delivery-note:{supplier_order.pk}:{pk}"].shop_id for pk in shops} == set(shops)
    assert stored[f"delivery-notes:{supplier_order.pk}"].shop_id is None
    assert stored[f"purchase-order:{supplier_order.pk}"].shop_id is None
    assert stored[f"invoice-pdf:{invoice.pk}"].filename == f"{invoice.number}.pdf"
    # Something that is not there (rolled back), or no longer issued: nothing stored.
    assert store_issued_document.run("invoice", 999_999)["documents"] == []
    assert store_issued_document.run("credit-note", 999_999)["documents"] == []
    assert StoredDocument.objects.count() == len(stored)


def test_downloads_serve_what_the_task_stored(world, coord, client, monkeypatch):
    invoice = world["invoices"][world["romazy"].pk]
    store_issued_document.run("invoice", invoice.pk)
    pdf_doc, xml_doc = documents.invoice_documents(invoice)
    never_drawn(monkeypatch)
    response = coord.get(f"/api/invoices/{invoice.pk}/pdf/")
    assert response.status_code == 200 and response.content == document_bytes(pdf_doc)
    assert response["ETag"] == f'"{pdf_doc.sha256}"'
    assert response["Content-Disposition"] == f'inline; filename="{invoice.number}.pdf"'
    xml = coord.get(f"/api/invoices/{invoice.pk}/xml/")
    assert xml.content == document_bytes(xml_doc) and xml["Content-Type"] == "application/xml"
    # The XML stored is the one the stored PDF embeds (Factur-X).
    assert factur_x.get_xml_from_pdf(response.content, check_xsd=False)[1] == xml.content


def test_the_supplementary_invoices_are_stored_like_the_others(received, media):
    _, supplements = settle(received, {None: D("5.00")})
    assert supplements
    for invoice in supplements:
        assert ["invoice", invoice.pk] in issued_tasks()
    invoice = supplements[0]
    pdf_doc, xml_doc = documents.invoice_documents(invoice)
    assert (pdf_doc.key, xml_doc.key) == (f"invoice-pdf:{invoice.pk}", f"invoice-xml:{invoice.pk}")
    assert document_bytes(xml_doc) == facturx.invoice_cii(invoice)


# --- The same bytes every time --------------------------------------------------------------


def test_an_invoice_stays_as_issued_whatever_the_shop_or_the_renderer_become(
    world, coord, client, monkeypatch
):
    romazy = world["romazy"]
    invoice = world["invoices"][romazy.pk]
    first = coord.get(f"/api/invoices/{invoice.pk}/pdf/")
    first_xml = coord.get(f"/api/invoices/{invoice.pk}/xml/")
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    assert first["ETag"] == f'"{sha256_hex(first.content)}"'
    assert first_xml.content == facturx.invoice_cii(invoice)

    Shop.objects.filter(pk=romazy.pk).update(address="99 avenue Nouvelle", legal_name="Autre SAS")
    drawn = renderer_replaced(monkeypatch, "invoice_pdf")
    monkeypatch.setattr(facturx, "invoice_cii", lambda invoice: b"<autre/>")

    again = coord.get(f"/api/invoices/{invoice.pk}/pdf/")
    assert (again.content, again["ETag"]) == (first.content, first["ETag"])
    assert coord.get(f"/api/invoices/{invoice.pk}/xml/").content == first_xml.content
    client.force_login(UserFactory(role=User.Role.SHOPKEEPER, shops=[romazy]))
    page = client.get(reverse("shop-invoice-pdf", args=[invoice.pk]))
    assert (page.status_code, page.content, page["ETag"]) == (200, first.content, first["ETag"])
    assert drawn == []
    # The renderer of the day draws what was not stored yet, and only that: the
    # replacement above is the one in use.
    other = world["invoices"][world["sens"].pk]
    assert coord.get(f"/api/invoices/{other.pk}/pdf/").content == b"%PDF-drawn-by-another-renderer"
    assert drawn == [other.pk]


def test_a_client_holding_the_document_gets_304(world, coord):
    invoice = world["invoices"][world["romazy"].pk]
    etag = coord.get(f"/api/invoices/{invoice.pk}/pdf/")["ETag"]
    response = coord.get(f"/api/invoices/{invoice.pk}/pdf/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304 and response["ETag"] == etag
    assert (
        coord.get(f"/api/invoices/{invoice.pk}/pdf/", HTTP_IF_NONE_MATCH='"x"').status_code == 200
    )


def test_the_delivery_notes_stay_as_issued_when_a_shop_moves(world, coord, tmp_path, monkeypatch):
    supplier_order, romazy = world["supplier_order"], world["romazy"]
    url = f"/api/supplier-orders/{supplier_order.pk}/delivery-notes/"
    combined = coord.get(url)
    own = coord.get(f"{url}?shop={romazy.pk}")
    assert "3 rue de l'Église" in pdf_text(own.content, tmp_path)
    Shop.objects.filter(pk=romazy.pk).update(address="12 chemin du Moulin", name="Autre nom")
    drawn = renderer_replaced(monkeypatch, "delivery_notes_pdf")
    assert coord.get(url).content == combined.content
    again = coord.get(f"{url}?shop={romazy.pk}")
    assert (again.content, again["ETag"]) == (own.content, own["ETag"])
    assert drawn == []
    stored = StoredDocument.objects.get(key=f"delivery-note:{supplier_order.pk}:{romazy.pk}")
    assert (stored.kind, stored.shop_id) == ("delivery-note", romazy.pk)


def test_a_shopkeeper_of_several_shops_of_the_order_names_one(world, api):
    supplier_order, romazy, sens = world["supplier_order"], world["romazy"], world["sens"]
    url = f"/api/supplier-orders/{supplier_order.pk}/delivery-notes/"
    keeper = api.as_user(UserFactory(role=User.Role.SHOPKEEPER, shops=[romazy, sens]))
    response = keeper.get(url)
    assert response.status_code == 400 and list(response.json()) == ["shop"]
    assert not StoredDocument.objects.exists()
    assert keeper.get(f"{url}?shop={sens.pk}").status_code == 200
    assert StoredDocument.objects.get().key == f"delivery-note:{supplier_order.pk}:{sens.pk}"


def test_a_credit_note_stays_as_issued(world, coord, client, monkeypatch):
    invoice = world["invoices"][world["romazy"].pk]
    note = credit_note_issue(
        invoice_id=invoice.pk,
        reason="Geste commercial",
        lines=[{"label": "Remise", "amount_excl_vat": D("1.00"), "vat_rate": D("5.50")}],
    )
    first = coord.get(f"/api/credit-notes/{note.pk}/pdf/")
    first_xml = coord.get(f"/api/credit-notes/{note.pk}/xml/")
    assert first.status_code == 200 and first["ETag"] == f'"{sha256_hex(first.content)}"'
    assert first_xml.content == facturx.credit_note_cii(note)
    never_drawn(monkeypatch)
    assert coord.get(f"/api/credit-notes/{note.pk}/pdf/").content == first.content
    assert coord.get(f"/api/credit-notes/{note.pk}/xml/").content == first_xml.content
    client.force_login(UserFactory(role=User.Role.COORDINATOR))
    page = client.get(reverse("credit-note-pdf", args=[note.pk]))
    assert (page.status_code, page.content) == (200, first.content)
    pdf_doc, xml_doc = documents.credit_note_documents(note)
    assert (pdf_doc.key, xml_doc.key, pdf_doc.shop_id) == (
        f"credit-note-pdf:{note.pk}",
        f"credit-note-xml:{note.pk}",
        note.shop_id,
    )


# --- The purchase order -----------------------------------------------------------------------


def test_the_purchase_order_e_mailed_is_the_one_downloaded(db, media, coord, client, monkeypatch):
    world = distributed_round(receive=False)
    supplier_order = world["supplier_order"]
    assert supplier_order.status == SupplierOrder.Status.CONFIRMED
    assert notifications.purchase_order_to_supplier(supplier_order.pk) == 1
    [message] = mail.outbox
    [(filename, attached, content_type)] = message.attachments
    stored = StoredDocument.objects.get(key=f"purchase-order:{supplier_order.pk}")
    assert (filename, content_type) == (stored.filename, "application/pdf")
    assert attached == document_bytes(stored)
    never_drawn(monkeypatch)
    api = coord.get(f"/api/supplier-orders/{supplier_order.pk}/pdf/")
    assert (api.content, api["ETag"]) == (attached, f'"{stored.sha256}"')
    client.force_login(UserFactory(role=User.Role.COORDINATOR))
    page = client.get(reverse("coord-purchase-order-pdf", args=[world["round"].pk]))
    assert page.content == attached
    # The task that the confirmation enqueued finds it stored.
    assert store_issued_document.run("purchase-order", supplier_order.pk)["documents"] == [
        stored.key
    ]
    assert StoredDocument.objects.count() == 1


def test_an_altered_purchase_order_is_not_e_mailed_and_raises_the_alarm(
    db, media, caplog, monkeypatch
):
    """The e-mail task reads the stored purchase order before it locks the supplier order:
    an altered one is refused there, and its flag (the coordinator's alarm) is not undone
    by the rollback of the e-mail's transaction."""
    world = distributed_round(receive=False)
    supplier_order = world["supplier_order"]
    store_issued_document.run("purchase-order", supplier_order.pk)
    stored = StoredDocument.objects.get(key=f"purchase-order:{supplier_order.pk}")
    (media / stored.name).write_bytes(b"%PDF-forged")
    never_drawn(monkeypatch)
    with caplog.at_level(logging.ERROR, logger="mache.documents"), pytest.raises(DocumentAltered):
        notifications.purchase_order_to_supplier(supplier_order.pk)
    assert not mail.outbox
    assert any(stored.key in record.getMessage() for record in caplog.records)
    stored.refresh_from_db()
    assert stored.altered_at is not None
    supplier_order.refresh_from_db()
    assert supplier_order.sent_to_supplier_at is None


def test_a_purchase_order_in_review_is_a_draft_drawn_each_time(db, media, coord, tmp_path):
    world = distributed_round(receive=False)
    supplier_order = world["supplier_order"]
    SupplierOrder.objects.filter(pk=supplier_order.pk).update(
        status=SupplierOrder.Status.NEEDS_REVIEW
    )
    response = coord.get(f"/api/supplier-orders/{supplier_order.pk}/pdf/")
    assert response.status_code == 200 and "ETag" not in response
    assert "À valider" in pdf_text(response.content, tmp_path)
    assert store_issued_document.run("purchase-order", supplier_order.pk)["documents"] == []
    assert not StoredDocument.objects.exists()


# --- The e-invoice deposit -----------------------------------------------------------------------


def test_the_platform_receives_the_stored_bytes(world, settings, tmp_path, monkeypatch):
    settings.EINVOICE_PLATFORM = "folder"
    settings.EINVOICE_OUTBOX_DIR = tmp_path / "outbox"
    settings.EINVOICE_INBOX_DIR = tmp_path / "inbox"
    invoice = world["invoices"][world["romazy"].pk]
    stored = documents.invoice_pdf_document(invoice)
    never_drawn(monkeypatch)
    einvoice_deposit(kind="invoice", document_id=invoice.pk)
    deposited = (tmp_path / "outbox" / f"{invoice.number}.pdf").read_bytes()
    assert deposited == document_bytes(stored)


# --- Altered bytes --------------------------------------------------------------------------------


@pytest.mark.parametrize("harm", ["tampered", "deleted"])
def test_an_altered_invoice_is_refused_logged_shown_and_never_drawn_again(
    world, coord, client, media, caplog, monkeypatch, harm
):
    romazy = world["romazy"]
    invoice = world["invoices"][romazy.pk]
    assert coord.get(f"/api/invoices/{invoice.pk}/pdf/").status_code == 200
    stored = StoredDocument.objects.get(key=f"invoice-pdf:{invoice.pk}")
    if harm == "tampered":
        (media / stored.name).write_bytes(b"%PDF-forged")
    else:
        (media / stored.name).unlink()
    never_drawn(monkeypatch)

    with caplog.at_level(logging.ERROR, logger="mache.documents"):
        response = coord.get(f"/api/invoices/{invoice.pk}/pdf/")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "document_altered" and "empreinte" in body["detail"]
    assert any(stored.key in record.getMessage() for record in caplog.records)
    # The pages: the French error page, 409.
    client.force_login(UserFactory(role=User.Role.SHOPKEEPER, shops=[romazy]))
    page = client.get(reverse("shop-invoice-pdf", args=[invoice.pk]))
    assert page.status_code == 409
    assert "Document altéré" in page.content.decode() and 'lang="fr"' in page.content.decode()
    # The coordinator's home page raises the alarm.
    client.force_login(UserFactory(role=User.Role.COORDINATOR))
    home = client.get("/coordination/").content.decode()
    assert "Documents altérés : 1" in home and f"{invoice.number}.pdf" in home
    assert 'role="alert"' in home
    assert list(StoredDocument.objects.filter(altered_at__isnull=False)) == [stored]


def test_the_coordinator_home_stays_within_its_queries_with_many_altered_documents(
    db, media, client, django_assert_max_num_queries
):
    client.force_login(UserFactory(role=User.Role.COORDINATOR))
    for n in range(15):
        document = document_store(
            key=f"invoice-pdf:{n}",
            kind="invoice-pdf",
            filename=f"MACHE-2026-{n:06d}.pdf",
            content_type="application/pdf",
            render=lambda n=n: b"%PDF-" + str(n).encode(),
        )
        (media / document.name).unlink()
        with pytest.raises(DocumentAltered):
            document_bytes(document)
    with django_assert_max_num_queries(12):
        home = client.get("/coordination/").content.decode()
    assert "Documents altérés : 15" in home
    assert home.count("MACHE-2026-0000") == 10  # ten named, all counted
