def test_healthz_checks_database_and_broker(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


def test_healthz_is_503_when_the_broker_is_down(client, db, settings):
    # Nothing listens on port 1: the broker is unreachable.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "error"}


def test_healthz_is_503_when_the_database_is_down():
    """A fresh process whose DATABASE_URL points at a port where nothing listens."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    code = (
        "import django, json; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz'); print(r.status_code, json.dumps(r.json()))"
    )
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nothing",
        "DJANGO_SETTINGS_MODULE": "mache.settings",
        "LOG_LEVEL": "CRITICAL",
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=settings.BASE_DIR,
        timeout=60,
    )
    assert result.stdout.strip() == '503 {"database": "error", "broker": "ok"}', result.stderr
