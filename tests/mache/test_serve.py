"""`make run`'s last step, for real: SQLite, the file-system broker, a worker with beat."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(pid: int) -> set[int]:
    found = set()
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except FileNotFoundError:
            continue
        for child in map(int, children):
            found.add(child)
            pending.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _serverless(var) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CACHE_URL", "MACHE_ENV"}
    }
    env.update(MACHE_VAR_DIR=str(var), PYTHONUNBUFFERED="1", DEBUG="0")
    return env


@pytest.fixture(scope="module")
def migrated_var(tmp_path_factory):
    """A var folder whose SQLite database is migrated, once for the module: each test
    starts from a copy (migrating costs more than the test itself)."""
    var = tmp_path_factory.mktemp("serve") / "var"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        env=_serverless(var),
        check=True,
        cwd=settings.BASE_DIR,
        timeout=300,
    )
    return var


@pytest.fixture
def serverless_env(migrated_var, tmp_path):
    var = tmp_path / "var"
    shutil.copytree(migrated_var, var)
    return _serverless(var)


def ignore_sigint():
    # What a shell script does to a command it starts in the background.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm", "ctrl-c-when-started-from-a-script"])
def test_serve_runs_web_and_worker_without_servers_and_stops_them_all(serverless_env, stop):
    port = free_port()
    serve = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port), "--concurrency", "1"],
        env=serverless_env,
        cwd=settings.BASE_DIR,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=ignore_sigint if stop.endswith("script") else None,
    )  # noqa: PLW1509
    try:
        health = None
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    health = r.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert health == '{"database": "ok", "broker": "ok"}'

        # DEBUG off, as `make run` serves the demo: the site's own French 404 (not
        # Django's debug page listing every URL), and the stylesheet still served.
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/nulle-part/", timeout=5)
        page = missing.value.read().decode()
        assert missing.value.code == 404
        assert "Page introuvable" in page and "URLconf" not in page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/mache/app.css") as css:
            assert css.status == 200 and b"{" in css.read()

        # A task goes through the file-system broker to the worker and back.
        code = (
            "import django; django.setup(); from worker.tasks import ping; "
            "print(ping.delay().get(timeout=60))"
        )
        result = subprocess.run(
            [sys.executable, "-c", code],
            env={**serverless_env, "DJANGO_SETTINGS_MODULE": "mache.settings"},
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert result.stdout.strip() == "pong", result.stderr

        family = descendants(serve.pid)
        assert len(family) >= 2  # runserver, the worker (and its pool and beat)
        if stop.startswith("ctrl-c"):
            os.killpg(serve.pid, signal.SIGINT)  # what the terminal sends to the foreground
        else:
            serve.terminate()
        serve.wait(timeout=60)
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
    output = serve.stdout.read()
    assert serve.returncode == 0, output
    assert "MACHE arrêté." in output
    time.sleep(0.5)
    assert [pid for pid in family if alive(pid)] == []


def test_make_run_takes_a_port_and_site_url_follows_it():
    # `make -n` prints the commands without running them (the install step aside).
    out = subprocess.run(
        ["make", "-n", "-o", ".venv/.installed-stamp", "run", "PORT=8100"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    serve = [line for line in out.splitlines() if "manage.py serve" in line]
    assert serve and "--port 8100" in serve[0]
    assert "SITE_URL=${SITE_URL:-http://127.0.0.1:8100}" in serve[0]
    assert "DEBUG=${DEBUG:-0}" in serve[0]
