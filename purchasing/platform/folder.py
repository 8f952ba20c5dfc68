"""The platform as two folders (docs/e-invoicing.md, "Lifecycle and the platform").

Outbox: each document deposited is one file, `<number>.pdf` (its Factur-X), written
under a temporary name then renamed, so whoever carries the folder to the platform never
reads half a file; the same document twice is the same file.

Inbox: the platform (or whoever stands for it) drops one JSON status file per update,
`*.json`, written under another name then renamed (purchasing.einvoice_rules
.status_file_parse says what it holds). A file recorded goes to `processed/`; a file
that cannot be read, or names no document, goes to `failed/` with a `.reason.txt` beside
it saying why. Nothing here raises for a bad file: the worker's fetch goes on.

Suppliers' invoices (issue 16) arrive in the same inbox as `*.xml` / `*.pdf` files, moved
the same way once recorded (`processed/`) or refused (`failed/` with the reason).
"""

import hashlib
import logging
import os
import re
import tempfile
from pathlib import Path

from ..einvoice_rules import BadStatusFile, status_file_parse
from . import IncomingInvoice, OutgoingDocument, Platform, StatusUpdate

log = logging.getLogger(__name__)

PROCESSED = "processed"
FAILED = "failed"
# Invoice and credit note numbers (MACHE-2026-000001, MACHE-AV-2026-000001): never a
# path of their own.
# A supplier's invoice file larger than this is set aside unread.
INVOICE_MAX_BYTES = 20 * 1024 * 1024
SAFE_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class FolderPlatform(Platform):
    def __init__(self, *, outbox: Path, inbox: Path):
        self.outbox = Path(outbox)
        self.inbox = Path(inbox)
        self._files: dict[str, Path] = {}  # source -> the inbox file it came from

    # --- Out -------------------------------------------------------------------------

    def send(self, document: OutgoingDocument) -> str:
        if not SAFE_NUMBER.fullmatch(document.number):
            raise ValueError(f"not a document number: {document.number!r}")
        self.outbox.mkdir(parents=True, exist_ok=True)
        name = f"{document.number}.pdf"
        target = self.outbox / name
        if target.is_file() and target.read_bytes() == document.pdf:
            return name
        # A dot-name the platform's side ignores until the rename makes it whole.
        fd, temporary = tempfile.mkstemp(dir=self.outbox, prefix=f".{name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(document.pdf)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return name

    # --- In --------------------------------------------------------------------------

    def fetch(self) -> list[StatusUpdate]:
        if not self.inbox.is_dir():
            return []
        updates = []
        for path in sorted(self.inbox.glob("*.json")):
            if path.name.startswith(".") or not path.is_file():
                continue
            try:
                raw = path.read_bytes()
                parsed = status_file_parse(raw)
            except BadStatusFile as exc:
                self._set_aside(path, str(exc))
                continue
            except OSError as exc:
                self._set_aside(path, f"fichier illisible : {exc}")
                continue
            source = f"folder:{path.name}:{hashlib.sha256(raw).hexdigest()[:16]}"
            self._files[source] = path
            updates.append(
                StatusUpdate(
                    document=parsed.document,
                    status=parsed.status,
                    reason=parsed.reason,
                    source=source,
                )
            )
        return updates

    def done(self, update: StatusUpdate) -> None:
        path = self._files.pop(update.source, None)
        if path is not None:
            self._move(path, PROCESSED)

    def refuse(self, update: StatusUpdate, reason: str) -> None:
        path = self._files.pop(update.source, None)
        if path is not None:
            self._set_aside(path, reason)

    # --- Suppliers' invoices ----------------------------------------------------------

    def fetch_invoices(self) -> list[IncomingInvoice]:
        if not self.inbox.is_dir():
            return []
        invoices = []
        paths = sorted([*self.inbox.glob("*.xml"), *self.inbox.glob("*.pdf")])
        for path in paths:
            if path.name.startswith(".") or not path.is_file():
                continue
            try:
                if path.stat().st_size > INVOICE_MAX_BYTES:
                    self._set_aside(path, "fichier trop volumineux pour une facture")
                    continue
                raw = path.read_bytes()
            except OSError as exc:
                self._set_aside(path, f"fichier illisible : {exc}")
                continue
            source = f"folder:{path.name}:{hashlib.sha256(raw).hexdigest()[:16]}"
            self._files[source] = path
            invoices.append(IncomingInvoice(name=path.name, data=raw, source=source))
        return invoices

    def invoice_done(self, invoice: IncomingInvoice) -> None:
        path = self._files.pop(invoice.source, None)
        if path is not None:
            self._move(path, PROCESSED)

    def invoice_refuse(self, invoice: IncomingInvoice, reason: str) -> None:
        path = self._files.pop(invoice.source, None)
        if path is not None:
            self._set_aside(path, reason)

    def _set_aside(self, path: Path, reason: str) -> None:
        log.warning("einvoice inbox: %s set aside: %s", path.name, reason)
        target = self._move(path, FAILED)
        if target is not None:
            target.with_name(target.name + ".reason.txt").write_text(reason + "\n", "utf-8")

    def _move(self, path: Path, folder: str) -> Path | None:
        """Move `path` into the inbox's `folder` under a name not taken yet (a platform
        may reuse a file name). None when it could not be moved (logged)."""
        directory = self.inbox / folder
        try:
            directory.mkdir(parents=True, exist_ok=True)
            target = directory / path.name
            rank = 1
            while target.exists():
                rank += 1
                target = directory / f"{path.stem}-{rank}{path.suffix}"
            os.replace(path, target)
        except OSError:
            log.exception("einvoice inbox: could not move %s into %s/", path, folder)
            return None
        return target
