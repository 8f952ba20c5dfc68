"""The production profile, checked in fresh interpreters (settings load once per process)."""

import os
import subprocess
import sys

from django.conf import settings

PRODUCTION_ENV = {
    "MACHE_ENV": "production",
    "SECRET_KEY": "k" * 30 + "-x9Z!q" * 5,
    "ALLOWED_HOSTS": "mache.example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/mache",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DEBUG": "",
}


def run_manage(*args, env):
    # Nothing of the test session's own environment (the browser tests set
    # DJANGO_ALLOW_ASYNC_UNSAFE for themselves) may leak into a production check.
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION_ENV and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=settings.BASE_DIR,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", env={**PRODUCTION_ENV, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_a_short_secret_key():
    result = run_manage("check", env={**PRODUCTION_ENV, "SECRET_KEY": "x9Z!q-" * 8})  # 48
    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50 characters" in result.stderr


def test_production_refuses_to_start_with_debug():
    result = run_manage("check", env={**PRODUCTION_ENV, "DEBUG": "true"})
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_check_deploy_passes_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr + result.stdout


def test_language_and_time_zone():
    assert settings.LANGUAGE_CODE == "fr-fr"
    assert settings.TIME_ZONE == "Europe/Paris"
    assert settings.USE_TZ is True


def test_the_file_storage_of_reports_is_configurable(tmp_path):
    code = (
        "import django; django.setup(); from django.core.files.storage import "
        "storages; s = storages['default']; print(type(s).__name__, s.location)"
    )
    env = {
        "MEDIA_STORAGE_BACKEND": "django.core.files.storage.FileSystemStorage",
        "MEDIA_STORAGE_OPTIONS": f'{{"location": "{tmp_path}"}}',
        "DJANGO_SETTINGS_MODULE": "mache.settings",
    }
    full_env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**full_env, **env},
        cwd=settings.BASE_DIR,
        timeout=60,
    )
    assert result.stdout.split() == ["FileSystemStorage", str(tmp_path)], result.stderr
