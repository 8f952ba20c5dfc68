"""`manage.py serve`: the web server and a Celery worker with beat, stopped together.

`make run` ends here. Both children share our process group, so a Ctrl-C in the
terminal reaches them at once; if we are stopped any other way (SIGTERM, an error),
we stop them ourselves and wait for them, so no worker is left behind.
"""

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Lance le serveur web et un worker Celery (avec beat), arrêtés ensemble."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--concurrency", type=int, default=2)

    def handle(self, *args, addr, port, concurrency, **options):
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", "--noreload", f"{addr}:{port}"],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "mache",
                "worker",
                "--beat",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(concurrency),
            ],
        }
        # Each child leads its own process group: a Ctrl-C reaches only us, and we stop
        # them in order (a SIGINT hitting the worker's pool processes directly makes its
        # warm shutdown hang), then kill what is left of each group.
        children = {
            name: subprocess.Popen(cmd, start_new_session=True)  # noqa: S603
            for name, cmd in commands.items()
        }
        self.stdout.write(f"MACHE sur http://{addr}:{port}/ (Ctrl-C pour arrêter)")

        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        # Our own handlers for both: a command started from a script may inherit SIGINT
        # as ignored, and Ctrl-C must stop everything all the same.
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while not stopping and all(child.poll() is None for child in children.values()):
                time.sleep(0.5)
        finally:
            self._stop(children)

    def _stop(self, children):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut this short
        for child in children.values():
            if child.poll() is None:
                child.terminate()  # Celery: warm shutdown (acks_late tasks go back to the queue)
        deadline = time.monotonic() + 15
        for name, child in children.items():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"{name} ne s'arrête pas : arrêt forcé.")
            # Whatever is left in the child's group (pool processes, beat) goes too.
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            child.wait()
        self.stdout.write("MACHE arrêté.")
