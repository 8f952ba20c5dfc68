"""Backups restored and checked (docs/backups.md): a real pg_dump of the test database, a
real restore into a scratch database and every comparison; a document altered in the
backup, a gap in the invoice numbers, a non-empty target and the retention each caught.

The data must be committed for pg_dump, another process, to see it: transactional tests
(the database is emptied after each), with a small world: a shop, a received round and
its invoice posted in both books, a stored document, a monthly report's file."""

import datetime as dt
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from accounting.models import Ledger
from accounting.statements import trial_balance
from mache.documents import document_store
from purchasing.models import Invoice
from tests.factories import ShopFactory, ready_report
from tests.factories.purchasing import received_round
from wiring.backups import next_run_at, retention_sweep
from wiring.backups.check import database_url
from wiring.backups.folder import MANIFEST, folder_name
from wiring.backups.summary import ledgers_compare

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n% facture de test\n%%EOF\n"


def run(command: str, *args) -> tuple[str, int]:
    """A management command's output and exit status (0, or its CommandError's)."""
    out = StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=out)
    except CommandError as error:
        return out.getvalue() + str(error), error.returncode
    return out.getvalue(), 0


def issued_world(shop_name="Épicerie de Romazy"):
    shop = ShopFactory(name=shop_name)
    invoice = received_round({shop: 12})[shop.pk]
    document = document_store(
        key=f"invoice-pdf:{invoice.pk}",
        kind="invoice-pdf",
        filename=f"{invoice.number}.pdf",
        content_type="application/pdf",
        render=lambda: PDF + invoice.number.encode(),
        shop_id=shop.pk,
    )
    return shop, invoice, document


def backup(directory: Path) -> Path:
    output, status = run("backup", "--dir", str(directory))
    assert status == 0, output
    (folder,) = [path for path in directory.iterdir() if path.name.startswith("mache-")]
    return folder


def scratch_databases() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'mache\\_restore\\_check\\_%'"
        )
        return {name for (name,) in cursor.fetchall()}


@pytest.fixture
def server_database():
    """Create databases on the test server; each is dropped at the end."""
    made = []
    admin = psycopg.connect(database_url(connection.settings_dict, "postgres"), autocommit=True)

    def create(name: str) -> str:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        made.append(name)
        return database_url(connection.settings_dict, name)

    yield create
    for name in made:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_a_backup_restored_in_a_scratch_database_matches_its_manifest_and_the_source(tmp_path):
    shop, invoice, document = issued_world()
    report = ready_report(shop)
    # An old backup of the same folder: the retention deletes it after the new one.
    old = tmp_path / folder_name(timezone.now() - dt.timedelta(days=45))
    old.mkdir()
    (old / MANIFEST).write_text("{}")

    folder = backup(tmp_path)

    assert not old.exists()
    assert not list(tmp_path.glob(".mache-*"))  # the partial folder was renamed
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["database"]["name"] == connection.settings_dict["NAME"]
    assert manifest["summary"]["tables"]["purchasing_invoice"] == 1
    assert manifest["summary"]["tables"]["mache_storeddocument"] == 1
    ledger = Ledger.objects.get(shop=shop)
    balance = trial_balance(ledger=ledger, date_from=dt.date.min, date_to=dt.date.max)
    kept = manifest["summary"]["ledgers"][str(ledger.pk)]
    assert (kept["debit"], kept["credit"]) == (str(balance.total_debit), str(balance.total_credit))
    assert balance.total_debit == balance.total_credit > 0
    year = str(invoice.year)
    assert manifest["summary"]["numbering"]["invoices"][year]["count"] == 1
    files = {entry["path"]: entry for entry in manifest["files"]}
    stored = files[f"files/{document.name}"]
    assert (stored["sha256"], stored["size"], stored["keys"]) == (
        document.sha256,
        document.size,
        [document.key],
    )
    assert files[f"files/{report.file.name}"]["reports"] == [report.pk]
    assert (folder / "database.dump").read_bytes().startswith(b"PGDMP")  # custom format
    assert manifest["warnings"] == []

    output, status = run("restore_check", str(folder))

    assert status == 0, output
    for label in (
        "Empreintes des fichiers",
        "Restauration",
        "Lignes par table",
        "Balances des livres",
        "Numérotation des factures et avoirs",
        "Documents émis",
        "Source",
    ):
        assert f"OK · {label}" in output, output
    assert "ÉCHEC" not in output
    assert scratch_databases() == set()

    # The source moves on (a new invoice, a new document, a shop): the backup is still
    # whole, compared with its manifest; the source still holds all it held.
    issued_world("Boulangerie de Tinténiac")
    output, status = run("restore_check", str(folder))
    assert status == 0, output


def test_a_document_altered_in_the_backup_is_reported(tmp_path):
    _shop, _invoice, document = issued_world()
    folder = backup(tmp_path)
    (folder / "files" / document.name).write_bytes(PDF + b"falsifie")

    output, status = run("restore_check", str(folder))

    assert status == 1, output
    assert f"ÉCHEC · Empreintes des fichiers : files/{document.name} altéré" in output
    assert f"ÉCHEC · Documents émis : {document.key} : le fichier ne correspond pas" in output
    assert "OK · Balances des livres" in output  # the rest is checked all the same
    assert scratch_databases() == set()


def test_an_altered_dump_is_not_restored(tmp_path):
    issued_world()
    folder = backup(tmp_path)
    with open(folder / "database.dump", "ab") as dump:
        dump.write(b"\0")

    output, status = run("restore_check", str(folder))

    assert status == 1
    assert "ÉCHEC · Restauration : la copie de la base est altérée" in output
    assert scratch_databases() == set()


def test_a_gap_in_the_invoice_numbers_is_reported(tmp_path):
    _shop, invoice, _document = issued_world()
    # The gap made in the source, past the trigger that keeps issued invoices as they are.
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "UPDATE purchasing_invoice SET sequence = 3, number = %s WHERE id = %s",
            [f"MACHE-{invoice.year}-000003", invoice.pk],
        )
        cursor.execute("SET session_replication_role = DEFAULT")
    folder = backup(tmp_path)

    output, status = run("restore_check", str(folder), "--keep")

    assert status == 1
    assert (
        f"ÉCHEC · Numérotation des factures et avoirs : factures {invoice.year} : numéros "
        "manquants 1 à 2" in output
    ), output
    assert "le compteur est à 1, en dessous du dernier numéro émis (3)" in output
    (kept,) = scratch_databases()
    assert f"Base de contrôle conservée : {kept}" in output
    with psycopg.connect(database_url(connection.settings_dict, kept)) as copy:
        assert copy.execute("SELECT number FROM purchasing_invoice").fetchall() == [
            (f"MACHE-{invoice.year}-000003",)
        ]
    with psycopg.connect(database_url(connection.settings_dict, "postgres"), autocommit=True) as c:
        c.execute(f'DROP DATABASE "{kept}" WITH (FORCE)')


def test_restore_goes_into_an_empty_database_only(tmp_path, server_database):
    issued_world()
    folder = backup(tmp_path)
    busy = server_database(f"mache_restore_busy_{os.getpid()}")
    with psycopg.connect(busy, autocommit=True) as target:
        target.execute("CREATE TABLE keep (id int); INSERT INTO keep VALUES (1)")

    output, status = run("restore", str(folder), "--database-url", busy)

    assert status == 2, output
    assert "n'est pas vide" in output and "rien n'a été restauré" in output
    with psycopg.connect(busy) as target:
        tables = target.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
        assert tables == [("keep",)]
        assert target.execute("SELECT id FROM keep").fetchall() == [(1,)]

    empty = server_database(f"mache_restore_empty_{os.getpid()}")
    output, status = run("restore", str(folder), "--database-url", empty)

    assert status == 0, output
    assert "OK · Lignes par table" in output and "OK · Balances des livres" in output
    with psycopg.connect(empty) as target:
        assert target.execute("SELECT count(*) FROM purchasing_invoice").fetchone() == (1,)
    assert Invoice.objects.count() == 1  # the source untouched


def test_restore_refuses_a_folder_that_is_not_a_backup(tmp_path):
    output, status = run("restore_check", str(tmp_path))
    assert status == 2
    assert "manifest.json introuvable" in output


def test_a_manifest_naming_a_file_outside_the_backup_or_malformed_is_refused(
    tmp_path, server_database
):
    """The manifest is read before anything is restored: an entry naming a file outside
    the folder ("../../etc/passwd", an absolute path), a dump entry that names another
    file than database.dump (whose hash would then vouch for a file that is not the one
    restored), an entry without its hash: refused, exit status 2, nothing read outside
    the folder, no scratch database, nothing restored."""
    issued_world()
    folder = backup(tmp_path)
    saved = json.loads((folder / MANIFEST).read_text())
    document = saved["files"][0]
    empty = server_database(f"mache_restore_refused_{os.getpid()}")

    def with_manifest(change) -> dict:
        manifest = json.loads(json.dumps(saved))
        change(manifest)
        (folder / MANIFEST).write_text(json.dumps(manifest))
        return manifest

    cases = [
        lambda m: m["files"].append({**document, "path": "../../etc/passwd"}),
        lambda m: m["files"].append({**document, "path": "files/../../../etc/passwd"}),
        lambda m: m["files"].append({**document, "path": "/etc/passwd"}),
        # The dump's entry vouching for a document's file: database.dump goes unchecked.
        lambda m: m.update(dump={**document, "format": "pg_dump --format=custom"}),
        lambda m: m["files"][0].pop("sha256"),
        lambda m: m["files"].append("files/x"),
        lambda m: m.update(files={"path": "files/x"}),
        lambda m: m["summary"].pop("ledgers"),
    ]
    for change in cases:
        with_manifest(change)
        for command in (
            ("restore_check", str(folder)),
            ("restore", str(folder), "--database-url", empty),
        ):
            output, status = run(*command)
            assert status == 2, (command, output)
            assert "manifest.json" in output and "refusé" in output, output
            assert scratch_databases() == set()
    with psycopg.connect(empty) as target:
        assert target.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone() == (0,)
    (folder / MANIFEST).write_text(json.dumps(saved))
    output, status = run("restore_check", str(folder))
    assert status == 0, output


@pytest.mark.django_db(transaction=False)
def test_the_retention_keeps_recent_folders_and_always_the_newest(tmp_path):
    now = timezone.now()

    def folder(days_ago, *, manifest=True):
        path = tmp_path / folder_name(now - dt.timedelta(days=days_ago))
        path.mkdir()
        if manifest:
            (path / MANIFEST).write_text("{}")
        return path

    too_old, just_too_old, kept, newest = folder(40), folder(31), folder(29), folder(0)
    unfinished = folder(50, manifest=False)  # not a whole backup: not ours to judge
    other = tmp_path / "mes-archives"
    other.mkdir()
    partial = tmp_path / ".mache-20200101T000000Z.abcd1234.partial"
    partial.mkdir()
    os.utime(partial, (now.timestamp() - 2 * 86400, now.timestamp() - 2 * 86400))

    removed = retention_sweep(directory=tmp_path, keep_days=30, now=now)

    assert sorted(removed) == sorted([too_old.name, just_too_old.name, partial.name])
    assert all(path.exists() for path in (kept, newest, unfinished, other))
    # Alone and old, the newest backup stays.
    for path in (kept, newest):
        (path / MANIFEST).unlink()
        path.rename(path.with_name(path.name + "-x"))
    lonely = folder(90)
    assert retention_sweep(directory=tmp_path, keep_days=30, now=now) == []
    assert lonely.exists()


def test_the_nightly_backup_runs_at_half_past_two_paris_time():
    paris = ZoneInfo("Europe/Paris")
    at = dt.time(2, 30)
    evening = dt.datetime(2026, 11, 29, 22, 0, tzinfo=paris)
    assert next_run_at(evening, at, paris) == dt.datetime(2026, 11, 30, 2, 30, tzinfo=paris)
    just_done = dt.datetime(2026, 11, 30, 2, 30, tzinfo=paris)
    assert next_run_at(just_done, at, paris) == dt.datetime(2026, 12, 1, 2, 30, tzinfo=paris)
    # 29 March 2026: the clocks go from 02:00 to 03:00; the backup runs at 03:30.
    spring = next_run_at(dt.datetime(2026, 3, 29, 0, 0, tzinfo=paris), at, paris)
    assert spring.astimezone(dt.UTC) == dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)


@pytest.mark.django_db(transaction=False)
def test_on_sqlite_the_backup_says_it_needs_postgresql(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CACHE_URL", "MEDIA_ROOT"}
    }
    env.update(MACHE_VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="mache.settings")
    result = subprocess.run(
        [sys.executable, "-m", "django", "backup"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "Les sauvegardes demandent PostgreSQL" in result.stderr
    assert not (tmp_path / "var" / "backups").exists()


@pytest.mark.django_db(transaction=False)
def test_trial_balances_are_compared_exactly_account_by_account():
    saved = {
        "7": {
            "name": "Épicerie",
            "debit": "120.00",
            "credit": "120.00",
            "accounts": [["411000", "120.00", "0.00"], ["707000", "0.00", "120.00"]],
        }
    }
    same = {"7": {**saved["7"], "debit": "120.0", "credit": "120"}}
    assert ledgers_compare(saved, same) == []
    a_cent_moved = {
        "7": {
            **saved["7"],
            "accounts": [["411000", "119.99", "0.00"], ["707000", "0.00", "119.99"]],
        }
    }
    (difference,) = ledgers_compare(saved, a_cent_moved)
    assert difference.startswith("livre 7 (Épicerie) : ")
    assert difference.endswith("comptes 411000, 707000")
    assert ledgers_compare(saved, {}) == ["livre 7 (Épicerie) absent"]
