"""A backup restored and checked (docs/backups.md, "restore_check", "restore").

`restore_check(folder)`: the manifest's hashes against the folder's files; the dump
restored into a scratch database; that copy's summary (read by `manage.py
database_summary` in a child process whose DATABASE_URL names the copy, so that
accounting's and purchasing's own code reads it) compared with the manifest (row counts,
trial balances, numbering), its numbering and its stored documents checked on their own
(no gap; each row's file in the backup has the row's hash), and what it holds as issued
looked up in the source, the database Django is connected to.

`restore_into(folder, database_url)`: the same dump restored for real, into an empty
database only, then compared with the manifest.
"""

import datetime as dt
import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path, PurePosixPath
from urllib.parse import quote, urlencode

import dj_database_url
from django.db import connection
from django.utils import timezone

from mache.formats import format_eur, plural

from . import postgres
from .folder import DUMP, FILES, FORMAT, MANIFEST, _sha256_of, storage_path
from .postgres import BackupError
from .summary import (
    SERIES_NAMES,
    ledgers_compare,
    numbering,
    numbering_problems,
    stored_documents,
    tables_compare,
)

SCRATCH_PREFIX = "mache_restore_check_"
MANIFEST_KEYS = ("database", "dump", "files", "summary")
LISTED = 10


@dataclass(frozen=True)
class Check:
    label: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'OK' if self.ok else 'ÉCHEC'} · {self.label} : {self.detail}"


def _listed(problems: list[str]) -> str:
    shown = " ; ".join(problems[:LISTED])
    return shown + (f" ; et {len(problems) - LISTED} de plus" if len(problems) > LISTED else "")


def manifest_read(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise BackupError(
            f"{path} introuvable : ce n'est pas une sauvegarde.", returncode=2
        ) from error
    except (OSError, ValueError) as error:
        raise BackupError(f"{path} illisible : {error}.", returncode=2) from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} : manifeste d'un autre format que {FORMAT}.", returncode=2)
    missing = [key for key in MANIFEST_KEYS if key not in manifest]
    if missing:
        raise BackupError(f"{path} incomplet : {', '.join(missing)} manquant.", returncode=2)
    problem = manifest_problem(manifest)
    if problem:
        raise BackupError(f"{path} refusé : {problem}. Rien n'a été restauré.", returncode=2)
    return manifest


SHA256 = re.compile(r"^[0-9a-f]{64}$")
SUMMARY_KEYS = ("tables", "ledgers", "numbering")


def _entry_problem(entry, *, dump: bool) -> str | None:
    """Why a file entry of the manifest is refused (None: it is sound). Its path must
    stay inside the folder: database.dump for the dump (the file restored is the one
    whose hash was checked), `files/<name>` without ".." for the others."""
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        return f"entrée de fichier illisible ({str(entry)[:80]})"
    name = entry["path"]
    parts = PurePosixPath(name).parts
    if dump and name != DUMP:
        return f"la copie de la base doit être {DUMP}, pas « {name[:200]} »"
    if not dump and (storage_path(Path("."), name) is None or len(parts) < 2 or parts[0] != FILES):
        return f"nom de fichier hors du dossier de la sauvegarde : « {name[:200]} »"
    size = entry.get("size")
    if not isinstance(entry.get("sha256"), str) or not SHA256.match(entry["sha256"]):
        return f"« {name[:200]} » sans empreinte SHA-256"
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return f"« {name[:200]} » sans taille"
    return None


def manifest_problem(manifest: dict) -> str | None:
    """What makes a manifest unusable, in French (None: it can be checked): the files it
    lists must be inside the folder (a name with "..", or absolute, is never opened) and
    each with its hash and size; its summary and source database must be readable."""
    if not isinstance(manifest["files"], list):
        return "la liste des fichiers est illisible"
    for entry, dump in [(manifest["dump"], True), *((e, False) for e in manifest["files"])]:
        problem = _entry_problem(entry, dump=dump)
        if problem:
            return problem
    summary = manifest["summary"]
    if not isinstance(summary, dict) or not all(
        isinstance(summary.get(key), dict) for key in SUMMARY_KEYS
    ):
        return "le résumé (lignes, balances, numérotation) est incomplet"
    if not isinstance(manifest["database"], dict) or not isinstance(
        manifest["database"].get("name"), str
    ):
        return "la base sauvegardée n'y est pas nommée"
    return None


def files_verify(folder: Path, manifest: dict) -> tuple[Check, dict[str, tuple[str, int]], bool]:
    """Every file the manifest lists, read again: (the check, {path: (sha256, size) as
    found}, whether the dump is intact)."""
    folder = Path(folder)
    found: dict[str, tuple[str, int]] = {}
    problems = []
    for entry in [manifest["dump"], *manifest["files"]]:
        path = storage_path(folder, entry["path"])
        if path is None or not path.is_file():
            problems.append(f"{entry['path']} absent")
            continue
        found[entry["path"]] = _sha256_of(path)
        if found[entry["path"]] != (entry["sha256"], entry["size"]):
            problems.append(f"{entry['path']} altéré (empreinte ou taille différente)")
    dump_ok = found.get(manifest["dump"]["path"]) == (
        manifest["dump"]["sha256"],
        manifest["dump"]["size"],
    )
    count = len(manifest["files"]) + 1
    if problems:
        check = Check("Empreintes des fichiers", False, _listed(problems))
    else:
        check = Check(
            "Empreintes des fichiers",
            True,
            f"{plural(count, 'fichier conforme', 'fichiers conformes')} au manifeste "
            "(la copie de la base et les documents)",
        )
    return check, found, dump_ok


def database_url(settings_dict: dict, dbname: str) -> str:
    """A DATABASE_URL for another database of the same server (the scratch copy), with the
    same credentials and libpq options; it goes to the child's environment only."""
    params = postgres.connection_params(settings_dict, dbname=dbname)
    user = quote(params.pop("user", ""), safe="")
    password = params.pop("password", None)
    host = quote(params.pop("host", ""), safe="")
    port = params.pop("port", None)
    name = quote(params.pop("dbname"), safe="")
    credentials = f"{user}@" if user else ""
    if password:
        credentials = f"{user}:{quote(password, safe='')}@"
    query = f"?{urlencode(params)}" if params else ""
    return f"postgres://{credentials}{host}{f':{port}' if port else ''}/{name}{query}"


def summary_of(url: str) -> dict:
    """The summary and the stored documents of the database at `url`, read by `manage.py
    database_summary` in a child process: the same code as for the manifest, on its own
    connection (the parent's Django connection stays on the source)."""
    env = {"DJANGO_SETTINGS_MODULE": "mache.settings", **os.environ, "DATABASE_URL": url}
    try:
        result = subprocess.run(  # noqa: S603 (our own interpreter and command)
            [sys.executable, "-m", "django", "database_summary"],
            env=env,
            capture_output=True,
            text=True,
            timeout=postgres.TOOL_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired as error:
        raise BackupError("Le résumé de la base restaurée n'a pas fini à temps.") from error
    if result.returncode != 0:
        raise BackupError(
            f"Lecture de la base restaurée impossible : {result.stderr.strip()[-2000:]}"
        )
    return json.loads(result.stdout)


def tables_check(manifest: dict, restored: dict) -> Check:
    expected = manifest["summary"]["tables"]
    differences = tables_compare(expected, restored["summary"]["tables"])
    if differences:
        return Check("Lignes par table", False, _listed(differences))
    rows = sum(expected.values())
    return Check(
        "Lignes par table",
        True,
        f"{plural(len(expected), 'table', 'tables')}, "
        f"{plural(rows, 'ligne', 'lignes')}, comme au manifeste",
    )


def ledgers_check(manifest: dict, restored: dict) -> Check:
    expected = manifest["summary"]["ledgers"]
    differences = ledgers_compare(expected, restored["summary"]["ledgers"])
    if differences:
        return Check("Balances des livres", False, _listed(differences))
    debit = sum((Decimal(ledger["debit"]) for ledger in expected.values()), Decimal(0))
    credit = sum((Decimal(ledger["credit"]) for ledger in expected.values()), Decimal(0))
    return Check(
        "Balances des livres",
        True,
        f"{plural(len(expected), 'livre', 'livres')}, chaque compte au centime comme au "
        f"manifeste (débits {format_eur(debit)}, crédits {format_eur(credit)})",
    )


def _numbering_described(numbers: dict) -> str:
    parts = []
    for series_name, years in numbers.items():
        counted = sum(series["count"] for series in years.values())
        label = SERIES_NAMES[series_name]
        parts.append(f"{label} : {counted}" + (f" ({', '.join(years)})" if years else ""))
    return " ; ".join(parts)


def numbering_check(manifest: dict, restored: dict) -> Check:
    """The copy's numbering on its own (no gap, counters, numbers as their rank), and
    equal to the manifest's."""
    found = restored["summary"]["numbering"]
    problems = numbering_problems(found)
    if found != manifest["summary"]["numbering"]:
        problems.append("différente de celle du manifeste")
    if problems:
        return Check("Numérotation des factures et avoirs", False, _listed(problems))
    return Check(
        "Numérotation des factures et avoirs",
        True,
        f"sans trou, chaque année de 1 au compteur ({_numbering_described(found)})",
    )


def documents_check(folder: Path, restored: dict, found: dict[str, tuple[str, int]]) -> Check:
    """Each StoredDocument row of the copy against its file in the backup: present, of
    the row's SHA-256 and size."""
    problems = []
    for key, row in restored["documents"].items():
        relative = f"files/{row['name']}"
        got = found.get(relative)
        if got is None:
            path = storage_path(Path(folder) / "files", row["name"])
            if path is None or not path.is_file():
                problems.append(f"{key} : fichier absent de la sauvegarde")
                continue
            got = _sha256_of(path)
        if got != (row["sha256"], row["size"]):
            problems.append(f"{key} : le fichier ne correspond pas à l'empreinte enregistrée")
    if problems:
        return Check("Documents émis", False, _listed(problems))
    count = len(restored["documents"])
    return Check(
        "Documents émis",
        True,
        f"{plural(count, 'document', 'documents')}, chacun de l'empreinte de sa ligne",
    )


def source_check(manifest: dict, restored: dict) -> Check:
    """What the backup holds as issued is still in the source, unchanged: its documents
    (same file, same hash; the rows cannot change, docs/backups.md) and, per year, at
    least as many invoices and credit notes. The rest of the source may have moved on
    since the backup: its counts and balances are not compared."""
    source = connection.settings_dict["NAME"]
    saved = manifest["database"]["name"]
    label = f"Source (base {source})"
    if source != saved:
        return Check(
            label,
            True,
            f"ce n'est pas la base sauvegardée ({saved}) : non comparée",
        )
    problems = []
    documents = stored_documents()
    for key, row in restored["documents"].items():
        now = documents.get(key)
        if now is None:
            problems.append(f"{key} n'y est plus")
        elif now != row:
            problems.append(f"{key} y a changé")
    numbers = numbering()
    for series_name, years in restored["summary"]["numbering"].items():
        for year, series in years.items():
            there = numbers[series_name].get(year, {"count": 0, "last": 0})
            if there["count"] < series["count"] or there["last"] < series["last"]:
                problems.append(
                    f"{SERIES_NAMES[series_name]} {year} : {there['count']} dans la source, "
                    f"{series['count']} dans la sauvegarde"
                )
    if problems:
        return Check(label, False, _listed(problems))
    return Check(
        label,
        True,
        "les documents et les numéros sauvegardés y sont tous, inchangés "
        "(comptes et balances comparés au manifeste : la source a pu changer depuis)",
    )


def scratch_name(now: dt.datetime | None = None) -> str:
    now = now or timezone.now()
    return f"{SCRATCH_PREFIX}{now.astimezone(dt.UTC):%Y%m%d%H%M%S}_{secrets.token_hex(3)}"


def restore_check(
    *, folder: Path, keep: bool = False, emit: Callable[[Check], None] = lambda check: None
) -> tuple[list[Check], str | None]:
    """Every check of the backup in `folder`, each passed to `emit` as it is known; the
    scratch database is dropped at the end unless `keep`. Returns (the checks, the
    scratch database's name when kept)."""
    folder = Path(folder)
    settings_dict = connection.settings_dict
    postgres.require_postgresql(settings_dict)
    manifest = manifest_read(folder)
    checks: list[Check] = []

    def record(check: Check) -> None:
        checks.append(check)
        emit(check)

    files, found, dump_ok = files_verify(folder, manifest)
    record(files)
    if not dump_ok:
        record(Check("Restauration", False, "la copie de la base est altérée : non restaurée"))
        return checks, None
    scratch = scratch_name()
    postgres.database_create(settings_dict, scratch)
    try:
        postgres.restore(settings_dict, path=folder / DUMP, dbname=scratch)
        restored = summary_of(database_url(settings_dict, scratch))
        record(Check("Restauration", True, f"copie restaurée dans la base {scratch}"))
        record(tables_check(manifest, restored))
        record(ledgers_check(manifest, restored))
        record(numbering_check(manifest, restored))
        record(documents_check(folder, restored, found))
        record(source_check(manifest, restored))
    except BackupError as error:
        record(Check("Restauration", False, str(error)))
    finally:
        if not keep:
            postgres.database_drop(settings_dict, scratch)
    return checks, scratch if keep else None


def restore_into(
    *, folder: Path, url: str, emit: Callable[[Check], None] = lambda check: None
) -> list[Check]:
    """Restore the backup in `folder` into the database at `url`, which must be empty
    (BackupError 2 otherwise, nothing written), then compare it with the manifest."""
    folder = Path(folder)
    try:
        target = dj_database_url.parse(url)
    except ValueError as error:
        raise BackupError(f"--database-url : adresse illisible ({error}).", returncode=2) from error
    if target.get("ENGINE") != postgres.POSTGRESQL_ENGINE:
        raise BackupError(
            "--database-url : la base cible doit être PostgreSQL (postgres://…).", returncode=2
        )
    manifest = manifest_read(folder)
    files, _found, dump_ok = files_verify(folder, manifest)
    if not dump_ok:
        raise BackupError(
            f"La copie de la base est altérée ({files.detail}) : rien n'a été restauré.",
            returncode=2,
        )
    relations = postgres.public_relations(target)
    if relations:
        raise BackupError(
            f"La base cible {target['NAME']} n'est pas vide "
            f"({plural(len(relations), 'table ou séquence', 'tables ou séquences')} dans "
            f"public, dont {', '.join(relations[:5])}) : rien n'a été restauré. Restaurez "
            "dans une base vide (createdb).",
            returncode=2,
        )
    checks: list[Check] = [files]
    emit(files)
    postgres.restore(target, path=folder / DUMP)
    restored = summary_of(url)
    for check in (
        Check("Restauration", True, f"base {target['NAME']} restaurée"),
        tables_check(manifest, restored),
        ledgers_check(manifest, restored),
        numbering_check(manifest, restored),
    ):
        checks.append(check)
        emit(check)
    return checks
