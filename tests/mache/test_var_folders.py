"""The var folder: importing the settings writes nothing; setting Django up creates the
folders the processes write to, the file-system broker's control folder among them (not
./control in the working folder, which the repository once held)."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

SERVER_ENV = {"DATABASE_URL", "REDIS_URL", "CACHE_URL", "MACHE_ENV", "MEDIA_ROOT"}


def run_python(code: str, *, var: Path, cwd: Path) -> subprocess.CompletedProcess:
    """`code` in a fresh interpreter without servers (SQLite, the file-system broker),
    its var folder `var`, run from `cwd`."""
    env = {k: v for k, v in os.environ.items() if k not in SERVER_ENV}
    env.update(
        MACHE_VAR_DIR=str(var),
        DJANGO_SETTINGS_MODULE="mache.settings",
        PYTHONPATH=str(settings.BASE_DIR),
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_importing_the_settings_creates_no_folder(tmp_path):
    var = tmp_path / "var"
    result = run_python(
        "import mache.settings as s; print(s.CELERY_BROKER_TRANSPORT_OPTIONS['control_folder'])",
        var=var,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(var / "broker" / "control")
    assert not var.exists()


def test_setting_django_up_creates_the_var_folders_on_a_fresh_clone(tmp_path):
    var = tmp_path / "var"
    result = run_python("import django; django.setup()", var=var, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for folder in (
        "static",
        "broker/queue",
        "broker/processed",
        "broker/results",
        "broker/control",
    ):
        assert (var / folder).is_dir(), folder


def test_the_file_broker_keeps_its_bindings_under_the_var_folder(tmp_path):
    var = tmp_path / "var"
    # Publishing declares the exchange: kombu writes its bindings in the control folder.
    result = run_python(
        "import django; django.setup(); from worker.tasks import ping; ping.delay()",
        var=var,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert (var / "broker" / "control" / "celery.exchange").is_file()
    assert not (tmp_path / "control").exists()
    assert not (Path(settings.BASE_DIR) / "control").exists()
