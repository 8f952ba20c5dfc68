"""Documents kept as issued (docs/documents.md, mache.documents): stored once, served
checked with their ETag, refused with an alarm when their bytes change or vanish,
never deleted nor changed (PostgreSQL refuses it), stored once when two processes race,
checked every night and by `manage.py documents_check`."""

import logging
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from mache.documents import (
    DocumentAltered,
    altered_documents,
    document_bytes,
    document_page_response,
    document_response,
    document_store,
    documents_check,
    sha256_hex,
)
from mache.models import StoredDocument
from mache.tasks import check_documents


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def store(key="invoice-pdf:1", content=b"%PDF-issued", **extra):
    calls = []

    def render():
        calls.append(key)
        return content

    document = document_store(
        key=key,
        kind=key.split(":", 1)[0],
        filename=extra.pop("filename", "MACHE-2026-000001.pdf"),
        content_type="application/pdf",
        render=render,
        **extra,
    )
    return document, calls


def request(**headers):
    return RequestFactory().get("/", headers=headers)


@pytest.mark.django_db
def test_a_document_is_rendered_once_and_served_as_stored(media):
    document, calls = store(shop_id=7)
    assert calls == ["invoice-pdf:1"]
    assert (document.kind, document.shop_id, document.size) == ("invoice-pdf", 7, 11)
    assert document.sha256 == sha256_hex(b"%PDF-issued")
    assert (media / document.name).read_bytes() == b"%PDF-issued"
    assert document.name.startswith(f"documents/invoice-pdf/{document.issued_at:%Y}/")
    again, calls = store(content=b"%PDF-other")
    assert calls == [] and again.pk == document.pk
    assert document_bytes(again) == b"%PDF-issued"
    response = document_response(again, request())
    assert response.status_code == 200 and response.content == b"%PDF-issued"
    assert response["ETag"] == f'"{document.sha256}"'
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="MACHE-2026-000001.pdf"'


@pytest.mark.django_db
def test_a_client_holding_the_bytes_gets_304(media):
    document, _ = store()
    etag = f'"{document.sha256}"'
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = document_response(document, request(if_none_match=header))
        assert response.status_code == 304, header
        assert response["ETag"] == etag and response.content == b""
    assert document_response(document, request(if_none_match='"other"')).status_code == 200


@pytest.mark.django_db
def test_a_name_with_accents_and_quotes_downloads_under_its_name(media):
    document, _ = store(key="report:1:1", filename='rapport "Épicerie".pdf')
    disposition = document_response(document, request(), attachment=True)["Content-Disposition"]
    assert disposition == "attachment; filename*=utf-8''rapport%20%22%C3%89picerie%22.pdf"


@pytest.mark.django_db
@pytest.mark.parametrize("harm", ["tampered", "deleted"])
def test_an_altered_document_is_refused_logged_and_flagged(media, caplog, harm):
    document, _ = store()
    path = media / document.name
    if harm == "tampered":
        path.write_bytes(b"%PDF-forged")
    else:
        path.unlink()
    with caplog.at_level(logging.ERROR, logger="mache.documents"):
        with pytest.raises(DocumentAltered) as refused:
            document_bytes(document)
    assert refused.value.code == "document_altered" and refused.value.status_code == 409
    [record] = caplog.records
    assert record.levelno == logging.ERROR and "invoice-pdf:1" in record.getMessage()
    assert list(altered_documents()) == [document]
    # A client holding the issued bytes is refused too: the alarm is raised whoever asks.
    with pytest.raises(DocumentAltered):
        document_response(document, request(if_none_match=f'"{document.sha256}"'))
    # Stored again? Never: the row stands, nothing is rendered.
    again, calls = store(content=b"%PDF-new")
    assert calls == [] and again.pk == document.pk
    assert not path.exists() or path.read_bytes() == b"%PDF-forged"


@pytest.mark.django_db
def test_the_pages_answer_the_french_409_page(media, caplog, coordinator):
    document, _ = store()
    (media / document.name).write_bytes(b"%PDF-forged")
    page = request()
    page.user = coordinator
    with caplog.at_level(logging.ERROR, logger="mache.documents"):
        response = document_page_response(document, page)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Document altéré" in html and "empreinte d&#x27;émission" in html
    assert 'lang="fr"' in html and 'href="/"' in html
    assert caplog.records


@pytest.mark.django_db
def test_a_restored_file_is_served_again_and_its_alarm_ends(media):
    document, _ = store()
    path = media / document.name
    path.write_bytes(b"%PDF-forged")
    with pytest.raises(DocumentAltered):
        document_bytes(document)
    path.write_bytes(b"%PDF-issued")  # back from a backup
    flagged = StoredDocument.objects.get(pk=document.pk)
    assert flagged.altered_at is not None
    assert document_bytes(flagged) == b"%PDF-issued"
    assert list(altered_documents()) == []


@pytest.mark.django_db
def test_postgresql_refuses_to_change_or_delete_an_issued_document(media):
    document, _ = store()
    for sql in (
        "UPDATE mache_storeddocument SET sha256 = 'x' WHERE id = %s",
        "UPDATE mache_storeddocument SET name = 'documents/other.pdf' WHERE id = %s",
        "UPDATE mache_storeddocument SET size = 1 WHERE id = %s",
        "DELETE FROM mache_storeddocument WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="document émis"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [document.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        StoredDocument.objects.filter(pk=document.pk).delete()
    # The one column that may change: the check that found it altered.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE mache_storeddocument SET altered_at = now() WHERE id = %s", [document.pk]
        )
    kept = StoredDocument.objects.get(pk=document.pk)
    assert (kept.sha256, kept.name, kept.size) == (document.sha256, document.name, document.size)


@pytest.mark.django_db(transaction=True)
def test_two_processes_storing_the_same_key_at_once_leave_one_row_and_one_file(media):
    """Each thread has its own database connection; both render before either inserts
    (the barrier), so both write a file and race on the unique key."""
    barrier = threading.Barrier(2, timeout=30)
    results, errors = {}, []

    def run(name: bytes):
        try:

            def render():
                barrier.wait()
                return b"%PDF-" + name

            results[name] = document_store(
                key="delivery-notes:9",
                kind="delivery-notes",
                filename="bons-de-livraison-9.pdf",
                content_type="application/pdf",
                render=render,
            )
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(name,)) for name in (b"one", b"two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    [row] = StoredDocument.objects.filter(key="delivery-notes:9")
    assert {document.pk for document in results.values()} == {row.pk}
    assert files_in(media) == [media / row.name]
    assert document_bytes(row) in (b"%PDF-one", b"%PDF-two")


@pytest.mark.django_db
def test_the_check_finds_every_altered_document(media, caplog):
    good, _ = store(key="invoice-pdf:1")
    forged, _ = store(key="invoice-xml:1", content=b"<xml/>", filename="MACHE-2026-000001.xml")
    gone, _ = store(key="purchase-order:3", content=b"%PDF-po", filename="bon.pdf")
    (media / forged.name).write_bytes(b"<xml>forged</xml>")
    (media / gone.name).unlink()
    with caplog.at_level(logging.ERROR, logger="mache.documents"):
        assert documents_check(batch=2) == {
            "checked": 3,
            "altered": ["invoice-xml:1", "purchase-order:3"],
        }
    assert len(caplog.records) == 2
    assert {d.key for d in altered_documents()} == {"invoice-xml:1", "purchase-order:3"}
    assert check_documents.run() == {"checked": 3, "altered": ["invoice-xml:1", "purchase-order:3"]}
    assert StoredDocument.objects.get(pk=good.pk).altered_at is None


@pytest.mark.django_db
def test_the_command_prints_the_count_and_exits_1_on_an_altered_document(media, capsys):
    document, _ = store()
    store(key="invoice-xml:1", content=b"<xml/>", filename="MACHE-2026-000001.xml")
    call_command("documents_check")
    assert "2 documents contrôlés, aucun altéré." in capsys.readouterr().out
    (media / document.name).write_bytes(b"%PDF-forged")
    with pytest.raises(SystemExit) as exit_:
        call_command("documents_check")
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "altéré : invoice-pdf:1" in err and "2 documents contrôlés, 1 altéré." in err


def test_the_check_runs_every_night(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["documents-check"]
    assert entry["task"] == check_documents.name == "mache.documents_check"
    assert entry["schedule"].hour == {2} and entry["schedule"].minute == {30}
