"""Memory of the FEC export of a big ledger (docs/fec.md, "The export"): one shop's
books with 1,000,000 entry lines (the ledger bench's year: 500,000 two-line entries
over 2026, 40 accounts), exported through the download's streaming response.

Each measure runs in a fresh subprocess (`bench.fec.measure`): Django set up and the
connection opened first, then the peak resident set size (VmHWM, reset to the current
RSS just before) is read after the whole file is consumed, chunk by chunk, as a web
server would send it; the growth is the export's cost. The streamed file must stay under +30 MiB
(FEC_LIMIT_MIB) whatever the size of the books. For comparison, the former way (the
whole file joined into bytes, `fec_export`) is measured too unless BENCH_FEC_COMPARE=0.

Environment: BENCH_FEC_LINES (1000000), BENCH_FEC_COMPARE (1), BENCH_SEED (2026).
Runs in a throw-away database (mache_bench_fec), never in the one of DATABASE_URL.
"""

import os
import random
import subprocess
import sys
import time

from django.conf import settings
from django.db import connection, transaction

from ._db import Stopwatch, analyze, database_url, is_postgresql, throwaway_database
from ._out import figure
from .ledger import CHUNK, YEAR, build_ledger, env_int, generate, load

FEC_LIMIT_MIB = 30


def main() -> None:
    if not is_postgresql():
        print("fec: skipped (needs PostgreSQL: set DATABASE_URL, as `make bench` does)")
        return
    lines = env_int("BENCH_FEC_LINES", 1_000_000) // 2 * 2
    compare = os.environ.get("BENCH_FEC_COMPARE", "1") != "0"
    started = time.perf_counter()
    with throwaway_database("mache_bench_fec") as name:
        print(f"setup: {time.perf_counter() - started:.1f} s (create and migrate {name})")
        ledger = fill(lines, random.Random(env_int("BENCH_SEED", 2026)))
        connection.close()  # the subprocesses alone use the database now
        growth, size, seconds = measure_in_subprocess(name, ledger.pk, "stream")
        print(
            f"FEC streamed: {size / 2**20:.0f} MiB, {lines} lines in {seconds:.1f} s; "
            f"peak RSS +{growth:.1f} MiB (limit +{FEC_LIMIT_MIB} MiB)"
        )
        figure("fec.lines", lines)
        figure("fec.mib", size / 2**20)
        figure("fec.stream_s", seconds)
        figure("fec.stream_rss_mib", growth)
        if compare:
            joined, size, seconds = measure_in_subprocess(name, ledger.pk, "join")
            print(
                f"FEC joined into bytes (fec_export, the former download): "
                f"{seconds:.1f} s; peak RSS +{joined:.1f} MiB"
            )
            figure("fec.joined_s", seconds)
            figure("fec.joined_rss_mib", joined)
        if growth >= FEC_LIMIT_MIB:
            raise AssertionError(
                f"fec bench: streaming the FEC grew the process by {growth:.1f} MiB "
                f"(limit {FEC_LIMIT_MIB} MiB)"
            )
        dropping = time.perf_counter()
    print(f"teardown: {time.perf_counter() - dropping:.1f} s (database dropped)")


def fill(line_count: int, rng: random.Random):
    """The ledger bench's year of books, loaded by COPY with the triggers off (the
    entries balance by construction; see bench/ledger.py)."""
    from accounting.models import Account, Entry, EntryLine, Journal

    ledger = build_ledger()
    accounts = dict(Account.objects.filter(ledger=ledger).values_list("number", "id"))
    journals = dict(Journal.objects.filter(ledger=ledger).values_list("code", "id"))
    entries = generate(line_count // 2, rng, ledger.pk, accounts, journals)
    with Stopwatch() as bulk:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            for start in range(0, len(entries), CHUNK // 2):
                load(entries[start : start + CHUNK // 2])
    del entries
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('accounting_entry', 'id'), "
            "(SELECT max(id) FROM accounting_entry))"
        )
    analyze(Entry._meta.db_table, EntryLine._meta.db_table)
    print(f"load: {line_count} lines by COPY in {bulk.seconds:.1f} s")
    return ledger


def measure_in_subprocess(name: str, ledger_id: int, mode: str) -> tuple[float, int, float]:
    """(peak RSS growth in MiB, bytes, seconds) of one export in a fresh process."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from bench.fec import measure; "
            f"measure({ledger_id}, {mode!r})",
        ],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DATABASE_URL": database_url(name),
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "mache.settings"),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"fec bench ({mode}) failed:\n{result.stderr}")
    growth, size, seconds = result.stdout.split()
    return float(growth), int(size), float(seconds)


def _status_mib(key: str) -> float:
    """VmRSS or VmHWM (the peak) of this process, from /proc (Linux), in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {key} in /proc/self/status")


def _reset_peak() -> float:
    """Resets the peak RSS to the current RSS and returns it (MiB).

    Not ru_maxrss: a process started by fork and exec keeps the parent's peak at the
    fork (this bench's own, hundreds of MiB after generating the books) in ru_maxrss.
    VmHWM belongs to the process's own memory map, and writing 5 to clear_refs sets it
    back to the current RSS (Linux 4.0 and later)."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")
    return _status_mib("VmRSS")


def measure(ledger_id: int, mode: str) -> None:
    """In the subprocess: export the FEC of ledger `ledger_id` and print the growth of
    the peak RSS (MiB), the file's size and the time taken. Django is set up."""
    from accounting.apis.fec import fec_response
    from accounting.fec import fec_export, fec_stream
    from accounting.models import Ledger

    ledger = Ledger.objects.select_related("shop").get(pk=ledger_id)  # connection open
    before = _reset_peak()
    started = time.perf_counter()
    size = 0
    if mode == "stream":
        response = fec_response(*fec_stream(ledger=ledger, year=YEAR))
        for chunk in response:  # what the WSGI server does
            size += len(chunk)
        response.close()
    else:
        size = len(fec_export(ledger=ledger, year=YEAR)[1])
    seconds = time.perf_counter() - started
    print(f"{_status_mib('VmHWM') - before:.1f} {size} {seconds:.2f}")
