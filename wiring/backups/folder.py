"""Writing a backup folder and keeping the folders (docs/backups.md, "A backup folder",
"Retention", "Every night").

A backup is `<BACKUP_DIR>/mache-<UTC time>/` holding `database.dump` (pg_dump, custom
format), `files/<storage name>` (every stored document and monthly report file, read
through Django's default storage) and `manifest.json` (each file's SHA-256 and size, the
source database, the time, the summary of wiring.backups.summary). It is written into a
hidden `.mache-….partial` folder and renamed when complete: a folder named `mache-…`
is always a whole backup.
"""

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from worker.models import Report

from .postgres import BackupError, dump, require_postgresql
from .summary import database_summary, stored_documents

FORMAT = "mache-backup-1"
MANIFEST = "manifest.json"
DUMP = "database.dump"
FILES = "files"
NAME_FORMAT = "mache-%Y%m%dT%H%M%SZ"
NAME = re.compile(r"^mache-\d{8}T\d{6}Z$")
PARTIAL_GLOB = ".mache-*.partial"
# A partial folder this old is what a killed backup left (no backup takes a day).
STALE_PARTIAL = dt.timedelta(days=1)
CHUNK = 1024 * 1024


@dataclass
class BackupDone:
    path: Path
    files: int
    size: int
    manifest: dict
    warnings: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def folder_name(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime(NAME_FORMAT)


def folder_time(name: str) -> dt.datetime | None:
    """The UTC time in a backup folder's name; None for any other name."""
    if not NAME.match(name):
        return None
    return dt.datetime.strptime(name, NAME_FORMAT).replace(tzinfo=dt.UTC)


def _sha256_of(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def file_entry(folder: Path, path: Path, **more) -> dict:
    sha256, size = _sha256_of(path)
    return {"path": path.relative_to(folder).as_posix(), "sha256": sha256, "size": size, **more}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def storage_path(root: Path, name: str) -> Path | None:
    """Where the storage name `name` is copied under `root`; None for a name that would
    leave it (absolute, or with "..")."""
    parts = PurePosixPath(name).parts
    if not parts or PurePosixPath(name).is_absolute() or ".." in parts:
        return None
    return root.joinpath(*parts)


def _copy_stored(name: str, target: Path) -> tuple[str, int]:
    """The storage's file `name` copied to `target` (any storage: S3 as well as local
    files), flushed to disk; its SHA-256 and size as copied."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with default_storage.open(name, "rb") as source, open(target, "wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest(), size


def _snapshot_read(part: Path, settings_dict: dict) -> tuple[dict, dict, dict, list]:
    """In one REPEATABLE READ transaction: its snapshot exported, the summary and the list
    of files read, then pg_dump run on that very snapshot (--snapshot): the dump holds
    exactly the rows the summary counted, whatever commits meanwhile."""
    connection.ensure_connection()
    with transaction.atomic():
        with connection.cursor() as cursor:
            # First statement of the transaction, as PostgreSQL requires.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()
        summary = database_summary()
        documents = stored_documents()
        reports = list(Report.objects.exclude(file="").order_by("pk").values_list("pk", "file"))
        dump(settings_dict, path=part / DUMP, snapshot=snapshot)
    database = {
        "name": settings_dict["NAME"],
        "host": settings_dict.get("HOST") or "",
        "port": str(settings_dict.get("PORT") or ""),
        "server_version": server_version,
    }
    return database, summary, documents, reports


def _files_copy(part: Path, documents: dict, reports: list) -> tuple[list[dict], list[str]]:
    """Each stored file copied once (a report's file may be a document's too), listed with
    the keys and report ids that name it. Files are never changed once written (their
    names carry their hash): copying after the snapshot's transaction reads what it saw."""
    wanted: dict[str, dict] = {}
    for key, row in documents.items():
        wanted.setdefault(row["name"], {"keys": [], "reports": [], "expected": {}})
        wanted[row["name"]]["keys"].append(key)
        wanted[row["name"]]["expected"][key] = (row["sha256"], row["size"])
    for report_id, name in reports:
        wanted.setdefault(name, {"keys": [], "reports": [], "expected": {}})
        wanted[name]["reports"].append(report_id)
    entries, warnings = [], []
    for name, use in wanted.items():
        target = storage_path(part / FILES, name)
        what = ", ".join(use["keys"] + [f"rapport {pk}" for pk in use["reports"]])
        if target is None:
            warnings.append(f"{what} : nom de fichier refusé ({name}), non copié")
            continue
        try:
            sha256, size = _copy_stored(name, target)
        except (FileNotFoundError, OSError) as error:
            warnings.append(f"{what} : fichier {name} illisible ({error.__class__.__name__})")
            target.unlink(missing_ok=True)
            continue
        for key, expected in use["expected"].items():
            if expected != (sha256, size):
                warnings.append(
                    f"{key} : le fichier {name} ne correspond plus à son empreinte d'émission "
                    "(copié tel quel ; restore_check le signalera)"
                )
        entries.append(
            {
                "path": target.relative_to(part).as_posix(),
                "sha256": sha256,
                "size": size,
                "keys": use["keys"],
                "reports": use["reports"],
            }
        )
    return entries, warnings


def backup_create(*, directory: Path, keep_days: int, now: dt.datetime | None = None) -> BackupDone:
    """Write a backup folder of the database Django is connected to (PostgreSQL only),
    then apply the retention (`retention_sweep`). Call outside any transaction: the
    snapshot needs a transaction of its own."""
    settings_dict = connection.settings_dict
    require_postgresql(settings_dict)
    if keep_days < 1:
        raise BackupError("--keep-days : au moins 1 jour.", returncode=2)
    if connection.in_atomic_block:
        raise BackupError("Une sauvegarde se lance hors de toute transaction.")
    now = now or timezone.now()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / folder_name(now)
    if final.exists():
        raise BackupError(f"{final} existe déjà : une sauvegarde par seconde au plus.")
    part = directory / f".{final.name}.{uuid.uuid4().hex[:8]}.partial"
    part.mkdir()
    try:
        database, summary, documents, reports = _snapshot_read(part, settings_dict)
        dump_entry = file_entry(part, part / DUMP, format="pg_dump --format=custom")
        files, warnings = _files_copy(part, documents, reports)
        manifest = {
            "format": FORMAT,
            "created_at": now.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "database": database,
            "dump": dump_entry,
            "files": files,
            "documents": len(documents),
            "summary": summary,
            "warnings": warnings,
        }
        with open(part / MANIFEST, "w", encoding="utf-8") as handle:
            json.dump(manifest, handle, ensure_ascii=False, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        _fsync_dir(part)
        os.rename(part, final)
        _fsync_dir(directory)
    except BaseException:
        shutil.rmtree(part, ignore_errors=True)
        raise
    removed = retention_sweep(directory=directory, keep_days=keep_days, now=now)
    size = dump_entry["size"] + sum(entry["size"] for entry in files)
    return BackupDone(final, len(files) + 1, size, manifest, warnings, removed)


def backup_folders(directory: Path) -> list[tuple[dt.datetime, Path]]:
    """The whole backups of `directory` (named mache-<time>, with their manifest), oldest
    first."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        at = folder_time(path.name)
        if at is not None and path.is_dir() and (path / MANIFEST).is_file():
            found.append((at, path))
    return sorted(found)


def retention_sweep(*, directory: Path, keep_days: int, now: dt.datetime) -> list[str]:
    """Delete the backups older than `keep_days` (by the time in their name), never the
    newest one whatever its age, and the partial folders killed backups left. Returns
    the names deleted."""
    folders = backup_folders(directory)
    limit = now - dt.timedelta(days=keep_days)
    removed = []
    for at, path in folders[:-1]:
        if at < limit:
            shutil.rmtree(path)
            removed.append(path.name)
    for part in directory.glob(PARTIAL_GLOB):
        age = now.timestamp() - part.stat().st_mtime
        if part.is_dir() and age > STALE_PARTIAL.total_seconds():
            shutil.rmtree(part, ignore_errors=True)
            removed.append(part.name)
    return removed


def next_run_at(now: dt.datetime, at: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The next time it is `at` o'clock in `zone` strictly after `now` (aware). On the
    night the clocks go forward, a time that does not exist (02:30 in Paris) comes an
    hour later by the wall clock; on the night they go back, the first of the two."""
    local = now.astimezone(zone)
    day = local.date()
    while True:
        candidate = dt.datetime.combine(day, at, tzinfo=zone)
        # Round-trip through UTC: a time the clocks skip becomes a real one.
        candidate = candidate.astimezone(dt.UTC).astimezone(zone)
        if candidate > now:
            return candidate
        day += dt.timedelta(days=1)
