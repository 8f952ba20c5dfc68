"""Statements of a big ledger: one shop's books with 1,000,000 entry lines (500,000
balanced two-line entries spread over 2026, 40 accounts).

Times, over the whole year and best of 3, the trial balance (one aggregate query over
the lines), the VAT statement and the income statement; then the general ledger of one
month. Also measures what the commit-time balance check (the deferred constraint
triggers of accounting migration 0002) costs per line, on a sample loaded with it.

Environment: BENCH_LEDGER_LINES (1000000), BENCH_LEDGER_CHECKED (20000: lines of the
sample loaded with the triggers on), BENCH_SEED (2026), BENCH_EXPLAIN=1 (print the
trial balance's query plan).
Runs in a throw-away database (mache_bench_ledger: not the consolidation bench's, so
both may run at once), never in the one of DATABASE_URL.
"""

import datetime as dt
import os
import random
import time
from decimal import Decimal

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mache.db import insert_rows

from ._db import Stopwatch, analyze, best_of, is_postgresql, sirets, throwaway_database
from ._out import figure

YEAR = 2026
CHUNK = 200_000  # lines per COPY: insert_rows holds its rows in memory
FIRST_DAY, LAST_DAY = dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)
R55, R10, R20 = Decimal("5.50"), Decimal("10.00"), Decimal("20.00")

BARE_GROUP_BY = """
    SELECT account_id, SUM(debit), SUM(credit) FROM accounting_entryline
    WHERE ledger_id = %s AND date BETWEEN %s AND %s GROUP BY account_id
"""

# 22 accounts on top of the 18 of the chart: 40 in all.
EXTRA_ACCOUNTS = [
    ("44566055", "TVA déductible 5,5 %", "asset"),
    ("44566200", "TVA déductible 20 %", "asset"),
    ("44571055", "TVA collectée 5,5 %", "liability"),
    ("44571100", "TVA collectée 10 %", "liability"),
    ("44571200", "TVA collectée 20 %", "liability"),
    ("606100", "Fournitures non stockables (eau, énergie)", "expense"),
    ("606300", "Fournitures d'entretien et de petit équipement", "expense"),
    ("613200", "Locations immobilières", "expense"),
    ("615000", "Entretien et réparations", "expense"),
    ("616000", "Primes d'assurances", "expense"),
    ("623000", "Publicité", "expense"),
    ("626000", "Frais postaux et de télécommunications", "expense"),
    ("627000", "Services bancaires", "expense"),
    ("635100", "Impôts directs", "expense"),
    ("641000", "Rémunérations du personnel", "expense"),
    ("645100", "Cotisations à l'URSSAF", "expense"),
    ("661100", "Intérêts des emprunts", "expense"),
    ("707100", "Ventes épicerie", "income"),
    ("707200", "Ventes produits frais", "income"),
    ("707300", "Ventes boissons", "income"),
    ("401100", "Fournisseurs locaux", "liability"),
    ("421000", "Personnel, rémunérations dues", "liability"),
]

# (weight, journal, debit account, credit account, rate of the debit line, rate of the
# credit line, cents from, cents to): a shop's year in two-line entries.
TEMPLATES = [
    (30, "VTE", "530000", "707100", None, R55, 500, 40_000),
    (15, "VTE", "512000", "707200", None, R55, 500, 30_000),
    (8, "VTE", "530000", "707300", None, R20, 300, 15_000),
    (4, "VTE", "512000", "707000", None, R10, 300, 10_000),
    (12, "VTE", "530000", "44571055", None, R55, 20, 2_000),
    (3, "VTE", "530000", "44571200", None, R20, 50, 3_000),
    (2, "VTE", "512000", "44571100", None, R10, 30, 1_000),
    (1, "VTE", "530000", "445710", None, R55, 20, 1_000),
    (8, "ACH", "607000", "401000", R55, None, 5_000, 150_000),
    (2, "ACH", "624100", "401000", R20, None, 1_000, 5_000),
    (2, "ACH", "622800", "401000", R20, None, 500, 4_000),
    (4, "ACH", "44566055", "401000", R55, None, 300, 10_000),
    (1, "ACH", "445660", "401100", R20, None, 100, 1_000),
    (1, "ACH", "44566200", "401100", R20, None, 100, 1_000),
    (2, "ACH", "606100", "401100", R20, None, 2_000, 30_000),
    (1, "ACH", "606300", "401100", R20, None, 500, 8_000),
    (1, "ACH", "615000", "401100", R20, None, 1_000, 20_000),
    (4, "BQ", "401000", "512000", None, None, 5_000, 200_000),
    (1, "BQ", "401100", "512000", None, None, 1_000, 30_000),
    (1, "BQ", "613200", "512000", None, None, 20_000, 40_000),
    (1, "BQ", "616000", "512000", None, None, 5_000, 20_000),
    (1, "BQ", "623000", "512000", None, None, 1_000, 10_000),
    (1, "BQ", "626000", "512000", None, None, 2_000, 8_000),
    (1, "BQ", "627000", "512000", None, None, 100, 3_000),
    (1, "BQ", "635100", "512000", None, None, 10_000, 50_000),
    (1, "BQ", "661100", "512000", None, None, 1_000, 5_000),
    (1, "OD", "641000", "421000", None, None, 60_000, 120_000),
    (1, "OD", "645100", "512000", None, None, 20_000, 60_000),
    (1, "BQ", "421000", "512000", None, None, 60_000, 120_000),
    (3, "CAI", "512000", "530000", None, None, 10_000, 200_000),
    (1, "OD", "603700", "370000", None, None, 1_000, 50_000),
    (1, "OD", "370000", "603700", None, None, 1_000, 50_000),
    (1, "OD", "512000", "758000", None, None, 100, 5_000),
    (1, "OD", "658000", "512000", None, None, 100, 2_000),
    (1, "BQ", "512000", "101300", None, None, 5_000, 10_000),
    (1, "VTE", "411000", "706000", None, R20, 1_000, 10_000),
    (1, "VTE", "411000", "708000", None, R20, 500, 3_000),
    (1, "BQ", "580000", "411000", None, None, 1_000, 10_000),
    (1, "BQ", "512000", "580000", None, None, 1_000, 10_000),
]


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def main() -> None:
    if not is_postgresql():
        print("ledger: skipped (needs PostgreSQL: set DATABASE_URL, as `make bench` does)")
        return
    lines = env_int("BENCH_LEDGER_LINES", 1_000_000)
    checked = min(lines, env_int("BENCH_LEDGER_CHECKED", 20_000))
    seed = env_int("BENCH_SEED", 2026)
    started = time.perf_counter()
    with throwaway_database("mache_bench_ledger") as name:
        print(f"setup: {time.perf_counter() - started:.1f} s (create and migrate {name})")
        run(lines // 2 * 2, checked // 2 * 2, random.Random(seed))
        dropping = time.perf_counter()
    print(f"teardown: {time.perf_counter() - dropping:.1f} s (database dropped)")


def run(line_count: int, checked: int, rng: random.Random) -> None:
    from accounting.models import Account, Entry, EntryLine, Journal
    from accounting.statements import (
        general_ledger,
        income_statement,
        trial_balance,
        vat_statement,
    )

    ledger = build_ledger()
    accounts = dict(Account.objects.filter(ledger=ledger).values_list("number", "id"))
    journals = dict(Journal.objects.filter(ledger=ledger).values_list("code", "id"))
    with Stopwatch() as generating:
        entries = generate(line_count // 2, rng, ledger.pk, accounts, journals)
    print(
        f"generate: {len(entries)} two-line entries over {YEAR}, {len(accounts)} accounts: "
        f"{generating.seconds:.1f} s"
    )

    # The sample first, the way the services write: balance triggers on, checked at COMMIT.
    sample = checked // 2
    started = time.perf_counter()
    with transaction.atomic():
        load(entries[:sample])
        copied = time.perf_counter()
    commit = time.perf_counter() - copied
    if sample:
        per_line = commit / (sample * 2)
        print(
            f"balance check at COMMIT: {sample} entries, {sample * 2} lines: {commit:.2f} s "
            f"(COPY {copied - started:.2f} s); {per_line * 1e6:.0f} µs a line, "
            f"about {per_line * line_count:.0f} s for {line_count} lines"
        )
        figure("ledger.balance_check_us_per_line", per_line * 1e6)

    # The rest with the triggers off. Checked at commit, 1,000,000 lines cost tens of
    # seconds of per-row trigger calls (measured above) for data that is balanced by
    # construction (two lines, debit = credit); session_replication_role = replica
    # (superuser only, and only for this transaction: SET LOCAL) skips every trigger,
    # foreign-key checks included. One set-based query checks the balances instead.
    with Stopwatch() as bulk:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            for start in range(sample, len(entries), CHUNK // 2):
                load(entries[start : start + CHUNK // 2])
    print(
        f"load: {len(entries) - sample} entries, {(len(entries) - sample) * 2} lines by COPY "
        f"in {bulk.seconds:.1f} s (triggers off: session_replication_role = replica)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('accounting_entry', 'id'), "
            "(SELECT max(id) FROM accounting_entry))"
        )
        with Stopwatch() as check:
            cursor.execute("""
                SELECT count(*) FROM (
                    SELECT entry_id FROM accounting_entryline GROUP BY entry_id
                    HAVING sum(debit) <> sum(credit) OR count(*) < 2) unbalanced""")
            unbalanced = cursor.fetchone()[0]
    print(f"balances checked in one query: {unbalanced} unbalanced entries ({check.seconds:.2f} s)")
    if unbalanced:
        raise AssertionError("ledger bench: the generated entries do not balance")

    with Stopwatch() as analysing:
        analyze(Entry._meta.db_table, EntryLine._meta.db_table)
        with connection.cursor() as cursor:
            # One untimed pass: it reads the freshly COPYed pages once (setting their hint
            # bits), so that no measure below pays for the load.
            cursor.execute("SELECT count(*), sum(debit) FROM accounting_entryline")
    print(f"analyze: {analysing.seconds:.1f} s")

    year = {"ledger": ledger, "date_from": FIRST_DAY, "date_to": LAST_DAY}
    total_lines = EntryLine.objects.filter(ledger=ledger).count()
    seconds, balance, queries = timed(lambda: trial_balance(**year))
    print(
        f"trial balance: {total_lines} lines, {len(balance.accounts)} accounts: "
        f"{seconds:.3f} s ({queries} query)"
    )
    if balance.total_debit != balance.total_credit:
        raise AssertionError("ledger bench: the trial balance does not balance")
    figure("ledger.lines", total_lines)
    figure("ledger.trial_balance_s", seconds)
    trial_seconds = seconds

    def bare():
        with connection.cursor() as cursor:
            cursor.execute(BARE_GROUP_BY, [ledger.pk, FIRST_DAY, LAST_DAY])
            return cursor.fetchall()

    bare_seconds, _ = best_of(3, bare)
    print(f"bare GROUP BY account_id, no label joined: {bare_seconds:.3f} s (the floor)")
    figure("ledger.group_by_s", bare_seconds)
    figure("ledger.trial_balance_ratio", trial_seconds / bare_seconds)
    if os.environ.get("BENCH_EXPLAIN"):
        explain(trial_balance, year)

    seconds, vat, queries = timed(lambda: vat_statement(**year))
    print(
        f"VAT statement: {len(vat.collected)} collected and {len(vat.deductible)} deductible "
        f"rates, net due {vat.net_due} EUR: {seconds:.3f} s ({queries} query)"
    )
    figure("ledger.vat_statement_s", seconds)
    seconds, income, queries = timed(lambda: income_statement(**year))
    print(
        f"income statement: result {income.result} EUR, margin rate {income.margin_rate} %: "
        f"{seconds:.3f} s ({queries} query)"
    )
    figure("ledger.income_statement_s", seconds)

    january = {"ledger": ledger, "date_from": FIRST_DAY, "date_to": dt.date(YEAR, 1, 31)}
    seconds, book, queries = timed(lambda: general_ledger(**january), runs=1)
    month_lines = sum(len(account.lines) for account in book.accounts)
    print(f"general ledger of January: {month_lines} lines: {seconds:.2f} s ({queries} queries)")
    figure("ledger.general_ledger_month_s", seconds)
    figure("ledger.general_ledger_month_lines", month_lines)


def timed(compute, runs: int = 3):
    """Best of `runs`, the result, and the number of queries of one run."""
    with CaptureQueriesContext(connection) as queries:
        compute()
    seconds, result = best_of(runs, compute)
    return seconds, result, len(queries)


def explain(compute, period) -> None:
    with CaptureQueriesContext(connection) as queries:
        compute(**period)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + queries.captured_queries[0]["sql"])
        for (line,) in cursor.fetchall():
            print(f"  {line}")


def build_ledger():
    """One shop and its books (the chart, the journals) through the services, plus the
    accounts that bring the chart to 40."""
    from accounting.models import Account
    from accounting.services import ledger_for_shop
    from shops.models import Shop

    shop = Shop.objects.create(
        name="Épicerie bench",
        legal_name="ÉPICERIE BENCH",
        siret=sirets(1)[0],
        postcode="35560",
        commune="Rimou",
        status=Shop.Status.ACTIVE,
    )
    ledger = ledger_for_shop(shop)
    Account.objects.bulk_create(
        Account(ledger=ledger, number=number, label=label, kind=kind)
        for number, label, kind in EXTRA_ACCOUNTS
    )
    return ledger


def generate(count: int, rng: random.Random, ledger_id: int, accounts: dict, journals: dict):
    """`count` entries as (entry row, two line rows), in date order as posted in a year;
    numbers follow per journal. Amounts are text ("123.45"): COPY parses them as numeric,
    exactly, and no Decimal is built a million times."""
    templates = [
        (
            journals[journal],
            journal,
            accounts[debit],
            accounts[credit],
            debit_rate,
            credit_rate,
            low,
            high,
        )
        for _, journal, debit, credit, debit_rate, credit_rate, low, high in TEMPLATES
    ]
    weights = [template[0] for template in TEMPLATES]
    chosen = rng.choices(templates, weights=weights, k=count)
    numbers = dict.fromkeys(journals.values(), 0)
    posted_at = timezone.now()
    days = (LAST_DAY - FIRST_DAY).days + 1
    entries = []
    for index, template in enumerate(chosen, start=1):
        journal_id, code, debit_id, credit_id, debit_rate, credit_rate, low, high = template
        numbers[journal_id] += 1
        number = numbers[journal_id]
        day = FIRST_DAY + dt.timedelta(days=(index - 1) * days // count)
        cents = rng.randint(low, high)
        amount = f"{cents // 100}.{cents % 100:02d}"
        label = f"{code} {number}"
        piece = f"P-{index}"
        entries.append(
            (
                (index, ledger_id, journal_id, YEAR, number, day, label, piece, day, posted_at),
                (index, ledger_id, day, debit_id, label, amount, "0", debit_rate),
                (index, ledger_id, day, credit_id, label, "0", amount, credit_rate),
            )
        )
    return entries


def load(entries) -> None:
    from accounting.models import Entry, EntryLine

    insert_rows(
        Entry,
        [
            "id",
            "ledger_id",
            "journal_id",
            "fiscal_year",
            "number",
            "date",
            "label",
            "piece_ref",
            "piece_date",
            "posted_at",
        ],
        (entry for entry, _, _ in entries),
    )
    insert_rows(
        EntryLine,
        ["entry_id", "ledger_id", "date", "account_id", "label", "debit", "credit", "vat_rate"],
        (line for _, debit, credit in entries for line in (debit, credit)),
    )
