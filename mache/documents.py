"""Documents kept exactly as issued (docs/documents.md).

An issued document (invoice, credit note, purchase order, delivery note, monthly report,
yearly archive...) is rendered once, its bytes written to the configured storage and its
SHA-256 and size recorded in a `StoredDocument` row. Every later download serves those
bytes, after checking them against the hash: a document whose bytes changed or vanished
is refused (`DocumentAltered`, 409 `document_altered`), logged as an error and shown to
the coordinator (`altered_documents`), never rendered again in silence.

- `document_store(key=..., render=...)`: the row for `key`, rendering and storing the
  document the first time only. Idempotent, and safe when two processes store the same
  key at once: one row wins (the unique key), the loser's file is deleted and the
  winner's row returned.
- `document_bytes(document)`: the stored bytes, checked.
- `document_response(document, request)`: an HTTP response of those bytes, with an
  `ETag` equal to their SHA-256 (304 when the client has them); the API's views return
  it (an altered document: DocumentAltered, 409 through mache.errors).
- `document_page_response(document, request)`: the same for the pages, where an altered
  document answers the French error page (409).
- `documents_check()`: every stored document checked (the nightly task, `manage.py
  documents_check`).

Apps name their documents with keys "<kind>:<ids>" (see StoredDocument.key) and call
`document_store` when they issue one, or lazily from the download of a document issued
before this store existed (rendered then, once).
"""

import contextlib
import hashlib
import logging
import os
import uuid
from collections.abc import Callable
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.shortcuts import render as render_page
from django.utils import timezone
from django.utils.http import content_disposition_header

from .errors import BusinessRuleError
from .models import StoredDocument

log = logging.getLogger(__name__)

STALE_PART_SECONDS = 3600


class DocumentAltered(BusinessRuleError):
    code = "document_altered"
    default_detail = (
        "Ce document ne correspond plus à son empreinte d'émission : il n'est pas servi. "
        "La coordination est alertée."
    )


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def store_bytes(name: str, content: bytes) -> str:
    """Store `content` under a free name close to `name` in the configured storage, never
    leaving a partial file; returns the name used.

    On the local file system: a temporary ".part" file in the same folder, flushed to
    disk, then renamed (atomic). Other storages upload a whole object."""
    if not isinstance(default_storage, FileSystemStorage):
        return default_storage.save(name, ContentFile(content))
    final = default_storage.get_available_name(name)
    path = Path(default_storage.path(final))
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_parts(path.parent)
    part = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    with open(part, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(part, path)
    return final


def _remove_stale_parts(folder: Path) -> None:
    """Parts left by a process killed while writing (they never became a document)."""
    limit = timezone.now().timestamp() - STALE_PART_SECONDS
    for part in folder.glob(".*.part"):
        # Another process may rename its part into a document between the listing and here.
        with contextlib.suppress(FileNotFoundError):
            if part.stat().st_mtime < limit:
                part.unlink(missing_ok=True)


def document_get(key: str) -> StoredDocument | None:
    return StoredDocument.objects.filter(key=key).first()


def document_store(
    *,
    key: str,
    kind: str,
    filename: str,
    content_type: str,
    render: Callable[[], bytes],
    shop_id: int | None = None,
    folder: str | None = None,
) -> StoredDocument:
    """The stored document `key`; rendered by `render()` and stored the first time only.

    The bytes go to `documents/<folder or kind>/<yyyy>/<sha256[:16]>-<filename>`, then the
    row is inserted in a savepoint: when another process inserted the same key first
    (our INSERT waits for its transaction, then fails on the unique key), our file is
    deleted at once (no row names it) and its row is returned. The caller's transaction
    holds the row: a rollback leaves an orphan file, never a row without its file."""
    existing = document_get(key)
    if existing is not None:
        return existing
    content = render()
    digest = sha256_hex(content)
    name = store_bytes(
        f"documents/{folder or kind}/{timezone.now():%Y}/{digest[:16]}-{filename}", content
    )
    try:
        with transaction.atomic():
            document = StoredDocument.objects.create(
                key=key,
                kind=kind,
                name=name,
                filename=filename,
                content_type=content_type,
                sha256=digest,
                size=len(content),
                shop_id=shop_id,
            )
    except IntegrityError:
        winner = document_get(key)
        if winner is None:
            default_storage.delete(name)
            raise
        if winner.name != name:
            default_storage.delete(name)
        return winner
    return document


def _altered(document: StoredDocument, why: str) -> DocumentAltered:
    log.error(
        "document altéré : %s (%s, %s) : %s",
        document.key,
        document.name,
        document.sha256,
        why,
    )
    if document.altered_at is None:
        # A plain UPDATE of the one column the guard lets change. Views run in autocommit
        # (no ATOMIC_REQUESTS): the flag is committed at once, before the 409.
        document.altered_at = timezone.now()
        StoredDocument.objects.filter(pk=document.pk, altered_at__isnull=True).update(
            altered_at=document.altered_at
        )
    return DocumentAltered()


def document_bytes(document: StoredDocument) -> bytes:
    """The document's stored bytes, checked against its SHA-256 and size; DocumentAltered
    (and an alarm) when they no longer match or the file is gone. A document flagged
    altered whose bytes match again (restored) is served and its flag cleared."""
    try:
        with default_storage.open(document.name, "rb") as handle:
            content = handle.read()
    except (FileNotFoundError, OSError) as error:
        raise _altered(document, f"illisible ({error.__class__.__name__})") from error
    if len(content) != document.size or sha256_hex(content) != document.sha256:
        raise _altered(document, f"empreinte {sha256_hex(content)}, taille {len(content)}")
    if document.altered_at is not None:
        # Its bytes were put back (from a backup): they are the issued ones again, the
        # alarm ends.
        log.warning("document restauré : %s (%s)", document.key, document.name)
        StoredDocument.objects.filter(pk=document.pk).update(altered_at=None)
        document.altered_at = None
    return content


def document_response(
    document: StoredDocument, request=None, *, attachment: bool = False
) -> HttpResponse:
    """The stored bytes as a response: its content type, its file name, an ETag of its
    SHA-256. A client sending that ETag back in If-None-Match gets 304, once the stored
    bytes are checked: an altered document is refused (DocumentAltered) even to a client
    that holds a good copy, so that the alarm is raised whoever asks."""
    etag = f'"{document.sha256}"'
    content = document_bytes(document)
    if request is not None and _matches(request.headers.get("If-None-Match", ""), etag):
        response = HttpResponseNotModified()
        response["ETag"] = etag
        return response
    response = HttpResponse(content, content_type=document.content_type)
    # Django's header: a file name with accents, spaces or quotes (a shop's name) is
    # written as RFC 6266 asks, never as a broken quoted string.
    response["Content-Disposition"] = content_disposition_header(attachment, document.filename)
    response["ETag"] = etag
    return response


def _matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match holds `etag` (a list of tags, weak ones compared weakly, or "*")."""
    tags = [tag.strip() for tag in if_none_match.split(",") if tag.strip()]
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in tags)


def document_page_response(
    document: StoredDocument, request, *, attachment: bool = False
) -> HttpResponse:
    """document_response for the pages: an altered document answers the French error
    page with DocumentAltered's message, status 409 (logged and flagged the same)."""
    try:
        return document_response(document, request, attachment=attachment)
    except DocumentAltered as exc:
        return render_page(
            request,
            "mache/error.html",
            {"title": "Document altéré", "message": exc.detail},
            status=exc.status_code,
        )


def altered_documents():
    """The documents found altered, newest first (the coordinator's home page)."""
    return StoredDocument.objects.filter(altered_at__isnull=False).order_by("-altered_at")


def documents_check(*, batch: int = 500) -> dict:
    """Check every stored document's bytes (never renders one). {"checked", "altered":
    [keys]}; each altered one is logged and flagged (document_bytes)."""
    checked, altered = 0, []
    last = 0
    while True:
        documents = list(StoredDocument.objects.filter(pk__gt=last).order_by("pk")[:batch])
        if not documents:
            break
        for document in documents:
            checked += 1
            try:
                document_bytes(document)
            except DocumentAltered:
                altered.append(document.key)
        last = documents[-1].pk
    return {"checked": checked, "altered": altered}
