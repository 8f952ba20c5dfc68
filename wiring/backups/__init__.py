"""Backups that are restored and checked (issue 19; docs/backups.md).

- `folder`: `backup_create` writes a dated folder (the pg_dump, the stored files, the
  manifest), `retention_sweep` keeps `BACKUP_RETENTION_DAYS` of them, `next_run_at` times
  the nightly loop;
- `summary`: what a backup is checked against (rows per table, trial balances,
  numbering, stored documents), computed by the same code on the source and on a copy;
- `check`: `restore_check` (a scratch copy restored and compared) and `restore_into`
  (a real restore, into an empty database only);
- `postgres`: pg_dump, pg_restore and scratch databases.

The commands are `manage.py backup`, `restore_check`, `restore` and `database_summary`
(wiring/management/commands).
"""

from .check import Check, restore_check, restore_into, summary_of
from .folder import BackupDone, backup_create, backup_folders, next_run_at, retention_sweep
from .postgres import BackupError
from .summary import database_summary, stored_documents

__all__ = [
    "BackupDone",
    "BackupError",
    "Check",
    "backup_create",
    "backup_folders",
    "database_summary",
    "next_run_at",
    "restore_check",
    "restore_into",
    "retention_sweep",
    "stored_documents",
    "summary_of",
]
