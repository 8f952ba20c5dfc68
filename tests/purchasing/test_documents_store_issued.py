"""`manage.py documents_store_issued` (docs/documents.md, "Upgrading"): the documents
issued before documents were stored are stored once, in batches, with progress; a second
run stores nothing; a document stored already is left as it is; one that fails to render
is logged, the others stored, and the exit status is 1."""

import io
import logging
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from mache.documents import document_bytes
from mache.models import StoredDocument
from purchasing import documents, facturx, pdf
from purchasing.models import SupplierOrder
from purchasing.services.credit_notes import credit_note_issue

from .distribution_helpers import distributed_round


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def world(db, media):
    """A received round (its invoices, purchase order and delivery notes) and a credit
    note, issued while no worker stored their documents (as before this feature)."""
    world = distributed_round()
    invoice = world["invoices"][world["romazy"].pk]
    world["note"] = credit_note_issue(
        invoice_id=invoice.pk,
        reason="Geste commercial",
        lines=[{"label": "Remise", "amount_excl_vat": D("1.00"), "vat_rate": D("5.50")}],
    )
    assert not StoredDocument.objects.exists()
    return world


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("documents_store_issued", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def expected_keys(world) -> set[str]:
    order = world["supplier_order"].pk
    return {
        *(f"invoice-{part}:{i.pk}" for i in world["invoices"].values() for part in ("pdf", "xml")),
        f"credit-note-pdf:{world['note'].pk}",
        f"credit-note-xml:{world['note'].pk}",
        f"purchase-order:{order}",
        *(f"delivery-note:{order}:{shop.pk}" for shop in world["tour"]),
        f"delivery-notes:{order}",
    }


def test_stores_what_was_issued_once_and_leaves_the_stored_ones(
    world, media, monkeypatch, django_assert_num_queries
):
    invoice = world["invoices"][world["romazy"].pk]
    kept = documents.invoice_pdf_document(invoice)
    kept_bytes = document_bytes(kept)
    with django_assert_num_queries(4):
        missing = documents.issued_documents_missing()
    # The invoice whose PDF is stored still lacks its XML.
    assert len(missing) == len(world["invoices"]) + 1 + 2

    out, err = run("--batch", "2")
    keys = expected_keys(world)
    stored_now = len(keys) - 1
    assert set(StoredDocument.objects.values_list("key", flat=True)) == keys
    lines = out.strip().splitlines()
    batches = (len(missing) + 1) // 2
    assert [line.split(" :")[0] for line in lines[:-1]] == [
        f"Lot {n}" for n in range(1, batches + 1)
    ]
    assert lines[0].startswith(f"Lot 1 : 2 sur {len(missing)} traités, ")
    assert lines[-2].endswith(f"{stored_now} documents conservés, 0 échec.")
    assert lines[-1] == f"Terminé : {stored_now} documents conservés."
    assert err == ""
    # The document stored before: the same row, the same file, the same bytes.
    assert StoredDocument.objects.get(key=kept.key) == kept
    assert StoredDocument.objects.get(key=kept.key).sha256 == kept.sha256
    assert (media / kept.name).read_bytes() == kept_bytes
    assert len([p for p in media.rglob("*") if p.is_file()]) == len(keys)

    # A second run: nothing to store, nothing drawn.
    def refuse(*args):
        raise AssertionError("an issued document is never drawn again")

    for name in ("invoice_pdf", "credit_note_pdf", "purchase_order_pdf", "delivery_notes_pdf"):
        monkeypatch.setattr(pdf, name, refuse)
    monkeypatch.setattr(facturx, "invoice_cii", refuse)
    monkeypatch.setattr(facturx, "credit_note_cii", refuse)
    out, err = run()
    assert out.strip() == "Aucun document à conserver : tous les documents émis le sont."
    assert StoredDocument.objects.count() == len(keys)


def test_a_draft_purchase_order_is_not_stored(db, media):
    world = distributed_round(receive=False)
    order = world["supplier_order"]
    SupplierOrder.objects.filter(pk=order.pk).update(status=SupplierOrder.Status.NEEDS_REVIEW)
    assert documents.issued_documents_missing() == []
    out, _ = run()
    assert "Aucun document" in out and not StoredDocument.objects.exists()


def test_a_document_that_fails_is_logged_and_the_others_stored(world, monkeypatch, caplog):
    def broken(credit_note, *args):
        raise RuntimeError("gabarit cassé")

    monkeypatch.setattr(pdf, "credit_note_pdf", broken)
    with caplog.at_level(logging.ERROR, logger="purchasing.documents"):
        with pytest.raises(SystemExit) as exit_:
            run("--batch", "50")
    assert exit_.value.code == 1
    assert any("credit-note" in r.getMessage() and r.exc_info for r in caplog.records)
    keys = expected_keys(world)
    note = world["note"]
    missing = {f"credit-note-pdf:{note.pk}", f"credit-note-xml:{note.pk}"}
    assert set(StoredDocument.objects.values_list("key", flat=True)) == keys - missing

    monkeypatch.undo()
    out, _ = run()
    assert out.strip().splitlines()[-1] == "Terminé : 2 documents conservés."
    assert set(StoredDocument.objects.values_list("key", flat=True)) == keys


@pytest.mark.parametrize("value", ["0", "-3", "beaucoup"])
def test_a_bad_batch_is_refused_and_nothing_stored(world, value):
    with pytest.raises(CommandError, match="--batch"):
        run("--batch", value)
    assert not StoredDocument.objects.exists()
