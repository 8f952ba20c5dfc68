"""Writes of the books: ledgers, the posting engine, reversals (closing a period:
`accounting.closing`; the automatic postings: `accounting.postings`).

`entries_post` posts any number of entries in a fixed number of queries. It checks
every rule first (two lines at least, one side per line, cents only, balanced,
accounts of the ledger, an open month), then, in one transaction: locks the ledger rows
(closing a month locks them too, so no entry slips into a month being closed) and the
journal's counter row for the year (numbers without gaps, even with concurrent
posting), skips entries whose source document was posted already (idempotent), and
inserts. PostgreSQL checks the balance again at commit (migration 0002).
"""

import csv
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalogue.models import Supplier
from mache.errors import BusinessRuleError, InvalidInput
from mache.formats import format_eur
from mache.money import CENT, ZERO
from mache.periods import paris_today
from shops.dates import business_date_check
from shops.models import Shop

from . import auxiliaries
from .fiscal_calendar import span_of
from .models import (
    Account,
    AuxiliaryAccount,
    ClosedPeriod,
    Entry,
    EntryLine,
    EntrySequence,
    FiscalYear,
    Journal,
    Ledger,
    SalesDay,
)

CHART_FILE = Path(__file__).resolve().parent / "chart_of_accounts.csv"
JOURNALS = [
    ("ACH", "Achats"),
    ("VTE", "Ventes"),
    ("BQ", "Banque"),
    ("CAI", "Caisse"),
    ("OD", "Opérations diverses"),
]
# À-nouveaux: written by the closing and the opening balances alone, never by hand; the
# journal is added to a ledger when first used (docs/fiscal-years.md).
OPENING_JOURNAL = "AN"


class PeriodClosed(BusinessRuleError):
    code = "period_closed"
    default_detail = "Ce mois est clôturé : il n'accepte plus d'écriture."


class FiscalYearClosed(BusinessRuleError):
    code = "fiscal_year_closed"
    default_detail = "Cet exercice est clôturé : il n'accepte plus d'écriture."


class AlreadyReversed(BusinessRuleError):
    code = "already_reversed"
    default_detail = "Cette écriture a déjà été extournée."


# --- Ledgers ------------------------------------------------------------------------


def chart_of_accounts() -> list[tuple[str, str, str]]:
    with CHART_FILE.open(encoding="utf-8") as handle:
        return [(row["account"], row["label"], row["kind"]) for row in csv.DictReader(handle)]


def _ledger_get_or_create(**lookup) -> Ledger:
    ledger = Ledger.objects.filter(**lookup).first()
    if ledger is not None:
        return ledger
    try:
        with transaction.atomic():
            ledger = Ledger.objects.create(**lookup)
            Account.objects.bulk_create(
                Account(ledger=ledger, number=number, label=label, kind=kind)
                for number, label, kind in chart_of_accounts()
            )
            Journal.objects.bulk_create(
                Journal(ledger=ledger, code=code, label=label) for code, label in JOURNALS
            )
    except IntegrityError:  # created by a concurrent transaction meanwhile
        ledger = Ledger.objects.get(**lookup)
    return ledger


def ledger_for_shop(shop) -> Ledger:
    """The shop's ledger, created with the chart of accounts and the five journals."""
    return _ledger_get_or_create(kind=Ledger.Kind.SHOP, shop=shop)


def shop_ledgers(shop_ids) -> dict[int, Ledger]:
    """The ledgers of these shops by shop id (one query when they all exist), each
    created as `ledger_for_shop` does when missing."""
    ledgers = {
        ledger.shop_id: ledger
        for ledger in Ledger.objects.filter(kind=Ledger.Kind.SHOP, shop_id__in=shop_ids)
    }
    for shop_id in sorted(set(shop_ids) - set(ledgers)):
        ledgers[shop_id] = _ledger_get_or_create(kind=Ledger.Kind.SHOP, shop_id=shop_id)
    return ledgers


def cooperative_ledger() -> Ledger:
    return _ledger_get_or_create(kind=Ledger.Kind.COOPERATIVE, shop=None)


# --- Posting --------------------------------------------------------------------------


@dataclass(frozen=True)
class LineIn:
    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    label: str = ""
    auxiliary: tuple[str, str] | None = None  # (code, label), created when first used
    vat_rate: Decimal | None = None


@dataclass
class EntryIn:
    ledger: Ledger
    journal: str
    date: dt.date
    label: str
    piece_ref: str
    lines: list[LineIn]
    piece_date: dt.date | None = None
    source: str | None = None
    reversal_of: Entry | None = None
    user: object = None
    errors: list[str] = field(default_factory=list)
    fiscal_year: int | None = None  # set by the engine (docs/fiscal-years.md)


def _line_errors(lines: list[LineIn]) -> list[str]:
    errors = []
    if len(lines) < 2:
        errors.append("Une écriture compte au moins deux lignes.")
    for number, line in enumerate(lines, start=1):
        for side in (line.debit, line.credit):
            if side < 0:
                errors.append(f"Ligne {number} : montant négatif.")
            elif side != side.quantize(CENT):
                errors.append(f"Ligne {number} : deux décimales au plus.")
        if line.debit and line.credit:
            errors.append(f"Ligne {number} : un débit ou un crédit, pas les deux.")
        if not line.debit and not line.credit:
            errors.append(f"Ligne {number} : montant nul.")
    debit = sum((line.debit for line in lines), ZERO)
    credit = sum((line.credit for line in lines), ZERO)
    if debit != credit:
        errors.append(
            f"Écriture déséquilibrée : débit {format_eur(debit)} ≠ crédit {format_eur(credit)}."
        )
    return errors


def _closed_months(ledger_ids) -> set[tuple[int, dt.date]]:
    return set(
        ClosedPeriod.objects.filter(ledger_id__in=ledger_ids).values_list("ledger_id", "month")
    )


def _fiscal_years_assign(entries: list[EntryIn], ledger_ids) -> None:
    """Name each entry's fiscal year (the year of its closing date), refusing one dated in
    a closed year: 409 fiscal_year_closed (docs/fiscal-years.md). One query."""
    years = defaultdict(list)
    for year in FiscalYear.objects.filter(ledger_id__in=ledger_ids).order_by("start"):
        years[year.ledger_id].append(year)
    for entry in entries:
        span = span_of(entry.date, years[entry.ledger.pk])
        if span.closed:
            raise FiscalYearClosed(
                f"L'exercice du {span.start:%d/%m/%Y} au {span.end:%d/%m/%Y} est clôturé : "
                f"il n'accepte plus d'écriture datée du {entry.date:%d/%m/%Y}."
            )
        entry.fiscal_year = span.name


def entries_post(*, entries: list[EntryIn]) -> list[Entry]:
    """Post entries (any ledgers); see the module doc. Returns them in the order given,
    the already-posted entry standing for one whose source was posted before.

    Raises InvalidInput ({"lines": [...]}, {"date": [...]}) and posts nothing when any
    entry breaks a rule.
    """
    if not entries:
        return []
    problems = {}
    for index, entry in enumerate(entries):
        errors = _line_errors(entry.lines)
        if errors:
            problems.setdefault("lines", []).extend(
                errors if len(entries) == 1 else [f"Écriture {index + 1} : {e}" for e in errors]
            )
    if problems:
        raise InvalidInput(problems)

    ledger_ids = sorted({entry.ledger.pk for entry in entries})
    with transaction.atomic():
        list(Ledger.objects.select_for_update().filter(pk__in=ledger_ids).order_by("pk"))
        _fiscal_years_assign(entries, ledger_ids)
        closed = _closed_months(ledger_ids)
        for entry in entries:
            if (entry.ledger.pk, entry.date.replace(day=1)) in closed:
                raise PeriodClosed(
                    f"Le mois de {entry.date:%m/%Y} est clôturé : il n'accepte plus d'écriture."
                )

        sources = {(e.ledger.pk, e.source) for e in entries if e.source}
        posted = {}
        if sources:
            for existing in Entry.objects.filter(
                ledger_id__in=ledger_ids, source__in={s for _, s in sources}
            ):
                posted[(existing.ledger_id, existing.source)] = existing
        todo = [e for e in entries if not e.source or (e.ledger.pk, e.source) not in posted]
        # Two entries of one batch with the same source: the first one counts.
        seen, unique = set(), []
        for entry in todo:
            key = (entry.ledger.pk, entry.source)
            if entry.source and key in seen:
                continue
            seen.add(key)
            unique.append(entry)

        accounts = {
            (a.ledger_id, a.number): a for a in Account.objects.filter(ledger_id__in=ledger_ids)
        }
        unknown = sorted(
            {
                f"{line.account}"
                for e in unique
                for line in e.lines
                if (e.ledger.pk, line.account) not in accounts
            }
        )
        if unknown:
            raise InvalidInput(
                {
                    "lines": [
                        f"Compte {number} absent du plan comptable de ce livre."
                        for number in unknown
                    ]
                }
            )
        auxiliaries = _auxiliaries(unique, accounts)
        journals = {
            (j.ledger_id, j.code): j for j in Journal.objects.filter(ledger_id__in=ledger_ids)
        }
        numbers = _next_numbers(unique, journals)

        now = timezone.now()
        rows = [
            _entry_row(entry, journals[(entry.ledger.pk, entry.journal)], numbers, now)
            for entry in unique
        ]
        Entry.objects.bulk_create(rows)
        EntryLine.objects.bulk_create(
            EntryLine(
                entry=row,
                ledger_id=entry.ledger.pk,
                date=entry.date,
                account=accounts[(entry.ledger.pk, line.account)],
                auxiliary=auxiliaries.get((entry.ledger.pk, line.auxiliary[0]))
                if line.auxiliary
                else None,
                label=(line.label or entry.label)[:200],
                debit=line.debit,
                credit=line.credit,
                vat_rate=line.vat_rate,
            )
            for entry, row in zip(unique, rows, strict=True)
            for line in entry.lines
        )
    by_key = {(e.ledger.pk, e.source): row for e, row in zip(unique, rows, strict=True) if e.source}
    result = []
    new_rows = iter(rows)
    for entry in entries:
        if entry.source:
            result.append(
                posted.get((entry.ledger.pk, entry.source))
                or by_key[(entry.ledger.pk, entry.source)]
            )
        else:
            result.append(next(new_rows))
    return result


def _entry_row(entry: EntryIn, journal: Journal, numbers, now) -> Entry:
    return Entry(
        ledger=entry.ledger,
        journal=journal,
        fiscal_year=entry.fiscal_year,
        number=numbers[(journal.pk, entry.fiscal_year)].pop(0),
        date=entry.date,
        label=entry.label[:200],
        piece_ref=entry.piece_ref[:60],
        piece_date=entry.piece_date or entry.date,
        source=entry.source,
        reversal_of=entry.reversal_of,
        posted_at=now,
        created_by=entry.user if getattr(entry.user, "pk", None) else None,
    )


def _auxiliaries(entries, accounts) -> dict[tuple[int, str], AuxiliaryAccount]:
    wanted = {}
    for entry in entries:
        for line in entry.lines:
            if line.auxiliary:
                code, label = line.auxiliary
                wanted[(entry.ledger.pk, code)] = (accounts[(entry.ledger.pk, line.account)], label)
    if not wanted:
        return {}
    AuxiliaryAccount.objects.bulk_create(
        [
            AuxiliaryAccount(ledger_id=ledger_id, code=code, account=account, label=label[:120])
            for (ledger_id, code), (account, label) in wanted.items()
        ],
        ignore_conflicts=True,
    )
    return {
        (a.ledger_id, a.code): a
        for a in AuxiliaryAccount.objects.filter(
            ledger_id__in={k[0] for k in wanted}, code__in={k[1] for k in wanted}
        )
    }


def _next_numbers(entries, journals) -> dict[tuple[int, int], list[int]]:
    """Reserve numbers from each (journal, year) counter, locked until commit."""
    wanted = defaultdict(int)
    for entry in entries:
        wanted[(journals[(entry.ledger.pk, entry.journal)].pk, entry.fiscal_year)] += 1
    if not wanted:
        return {}
    EntrySequence.objects.bulk_create(
        [EntrySequence(journal_id=j, fiscal_year=y) for j, y in wanted], ignore_conflicts=True
    )
    sequences = (
        EntrySequence.objects.select_for_update()
        .filter(journal_id__in={j for j, _ in wanted}, fiscal_year__in={y for _, y in wanted})
        .order_by("pk")
    )
    numbers = {}
    changed = []
    for sequence in sequences:
        key = (sequence.journal_id, sequence.fiscal_year)
        if key in wanted:
            first = sequence.last_number + 1
            sequence.last_number += wanted[key]
            numbers[key] = list(range(first, sequence.last_number + 1))
            changed.append(sequence)
    EntrySequence.objects.bulk_update(changed, ["last_number"])
    return numbers


def entry_post(**kwargs) -> Entry:
    """One entry: see `entries_post`."""
    return entries_post(entries=[EntryIn(**kwargs)])[0]


# A manual entry's lines: enough for any real correcting entry (a year's payroll
# spread, a stock sheet), few enough to keep the page and the posting quick
# (docs/postings.md, "Manual entries").
MAX_MANUAL_LINES = 500
PIECE_REF_REQUIRED = "Indiquez la pièce : le numéro du document (facture, relevé, note...)."


@dataclass(frozen=True)
class ManualLineIn:
    """A line as the accountant types it: `aux` is a code (COOP, F000045, C000123, or
    one the ledger already has), judged by `manual_entry_post`."""

    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    label: str = ""
    aux: str = ""


def _manual_auxiliaries(
    ledger: Ledger, lines: list[ManualLineIn]
) -> tuple[dict[int, tuple[str, str]], list[str]]:
    """The auxiliary (code, label) of each line that names one, by line number, and the
    errors "Ligne N : ..." (accounting.auxiliaries: a 401/411 line needs a real third
    party, any other line none). Three queries at most, whatever the number of lines."""
    shop_ledger = ledger.shop_id is not None
    codes = {line.aux.strip() for line in lines if line.aux.strip()}
    known = {
        aux.code: aux
        for aux in AuxiliaryAccount.objects.filter(ledger=ledger, code__in=codes).select_related(
            "account"
        )
    }
    parties = {code: auxiliaries.third_party_of(code) for code in codes - set(known)}
    supplier_ids = {p.id for p in parties.values() if p and p.kind == "supplier"}
    shop_ids = {p.id for p in parties.values() if p and p.kind == "shop"}
    suppliers = (
        dict(Supplier.objects.filter(pk__in=supplier_ids).values_list("pk", "name"))
        if supplier_ids
        else {}
    )
    shops = dict(Shop.objects.filter(pk__in=shop_ids).values_list("pk", "name")) if shop_ids else {}
    found, errors = {}, []
    for number, line in enumerate(lines, start=1):
        code = line.aux.strip()
        if not auxiliaries.needs_aux(line.account):
            if code:
                errors.append(
                    f"Ligne {number} : pas de compte auxiliaire sur le compte {line.account} "
                    "(seulement sur les comptes 401 et 411)."
                )
            continue
        expected = auxiliaries.expected(line.account, shop_ledger=shop_ledger)
        if not code:
            errors.append(
                f"Ligne {number} : compte auxiliaire obligatoire sur le compte {line.account}"
                f" : {expected}."
            )
            continue
        if code in known:
            aux = known[code]
            if aux.account.number != line.account:
                errors.append(
                    f"Ligne {number} : le compte auxiliaire {code} est rattaché au compte "
                    f"{aux.account.number}, pas au compte {line.account}."
                )
            else:
                found[number] = (aux.code, aux.label)
            continue
        party = parties.get(code)
        name = None
        if party and auxiliaries.fits(party, account=line.account, shop_ledger=shop_ledger):
            if party.kind == "coop":
                name = auxiliaries.COOP_AUX[1]
            elif party.kind == "supplier":
                name = suppliers.get(party.id)
            elif party.id != ledger.shop_id:
                name = shops.get(party.id)
        if name is None:
            errors.append(
                f"Ligne {number} : compte auxiliaire « {code} » inconnu sur le compte "
                f"{line.account} : {expected}."
            )
        else:
            found[number] = (code, name)
    return found, errors


def manual_entry_post(
    *,
    ledger: Ledger,
    journal: str,
    date: dt.date,
    label: str,
    piece_ref: str,
    lines: list[ManualLineIn],
    user,
    piece_date: dt.date | None = None,
) -> Entry:
    """A correcting entry typed by an accountant or a coordinator (docs/postings.md,
    "Manual entries"): 2 to MAX_MANUAL_LINES lines, the piece the accountant typed (never
    made up), a real auxiliary account on every 401/411 line, one piece date for the
    whole entry (the entry's date unless given). 400 naming the field (the line in its
    message) when a rule is broken, out of the ledger's business dates or in a closed
    month; nothing is written then."""
    piece_ref = (piece_ref or "").strip()
    problems = {}
    if not piece_ref:
        problems["piece_ref"] = [PIECE_REF_REQUIRED]
    if (
        journal == OPENING_JOURNAL  # the AN entry is the closing's or the opening balances'
        or not Journal.objects.filter(ledger=ledger, code=journal).exists()
    ):
        problems["journal"] = [f"Journal « {journal} » inconnu dans ce livre."]
    if len(lines) > MAX_MANUAL_LINES:
        problems["lines"] = [
            f"Une écriture compte {MAX_MANUAL_LINES} lignes au plus ({len(lines)} reçues)."
        ]
    else:
        found, aux_errors = _manual_auxiliaries(ledger, lines)
        posted_lines = [
            LineIn(
                account=line.account,
                debit=line.debit,
                credit=line.credit,
                label=line.label,
                auxiliary=found.get(number),
            )
            for number, line in enumerate(lines, start=1)
        ]
        line_errors = _line_errors(posted_lines) + aux_errors
        if line_errors:
            problems["lines"] = line_errors
    if problems:
        raise InvalidInput(problems)
    business_date_check(on=date, shop=ledger.shop, field="date")
    try:
        return entry_post(
            ledger=ledger,
            journal=journal,
            date=date,
            label=label,
            piece_ref=piece_ref,
            piece_date=piece_date or date,
            lines=posted_lines,
            user=user,
        )
    except PeriodClosed as exc:
        raise InvalidInput({"date": [exc.detail]}) from exc


def reversal_label(reference: str, label: str) -> str:
    """The label of a reversal and of each of its lines: the original's EcritureNum and
    label (docs/postings.md, "Reversals")."""
    return f"Extourne {reference} : {label}"


def reversal_piece_ref(reference: str) -> str:
    """A reversal's own piece: `EXT-` and the EcritureNum of the entry it reverses."""
    return f"EXT-{reference}"


def entry_reverse(*, entry: Entry, date: dt.date | None = None, user=None) -> Entry:
    """The reversal of a posted entry: the same lines, sides swapped, each labelled
    `Extourne <EcritureNum> : <label>`, its own piece `EXT-<EcritureNum>` dated the
    reversal's day, in an open month (409 `period_closed` otherwise), dated (default
    today in Paris) within the ledger's business dates and not before the entry it
    reverses (docs/postings.md, "Reversals"). A Z ticket's entry reversed, the ticket
    no longer stands (its day is free for a new ticket), in the same transaction."""
    date = date or paris_today()
    with transaction.atomic():
        original = (
            Entry.objects.select_for_update(of=("self",))
            .select_related("ledger__shop", "journal")
            .get(pk=entry.pk)
        )
        if Entry.objects.filter(reversal_of=original).exists():
            raise AlreadyReversed()
        if original.reversal_of_id:
            raise BusinessRuleError(
                "Une extourne ne s'extourne pas : passez une nouvelle écriture.", code="is_reversal"
            )
        business_date_check(
            on=date,
            shop=original.ledger.shop,
            field="date",
            not_before=(original.date, "date de l'écriture extournée"),
        )
        reference = original.reference
        lines = [
            LineIn(
                account=line.account.number,
                debit=line.credit,
                credit=line.debit,
                label=reversal_label(reference, line.label),
                auxiliary=(line.auxiliary.code, line.auxiliary.label) if line.auxiliary else None,
                vat_rate=line.vat_rate,
            )
            for line in original.lines.select_related("account", "auxiliary")
        ]
        try:
            reversal = entry_post(
                ledger=original.ledger,
                journal=original.journal.code,
                date=date,
                label=reversal_label(reference, original.label),
                # Its own piece, dated the day it is posted: the reversal is a document
                # of its own, which names the entry it undoes.
                piece_ref=reversal_piece_ref(reference),
                piece_date=date,
                lines=lines,
                reversal_of=original,
                user=user,
            )
        except IntegrityError as exc:  # a concurrent reversal won the unique reversal_of
            raise AlreadyReversed() from exc
        SalesDay.objects.filter(entry=original).update(reversed_by=reversal)
    return reversal
