from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


def var_folders() -> list[Path]:
    """The folders the processes write to: the var folder, the static files and, without
    Redis, the file-system broker's folders and the file result backend's."""
    folders = [Path(settings.VAR_DIR), Path(settings.STATIC_ROOT)]
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        folders += [
            Path(options[key])
            for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")
        ]
    if settings.CELERY_RESULT_BACKEND.startswith("file://"):
        folders.append(Path(settings.CELERY_RESULT_BACKEND.removeprefix("file://")))
    return folders


def var_folders_create() -> None:
    for folder in var_folders():
        folder.mkdir(parents=True, exist_ok=True)


class MacheConfig(AppConfig):
    name = "mache"
    verbose_name = "MACHE"

    def ready(self):
        # Every process (web, worker, beat, manage.py) sets Django up before it writes:
        # a fresh clone, without var/, starts as well as a used one.
        var_folders_create()
        # Accent-insensitive search (docs/search.md): the lookup, and SQLite's function.
        from django.db.backends.signals import connection_created

        from .search import register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="mache_fold")
