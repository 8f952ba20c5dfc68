"""The yearly archive of a ledger (docs/archive.md): one ZIP per ledger and fiscal year
holding what the law asks a business to keep for ten years, each file as it was issued,
and a `manifest.json` listing every file with its SHA-256 and size.

- `archive_year(user=, ledger=, year=)`: the fiscal year to archive, or the refusal
  (403 for a shopkeeper, 404 for a year the ledger never had); the caller found the
  ledger through `accounting.selectors.ledger_for`, so tenancy decided first.
- A closed year's archive never changes: `archive_document` builds it once
  (`archive_build`, to a temporary file) and keeps it as a stored document
  (mache.documents, key "archive:<ledger id>:<year>"); later requests serve those bytes.
- An open year's archive is built at each request and streamed (`archive_stream`): the
  ZIP is written to a non-seekable pipe and handed out in chunks of `BUFFER_BYTES`, so
  that the FEC, read from a server-side cursor, is never whole in memory.

The files come from the code that serves them one by one: the FEC and its description
(accounting.fec), the statements and their renderers (accounting.statements,
accounting.renderers, named as /api/statements/ names them), and the invoices and
credit notes as stored when issued (purchasing.documents, `_issued_bytes`).
"""

import hashlib
import json
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.http import Http404
from django.utils import timezone

from accounting.apis.statements import statement_filename
from accounting.fec import fec_description, fec_stream
from accounting.fiscal_calendar import Span, span_named
from accounting.models import FiscalYear, Ledger
from accounting.renderers import FORMATS
from accounting.selectors import COOP
from accounting.statements import general_ledger, journal_statement, trial_balance
from mache.documents import document_bytes, document_get, document_store
from mache.errors import NotAllowed
from mache.models import StoredDocument
from mache.periods import PARIS, paris_today
from mache.permissions import BOOKS_ROLES, role_of
from purchasing.documents import credit_note_documents, invoice_documents
from purchasing.models import CreditNote, Invoice
from shops.dates import earliest_date

KIND = "archive"
CONTENT_TYPE = "application/zip"
MANIFEST = "manifest.json"
# What the stream hands to the web server at a time (the ZIP waits in a buffer that size).
BUFFER_BYTES = 256 * 1024
# The statements of the year, each in these formats (docs/archive.md).
STATEMENTS = (trial_balance, general_ledger, journal_statement)
STATEMENT_FORMATS = ("pdf", "csv")
STATEMENTS_FOLDER = "etats"
INVOICES_FOLDER = "factures"
CREDIT_NOTES_FOLDER = "avoirs"


@dataclass(frozen=True)
class ArchiveYear:
    """A ledger's fiscal year to archive: `span` as accounting.fiscal_calendar names it."""

    ledger: Ledger
    span: Span

    @property
    def year(self) -> int:
        return self.span.name

    @property
    def closed(self) -> bool:
        return self.span.closed

    @property
    def key(self) -> str:
        return f"{KIND}:{self.ledger.pk}:{self.year}"

    @property
    def shop(self) -> int | str:
        return self.ledger.shop_id or COOP


def may_archive(user) -> bool:
    """The archive is the books' people's: coordinators and accountants (docs/archive.md)."""
    return role_of(user) in BOOKS_ROLES


def archive_year(*, user, ledger: Ledger, year: int) -> ArchiveYear:
    """The fiscal year `year` (named by its closing, docs/fiscal-years.md) of `ledger`,
    which the caller found through `ledger_for` (a ledger `user` may see).

    NotAllowed (403) for a shopkeeper: the archive is the books' people's. Http404 for a
    year the ledger never had: one that ended before its first day (the shop's joining,
    the cooperative's founding, or its first stored year if earlier) or starts after
    today. Two queries at most; nothing written."""
    if not may_archive(user):
        raise NotAllowed("L'archive annuelle est réservée à la coordination et au comptable.")
    years = list(FiscalYear.objects.filter(ledger=ledger).order_by("start"))
    span = span_named(year, years)
    first_day, _ = earliest_date(ledger.shop if ledger.shop_id else None)
    if years:
        first_day = min(first_day, years[0].start)
    if span.end < first_day or span.start > paris_today():
        raise Http404
    return ArchiveYear(ledger, span)


# --- Building ---------------------------------------------------------------------------


def archive_filename(target: ArchiveYear, fec_name: str) -> str:
    """`archive-<SIREN>-<year>.zip`: the SIREN that names the year's FEC."""
    siren = fec_name.partition("FEC")[0]
    return f"archive-{siren}-{target.year}.zip"


def archive_stream(target: ArchiveYear) -> tuple[str, Iterator[bytes]]:
    """(file name, chunks) of the archive, built while it is sent (an open year).

    What refuses the archive (no SIRET: 409 `cooperative_missing`, from `fec_stream`)
    does so here, before the first byte; the rest is read as the chunks are taken."""
    fec_name, fec_chunks = fec_stream(ledger=target.ledger, year=target.year)
    _issued_checked(target)
    return archive_filename(target, fec_name), _streamed(target, fec_name, fec_chunks)


def archive_build(target: ArchiveYear, out) -> str:
    """Write the archive to the binary file `out` (seekable or not); returns its name."""
    fec_name, fec_chunks = fec_stream(ledger=target.ledger, year=target.year)
    for _ in _zip_parts(out, target, _files(target, fec_name, fec_chunks)):
        pass
    return archive_filename(target, fec_name)


def archive_document(target: ArchiveYear) -> StoredDocument:
    """The stored archive of a closed year: built (`archive_build`) and stored the first
    time only. The ZIP is built to a temporary file, then stored whole (document_store
    takes the bytes); a failure on the way stores nothing."""
    existing = document_get(target.key)
    if existing is not None:
        return existing
    with tempfile.TemporaryFile(prefix="mache-archive-") as scratch:
        filename = archive_build(target, scratch)

        def content() -> bytes:
            scratch.seek(0)
            return scratch.read()

        return document_store(
            key=target.key,
            kind=KIND,
            filename=filename,
            content_type=CONTENT_TYPE,
            render=content,
            shop_id=target.ledger.shop_id,
        )


class _Pipe:
    """A write-only file that is not seekable: zipfile then writes each member's sizes
    after its data (a data descriptor), and the bytes wait here until the stream takes
    them."""

    def __init__(self):
        self._parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self.size = 0
        return data


def _streamed(target: ArchiveYear, fec_name: str, fec_chunks) -> Iterator[bytes]:
    pipe = _Pipe()
    for _ in _zip_parts(pipe, target, _files(target, fec_name, fec_chunks)):
        if pipe.size >= BUFFER_BYTES:
            yield pipe.take()
    yield pipe.take()  # the end of the last member and the central directory


def _zip_parts(out, target: ArchiveYear, files) -> Iterator[None]:
    """Write each (name, chunks) of `files` to a ZIP on `out`, then `manifest.json`
    listing them with the SHA-256 and size of their bytes; yields after each chunk, so
    that a stream can take what is written. One chunk in memory at a time."""
    now = timezone.now()
    listed = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, chunks in files:
            digest, size = hashlib.sha256(), 0
            with archive.open(_member(name, now), "w") as member:
                for chunk in chunks:
                    member.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                    yield
            listed.append({"name": name, "sha256": digest.hexdigest(), "size": size})
        manifest = {
            "shop": target.shop,
            "year": target.year,
            "start": target.span.start.isoformat(),
            "end": target.span.end.isoformat(),
            "status": "closed" if target.closed else "open",
            "generated_at": now.isoformat(),
            "files": listed,
        }
        text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
        archive.writestr(_member(MANIFEST, now), text.encode("utf-8"))
    yield


def _member(name: str, now) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=now.astimezone(PARIS).timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16  # a plain file, readable by all
    return info


def _files(target: ArchiveYear, fec_name: str, fec_chunks) -> Iterator[tuple[str, Iterable]]:
    """(name in the ZIP, its bytes in chunks) of every file, each read when reached."""
    ledger, span = target.ledger, target.span
    yield fec_name, fec_chunks
    name, text = fec_description(ledger=ledger, year=target.year)
    yield name, [text.encode("utf-8")]
    for compute in STATEMENTS:
        table = compute(ledger=ledger, date_from=span.start, date_to=span.end).table()
        for extension in STATEMENT_FORMATS:
            file_format = FORMATS[extension]
            name = statement_filename(ledger, table, file_format)
            yield f"{STATEMENTS_FOLDER}/{name}", [file_format.render(table)]
    yield from _issued_files(target)


# --- Invoices and credit notes, as issued -----------------------------------------------


def _year_invoices(target: ArchiveYear):
    """The invoices issued in the year that concern the ledger: to its shop, or every
    one for the cooperative's books (it issues them all)."""
    invoices = Invoice.objects.filter(
        issued_on__gte=target.span.start, issued_on__lte=target.span.end
    )
    if target.ledger.shop_id:
        invoices = invoices.filter(shop_id=target.ledger.shop_id)
    return invoices.order_by("issued_on", "year", "sequence")


def _year_credit_notes(target: ArchiveYear):
    notes = CreditNote.objects.filter(
        issued_on__gte=target.span.start, issued_on__lte=target.span.end
    )
    if target.ledger.shop_id:
        notes = notes.filter(shop_id=target.ledger.shop_id)
    return notes.order_by("issued_on", "year", "sequence")


def _issued_files(target: ArchiveYear) -> Iterator[tuple[str, Iterable]]:
    """Each invoice's and credit note's PDF and XML. Their stored documents are read in
    one query whatever their number (then one file read each)."""
    items = [
        *((INVOICES_FOLDER, "invoice", item) for item in _year_invoices(target)),
        *((CREDIT_NOTES_FOLDER, "credit-note", item) for item in _year_credit_notes(target)),
    ]
    keys = [f"{kind}-{part}:{item.pk}" for _, kind, item in items for part in ("pdf", "xml")]
    stored = {document.key: document for document in StoredDocument.objects.filter(key__in=keys)}
    for folder, kind, item in items:
        pdf, xml = _issued_bytes(kind, item, stored)
        yield f"{folder}/{item.number}.pdf", [pdf]
        yield f"{folder}/{item.number}.xml", [xml]


def _issued_checked(target: ArchiveYear) -> None:
    """Read every invoice's and credit note's stored bytes once before the first byte of
    a streamed archive is sent: an altered one is refused with its 409
    (`document_altered`) instead of cutting a ZIP already answered 200. Documents not
    stored yet are stored here, as `_issued_bytes` would."""
    for _name, _chunks in _issued_files(target):
        pass


def _issued_bytes(kind: str, item, stored: dict) -> tuple[bytes, bytes]:
    """The PDF and XML of an invoice or credit note, as stored when it was issued
    (mache.documents checks their hash: an altered one raises DocumentAltered). One
    issued before documents were stored, or whose store task has not run yet, is
    rendered and stored now, once (purchasing.documents)."""
    pdf, xml = stored.get(f"{kind}-pdf:{item.pk}"), stored.get(f"{kind}-xml:{item.pk}")
    if pdf is None or xml is None:
        issue = invoice_documents if kind == "invoice" else credit_note_documents
        pdf, xml = issue(item)
    return document_bytes(pdf), document_bytes(xml)
