"""What a backup is checked against (docs/backups.md, "The summary"): the row count of
every table, every ledger's trial balance, the numbering of invoices and credit notes,
and the stored documents' rows. The same functions read the source when the backup is
written (into the manifest) and the restored copy when it is checked (`manage.py
database_summary`, run by restore_check with DATABASE_URL naming the copy), so both sides
are computed by one code: accounting's own trial balance, purchasing's own numbers.

Everything is JSON-ready: amounts are Decimal written as strings, read back as Decimal
to be compared exactly.
"""

import datetime as dt
from decimal import Decimal

from django.db import connection

from accounting.models import Ledger
from accounting.statements import trial_balance
from mache.formats import format_eur
from mache.models import StoredDocument
from purchasing.models import CreditNote, CreditNoteSequence, Invoice, InvoiceSequence
from purchasing.services.credit_notes import credit_note_number
from purchasing.services.invoicing import invoice_number

# The listed gaps and wrong numbers stop there (the count of the rest is given).
LISTED = 20


def table_counts() -> dict[str, int]:
    """The rows of every table of the database (one query), by table name."""
    with connection.cursor() as cursor:
        names = sorted(connection.introspection.table_names(cursor, include_views=False))
        if not names:
            return {}
        quote = connection.ops.quote_name
        cursor.execute(
            " UNION ALL ".join(
                f"SELECT %s, count(*) FROM {quote(name)}"  # noqa: S608 (names from the catalogue)
                for name in names
            ),
            names,
        )
        return dict(sorted(cursor.fetchall()))


def ledger_balances() -> dict[str, dict]:
    """Each ledger's trial balance over all its lines (accounting.statements.trial_balance,
    the statement the accountant reads): per account its debit and credit totals, and
    the ledger's totals. Keyed by the ledger's id."""
    balances = {}
    for ledger in Ledger.objects.select_related("shop").order_by("pk"):
        balance = trial_balance(ledger=ledger, date_from=dt.date.min, date_to=dt.date.max)
        balances[str(ledger.pk)] = {
            "name": ledger.shop.name if ledger.shop_id else "coopérative",
            "debit": str(balance.total_debit),
            "credit": str(balance.total_credit),
            "accounts": [
                [account.account, str(account.debit), str(account.credit)]
                for account in balance.accounts
            ],
        }
    return balances


def _series(documents, counters, number_of) -> dict[str, dict]:
    """One year's numbering as purchasing gives it (docs/credit-notes.md: a counter row per
    year, moved in the document's transaction, the document's `sequence` from 1 and its
    `number` written from the year and the sequence): per year the count, the highest
    sequence, the counter, the missing sequences as ranges and the numbers that do not
    read as their sequence."""
    years: dict[int, dict] = {}
    for year, sequence, number in (
        documents.values_list("year", "sequence", "number")
        .order_by("year", "sequence")
        .iterator(chunk_size=5000)
    ):
        series = years.setdefault(
            year, {"count": 0, "last": 0, "counter": None, "missing": [], "misnumbered": []}
        )
        if sequence > series["last"] + 1 and len(series["missing"]) < LISTED:
            series["missing"].append([series["last"] + 1, sequence - 1])
        series["count"] += 1
        series["last"] = sequence
        if number != number_of(year, sequence) and len(series["misnumbered"]) < LISTED:
            series["misnumbered"].append(number)
    for year, last_number in counters.values_list("year", "last_number"):
        series = years.setdefault(
            year, {"count": 0, "last": 0, "counter": None, "missing": [], "misnumbered": []}
        )
        series["counter"] = last_number
        if last_number > series["last"] and len(series["missing"]) < LISTED:
            # Numbers taken by the counter whose documents are not there: a gap at the end.
            series["missing"].append([series["last"] + 1, last_number])
    return {str(year): years[year] for year in sorted(years)}


def numbering() -> dict[str, dict]:
    return {
        "invoices": _series(Invoice.objects, InvoiceSequence.objects, invoice_number),
        "credit_notes": _series(CreditNote.objects, CreditNoteSequence.objects, credit_note_number),
    }


SERIES_NAMES = {"invoices": "factures", "credit_notes": "avoirs"}


def numbering_problems(numbers: dict[str, dict]) -> list[str]:
    """What breaks the rule "no gap, one counter per year, numbers as their sequence", in
    French, one line a problem; [] when the numbering is whole."""
    problems = []
    for series_name, years in numbers.items():
        name = SERIES_NAMES.get(series_name, series_name)
        for year, series in years.items():
            if series["missing"]:
                ranges = ", ".join(
                    str(start) if start == end else f"{start} à {end}"
                    for start, end in series["missing"]
                )
                problems.append(f"{name} {year} : numéros manquants {ranges}")
            if series["counter"] is None:
                problems.append(f"{name} {year} : pas de compteur de numéros pour l'année")
            elif series["counter"] < series["last"]:
                problems.append(
                    f"{name} {year} : le compteur est à {series['counter']}, en dessous du "
                    f"dernier numéro émis ({series['last']})"
                )
            if series["misnumbered"]:
                problems.append(
                    f"{name} {year} : numéros qui ne suivent pas leur rang : "
                    + ", ".join(series["misnumbered"])
                )
    return problems


def stored_documents() -> dict[str, dict]:
    """Every StoredDocument row (mache.documents): key -> its name in the storage, its
    SHA-256 and size as recorded at issue."""
    return {
        key: {"name": name, "sha256": sha256, "size": size}
        for key, name, sha256, size in StoredDocument.objects.order_by("pk").values_list(
            "key", "name", "sha256", "size"
        )
    }


def database_summary() -> dict:
    """Rows per table, trial balances and numbering of the database Django is connected
    to, as the manifest keeps them."""
    return {"tables": table_counts(), "ledgers": ledger_balances(), "numbering": numbering()}


def _amount(value: str) -> Decimal:
    return Decimal(value)


def tables_compare(expected: dict[str, int], found: dict[str, int]) -> list[str]:
    """The tables whose row counts differ, in French ([] when all are equal)."""
    differences = []
    for name in sorted(set(expected) | set(found)):
        if name not in found:
            differences.append(f"{name} absente")
        elif name not in expected:
            differences.append(f"{name} en plus ({found[name]} lignes)")
        elif expected[name] != found[name]:
            differences.append(f"{name} : {found[name]} lignes au lieu de {expected[name]}")
    return differences


def ledgers_compare(expected: dict[str, dict], found: dict[str, dict]) -> list[str]:
    """The ledgers whose trial balance differs, account by account, compared as Decimal
    (exactly, "10.0" equals "10.00"); [] when every one is equal."""
    differences = []
    for ledger_id in sorted(set(expected) | set(found), key=int):
        want, have = expected.get(ledger_id), found.get(ledger_id)
        if have is None or want is None:
            differences.append(
                f"livre {ledger_id} ({(want or have)['name']}) "
                + ("absent" if have is None else "en plus")
            )
            continue
        accounts_want = {a[0]: (_amount(a[1]), _amount(a[2])) for a in want["accounts"]}
        accounts_have = {a[0]: (_amount(a[1]), _amount(a[2])) for a in have["accounts"]}
        changed = sorted(
            number
            for number in set(accounts_want) | set(accounts_have)
            if accounts_want.get(number) != accounts_have.get(number)
        )
        totals_differ = (_amount(want["debit"]), _amount(want["credit"])) != (
            _amount(have["debit"]),
            _amount(have["credit"]),
        )
        if changed or totals_differ:
            differences.append(
                f"livre {ledger_id} ({want['name']}) : débit {format_eur(have['debit'])} / "
                f"crédit {format_eur(have['credit'])} au lieu de {format_eur(want['debit'])} / "
                f"{format_eur(want['credit'])}"
                + (f", comptes {', '.join(changed[:LISTED])}" if changed else "")
            )
    return differences
