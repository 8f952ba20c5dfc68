"""PostgreSQL's own tools for the backups (docs/backups.md, "The dump"): `pg_dump` and
`pg_restore` run with the connection of a Django settings dictionary, the password in
their environment (PGPASSWORD), never on their command line; scratch databases created
and dropped; a target database checked empty.
"""

import os
import subprocess
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

POSTGRESQL_ENGINE = "django.db.backends.postgresql"
# pg_dump and pg_restore of a large database take minutes; a stuck one is not waited for
# past this (the nightly loop tries again the next night).
TOOL_TIMEOUT_SECONDS = 6 * 3600


class BackupError(Exception):
    """A backup, check or restore that cannot go on; the message is French and says why.
    `returncode` is the command's exit status (2: refused before anything was written)."""

    def __init__(self, message: str, *, returncode: int = 1):
        super().__init__(message)
        self.returncode = returncode


def require_postgresql(settings_dict: dict) -> None:
    if settings_dict.get("ENGINE") != POSTGRESQL_ENGINE:
        engine = str(settings_dict.get("ENGINE", "?")).rsplit(".", 1)[-1]
        what = "SQLite, celle de la démonstration (make run)" if engine == "sqlite3" else engine
        raise BackupError(
            f"Les sauvegardes demandent PostgreSQL (DATABASE_URL=postgres://…) : cette base "
            f"est {what}. "
            f"Pour garder la base de démonstration, copiez le fichier {settings_dict.get('NAME')} "
            "quand le serveur est arrêté.",
            returncode=2,
        )


def _libpq_keywords() -> set[str]:
    return {option.keyword.decode() for option in psycopg.pq.Conninfo.get_defaults()}


def connection_params(settings_dict: dict, *, dbname: str | None = None) -> dict:
    """libpq's parameters of a Django database (its OPTIONS that libpq knows, sslmode
    say, are kept; Django's own, isolation_level say, are not), the password included;
    `dbname` names another database of the same server."""
    params = {
        "dbname": dbname or settings_dict["NAME"],
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "host": settings_dict.get("HOST") or None,
        "port": str(settings_dict["PORT"]) if settings_dict.get("PORT") else None,
    }
    known = _libpq_keywords()
    for key, value in (settings_dict.get("OPTIONS") or {}).items():
        if key in known and key not in params:
            params[key] = str(value)
    return {key: value for key, value in params.items() if value is not None}


def connect(settings_dict: dict, *, dbname: str | None = None) -> psycopg.Connection:
    """A connection of our own (autocommit), apart from Django's: CREATE and DROP
    DATABASE run outside any transaction."""
    try:
        return psycopg.connect(
            **connection_params(settings_dict, dbname=dbname), autocommit=True, connect_timeout=10
        )
    except psycopg.OperationalError as error:
        raise BackupError(
            f"Connexion impossible à la base {dbname or settings_dict['NAME']} : "
            f"{str(error).strip()}",
            returncode=2,
        ) from error


def run_tool(tool: str, args: list[str], settings_dict: dict, *, dbname: str | None = None):
    """Run pg_dump or pg_restore on a database: the connection in a conninfo string without
    the password, which goes in PGPASSWORD (a command line is visible to every user of
    the machine, `ps`)."""
    params = connection_params(settings_dict, dbname=dbname)
    password = params.pop("password", None)
    env = dict(os.environ)  # PGPASSWORD set by the user still serves a URL without one
    if password:
        env["PGPASSWORD"] = password
    command = [tool, *args, f"--dbname={make_conninfo(**params)}"]
    try:
        result = subprocess.run(  # noqa: S603 (the tool's name is ours, not the user's)
            command, env=env, capture_output=True, text=True, timeout=TOOL_TIMEOUT_SECONDS
        )
    except FileNotFoundError as error:
        raise BackupError(
            f"{tool} introuvable : installez le client PostgreSQL (paquet postgresql-client, "
            "de la version du serveur ou plus récent)."
        ) from error
    except subprocess.TimeoutExpired as error:
        raise BackupError(f"{tool} n'a pas fini en {TOOL_TIMEOUT_SECONDS // 3600} h.") from error
    if result.returncode != 0:
        raise BackupError(f"{tool} a échoué (code {result.returncode}) : {result.stderr.strip()}")
    return result


def dump(settings_dict: dict, *, path: Path, snapshot: str | None = None) -> None:
    """The whole database in pg_dump's custom format (compressed, restored selectively
    by pg_restore); `snapshot`: the exported snapshot to read, so that the dump shows the
    database exactly as the manifest's summary saw it."""
    args = ["--format=custom", f"--file={path}"]
    if snapshot:
        args.append(f"--snapshot={snapshot}")
    run_tool("pg_dump", args, settings_dict)


def restore(settings_dict: dict, *, path: Path, dbname: str | None = None) -> None:
    """pg_restore of a dump into an empty database, in one transaction (a failure leaves
    the database as it was), objects owned by the connecting user (--no-owner), without
    the source's grants (--no-acl): the target's roles need not be the source's."""
    run_tool(
        "pg_restore",
        ["--exit-on-error", "--single-transaction", "--no-owner", "--no-acl", str(path)],
        settings_dict,
        dbname=dbname,
    )


def database_create(settings_dict: dict, name: str) -> None:
    """An empty database `name` on the server of `settings_dict` (from template0: nothing
    of template1's additions, so the restore meets no object of its own)."""
    _server_run(
        settings_dict,
        sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)),
        f"Création de la base de contrôle {name} impossible",
    )


def database_drop(settings_dict: dict, name: str) -> None:
    _server_run(
        settings_dict,
        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)),
        f"Suppression de la base de contrôle {name} impossible",
    )


def _server_run(settings_dict: dict, statement: sql.Composed, failure: str) -> None:
    with connect(settings_dict) as conn:
        try:
            conn.execute(statement)
        except psycopg.Error as error:
            raise BackupError(f"{failure} : {str(error).strip()}") from error


def public_relations(settings_dict: dict) -> list[str]:
    """The tables, views and sequences of the public schema of a database, by name (a
    restore goes only into a database without any)."""
    with connect(settings_dict) as conn:
        rows = conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
            "ORDER BY c.relname"
        ).fetchall()
    return [name for (name,) in rows]
