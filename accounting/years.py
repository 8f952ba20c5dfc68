"""Fiscal years of a ledger: listing them, a first year of its own length, closing one,
the opening balances of a ledger's first year (docs/fiscal-years.md).

Closing a year (`fiscal_year_close`, the coordinator's): every month of it closed
(each shop month with its stock variation), the suspense accounts checked, the result
(classes 7 minus 6) computed, and the opening entry of the next year **stored** in
journal `AN`, dated its first day; the year is then closed, and the posting engine and
PostgreSQL (migration 0005) refuse any entry dated in it. The next year's FEC reads
the stored entry, so it never changes.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import DateField, Max, Min, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from mache.csvfiles import CsvRecords
from mache.errors import BusinessRuleError, InvalidInput, NotAllowed
from mache.formats import format_eur
from mache.money import ZERO
from mache.periods import current_month, last_day_of_month, next_month, paris_today
from shops.dates import earliest_date

from . import accounts
from .closing import period_close
from .fiscal_calendar import ONE_DAY, Span, roll, span_named, span_of
from .models import Account, AuxiliaryAccount, Entry, EntryLine, FiscalYear, Journal, Ledger
from .sales.csv_import import parse_amount
from .services import OPENING_JOURNAL, LineIn, entry_post

OPENING_LABEL = "À-nouveaux"
BALANCE_SHEET_CLASSES = "12345"
RESULT_CLASSES = "67"
# Accounts that must be nil when a year closes: waiting and transit accounts (PCG 47,
# "comptes transitoires ou d'attente", and 58, "virements internes").
SUSPENSE_PREFIXES = ("47", "58")
# Collective accounts whose lines name their third party (docs/fiscal-years.md).
AUXILIARY_REQUIRED = (accounts.SUPPLIERS[:3], accounts.CUSTOMERS[:3])
LONGEST_FIRST_YEAR_MONTHS = 24
MAX_OPENING_LINES = 2000


class FiscalYearRefused(BusinessRuleError):
    code = "fiscal_year_refused"


# --- Listing ---------------------------------------------------------------------------


def fiscal_years_ensure(*, ledger: Ledger) -> list[FiscalYear]:
    """The ledger's fiscal years, stored, from its first up to the one holding today (or
    its latest entry): missing ones are created as `fiscal_calendar.span_of` names them
    (calendar years by default). Idempotent."""
    years = list(FiscalYear.objects.filter(ledger=ledger).order_by("start"))
    dates = Entry.objects.filter(ledger=ledger).aggregate(first=Min("date"), last=Max("date"))
    last_needed = max(filter(None, [paris_today(), dates["last"]]))
    wanted = []
    if not years:
        first = span_of(dates["first"] or paris_today(), [])
        wanted.append((first.start, first.end))
        end = first.end
    else:
        end = years[-1].end
        # An entry dated before the first stored year (an open one): its years are
        # stored too, so that they are closed first.
        if dates["first"] and dates["first"] < years[0].start:
            day = dates["first"]
            while day < years[0].start:
                span = span_of(day, years)
                wanted.append((span.start, span.end))
                day = span.end + ONE_DAY
    while end < last_needed:
        wanted.append((end + ONE_DAY, roll(end)))
        end = roll(end)
    if wanted:
        FiscalYear.objects.bulk_create(
            [FiscalYear(ledger=ledger, start=start, end=end) for start, end in wanted],
            ignore_conflicts=True,
        )
        years = list(FiscalYear.objects.filter(ledger=ledger).order_by("start"))
    return years


def fiscal_year_named(*, ledger: Ledger, name: int) -> Span:
    """The ledger's fiscal year closing in the year `name` (stored or not). One query."""
    return span_named(name, list(FiscalYear.objects.filter(ledger=ledger).order_by("start")))


def fiscal_year_first_set(*, ledger: Ledger, end: dt.date, user=None) -> FiscalYear:
    """The ledger's first fiscal year, from the shop's joining (the cooperative's founding
    for its own books) to `end`, a month's last day at most 24 months later; the years
    after it close on the same day of the year. Only while the ledger holds no entry."""
    if user is not None and not user.is_coordinator:
        raise NotAllowed("Seul le coordinateur fixe les exercices.")
    start, _ = earliest_date(ledger.shop)
    errors = []
    if end != last_day_of_month(end):
        errors.append("Un exercice se clôt le dernier jour d'un mois.")
    months = start.month - 1 + LONGEST_FIRST_YEAR_MONTHS
    # 24 months from the joining: the month's end before the same day two years later.
    limit = last_day_of_month(dt.date(start.year + months // 12, months % 12 + 1, 1))
    if start.day == 1:
        limit = dt.date(limit.year, limit.month, 1) - ONE_DAY
    if not start < end <= limit:
        errors.append(
            f"Le premier exercice court du {start:%d/%m/%Y} et se clôt au plus tard "
            f"le {limit:%d/%m/%Y} (24 mois)."
        )
    if errors:
        raise InvalidInput({"end": errors})
    with transaction.atomic():
        Ledger.objects.select_for_update().get(pk=ledger.pk)
        if Entry.objects.filter(ledger=ledger).exists():
            raise FiscalYearRefused(
                "Ce livre tient déjà des écritures : son premier exercice est fixé.",
                code="entries_exist",
            )
        FiscalYear.objects.filter(ledger=ledger).delete()
        return FiscalYear.objects.create(ledger=ledger, start=start, end=end)


# --- Balances carried forward ----------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    account: str
    account_label: str
    aux_code: str
    aux_label: str
    balance: Decimal  # debit - credit


def balances_before(*, ledger: Ledger, day: dt.date) -> list[tuple]:
    """(account, label, aux code, aux label, debit - credit) of every line dated before
    `day`, from the latest AN entry dated before it (which holds all that came before):
    what the year opening on `day` carries forward. One query."""
    since = (
        Entry.objects.filter(ledger=ledger, journal__code=OPENING_JOURNAL, date__lt=day)
        .order_by("-date")
        .values("date")[:1]
    )
    lines = EntryLine.objects.filter(
        ledger=ledger,
        date__lt=day,
        date__gte=Coalesce(Subquery(since), Value(dt.date.min), output_field=DateField()),
    )
    return list(
        lines.values("account__number", "account__label", "auxiliary__code", "auxiliary__label")
        .annotate(balance=Sum("debit") - Sum("credit"))
        .values_list(
            "account__number", "account__label", "auxiliary__code", "auxiliary__label", "balance"
        )
        .order_by("account__number", "auxiliary__code")
    )


def carried_forward(balances) -> tuple[list[Balance], Decimal]:
    """The AN lines' balances from `balances_before`: classes 1 to 5 per account and
    auxiliary account, the result of classes 6 and 7 on 120000 (profit) or 129000
    (loss), zero balances left out; and the result (positive: a profit)."""
    carried: dict[tuple[str, str], list] = {}
    result = ZERO
    for number, label, aux_code, aux_label, balance in balances:
        if number[0] in RESULT_CLASSES:
            result -= balance
        elif number[0] in BALANCE_SHEET_CLASSES:
            key = (number, aux_code or "")
            carried.setdefault(key, [label, aux_label or "", ZERO])[2] += balance
    if result:
        number = accounts.PROFIT if result > 0 else accounts.LOSS
        label = (
            "Résultat de l'exercice (bénéfice)" if result > 0 else "Résultat de l'exercice (perte)"
        )
        carried.setdefault((number, ""), [label, "", ZERO])[2] -= result
    return [
        Balance(number, label, aux_code, aux_label, balance)
        for (number, aux_code), (label, aux_label, balance) in sorted(carried.items())
        if balance
    ], result


def _opening_lines(balances: list[Balance]) -> list[LineIn]:
    return [
        LineIn(
            account=b.account,
            debit=max(b.balance, ZERO),
            credit=max(-b.balance, ZERO),
            label=OPENING_LABEL,
            auxiliary=(b.aux_code, b.aux_label or b.aux_code) if b.aux_code else None,
        )
        for b in balances
    ]


# The result accounts an AN entry uses, added to a ledger with its AN journal.
RESULT_ACCOUNTS = (
    (accounts.PROFIT, "Résultat de l'exercice (bénéfice)"),
    (accounts.LOSS, "Résultat de l'exercice (perte)"),
)


def _opening_journal(ledger: Ledger) -> None:
    """The AN journal and the result accounts 120000 and 129000, added to the ledger when
    first needed (docs/fiscal-years.md)."""
    Journal.objects.get_or_create(
        ledger=ledger, code=OPENING_JOURNAL, defaults={"label": OPENING_LABEL}
    )
    for number, label in RESULT_ACCOUNTS:
        Account.objects.get_or_create(
            ledger=ledger, number=number, defaults={"label": label, "kind": "equity"}
        )


# --- Closing ----------------------------------------------------------------------------


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = next_month(month)
    return months


def fiscal_year_close(*, ledger: Ledger, end: dt.date, user=None) -> FiscalYear:
    """Close the ledger's fiscal year ending on `end` (see the module doc). Refusals, with
    nothing written: 403 for anyone but a coordinator; 400 when no year of the ledger
    ends on `end`; 409 when it is closed already, an earlier year is still open, one of
    its months cannot be closed (not over yet), or a suspense account is not nil."""
    if user is not None and not user.is_coordinator:
        raise NotAllowed("Seul le coordinateur clôture un exercice.")
    with transaction.atomic():
        Ledger.objects.select_for_update().get(pk=ledger.pk)
        years = fiscal_years_ensure(ledger=ledger)
        year = next((y for y in years if y.end == end), None)
        if year is None:
            raise InvalidInput(
                {"end": [f"Aucun exercice de ce livre ne se clôt le {end:%d/%m/%Y}."]}
            )
        if year.status == FiscalYear.Status.CLOSED:
            raise FiscalYearRefused(
                f"L'exercice clos le {end:%d/%m/%Y} est déjà clôturé.", code="already_closed"
            )
        earlier = [y for y in years if y.end < year.start and y.status == FiscalYear.Status.OPEN]
        if earlier:
            raise FiscalYearRefused(
                f"Clôturez d'abord l'exercice clos le {earlier[0].end:%d/%m/%Y}.",
                code="previous_year_open",
            )
        if end.replace(day=1) >= current_month():
            raise FiscalYearRefused(
                f"Le mois de {end:%m/%Y} n'est pas terminé : ses mois ne peuvent pas "
                "tous être clôturés.",
                code="months_not_closable",
            )
        for month in _months(year.start, year.end):
            try:
                period_close(ledger=ledger, month=month, user=user)
            except (InvalidInput, ValueError) as exc:
                raise FiscalYearRefused(
                    f"Le mois de {month:%m/%Y} ne peut pas être clôturé : {exc}",
                    code="months_not_closable",
                ) from exc
        next_start = end + ONE_DAY
        balances, result = carried_forward(balances_before(ledger=ledger, day=next_start))
        suspense = defaultdict(lambda: ZERO)
        for b in balances:
            if b.account.startswith(SUSPENSE_PREFIXES):
                suspense[b.account] += b.balance
        unsettled = {number: amount for number, amount in suspense.items() if amount}
        if unsettled:
            raise FiscalYearRefused(
                "Compte d'attente non soldé : "
                + ", ".join(
                    f"{number} ({format_eur(abs(amount))} "
                    f"{'débiteur' if amount > 0 else 'créditeur'})"
                    for number, amount in sorted(unsettled.items())
                )
                + ". Soldez-le avant la clôture.",
                code="suspense_not_cleared",
            )
        following = span_of(next_start, years)
        FiscalYear.objects.get_or_create(
            ledger=ledger, start=following.start, defaults={"end": following.end}
        )
        opening = None
        if balances:
            _opening_journal(ledger)
            opening = entry_post(
                ledger=ledger,
                journal=OPENING_JOURNAL,
                date=next_start,
                label=f"{OPENING_LABEL} au {next_start:%d/%m/%Y}",
                piece_ref=f"{OPENING_JOURNAL}-{following.name}",
                source=f"opening:{next_start.isoformat()}",
                lines=_opening_lines(balances),
                user=user,
            )
        year.status = FiscalYear.Status.CLOSED
        year.closed_at = timezone.now()
        year.closed_by = user if getattr(user, "pk", None) else None
        year.opening_entry = opening
        year.save(update_fields=["status", "closed_at", "closed_by", "opening_entry"])
    year.result = result
    return year


# --- Opening balances of a first year ----------------------------------------------------


@dataclass(frozen=True)
class OpeningLine:
    account: str
    aux: str
    debit: Decimal
    credit: Decimal


def opening_balances_post(
    *,
    ledger: Ledger,
    date: dt.date,
    lines: list[OpeningLine],
    user,
    numbers: list[int] | None = None,
) -> Entry:
    """The AN entry of the ledger's first fiscal year, typed or imported by the accountant
    (or the coordinator): dated the year's first day, before any other entry of the
    year, balanced, classes 1 to 5 of the ledger's chart, an auxiliary account on every
    401/411 line. 400 naming the line (`numbers`: each line's number as the caller
    shows it, a CSV file's line say; 1, 2, ... by default), 409 when the ledger already
    holds entries."""
    if user is not None and not (
        user.is_coordinator or (user.is_active and user.effective_role == user.Role.ACCOUNTANT)
    ):
        raise NotAllowed("Seuls le comptable et le coordinateur saisissent les à-nouveaux.")
    # The AN journal and the result accounts come with the entry, or not at all.
    with transaction.atomic():
        Ledger.objects.select_for_update().get(pk=ledger.pk)
        _opening_journal(ledger)
        chart = set(Account.objects.filter(ledger=ledger).values_list("number", flat=True))
        errors = []
        if len(lines) < 2:
            errors.append("Des à-nouveaux comptent au moins deux lignes.")
        for index, line in zip(numbers or range(1, len(lines) + 1), lines, strict=True):
            if line.account not in chart:
                errors.append(f"Ligne {index} : compte {line.account} absent du plan comptable.")
            elif line.account[0] not in BALANCE_SHEET_CLASSES:
                errors.append(
                    f"Ligne {index} : compte {line.account} de classe {line.account[0]} : "
                    "seuls les comptes de bilan (classes 1 à 5) se reportent."
                )
            if line.account.startswith(AUXILIARY_REQUIRED) and not line.aux:
                errors.append(f"Ligne {index} : compte {line.account} sans compte auxiliaire.")
            if line.debit < 0 or line.credit < 0:
                errors.append(f"Ligne {index} : montant négatif.")
            elif bool(line.debit) == bool(line.credit):
                errors.append(f"Ligne {index} : un débit ou un crédit, l'un des deux.")
        debit = sum((line.debit for line in lines), ZERO)
        credit = sum((line.credit for line in lines), ZERO)
        if debit != credit:
            errors.append(
                f"À-nouveaux déséquilibrés : débit {format_eur(debit)}"
                f" ≠ crédit {format_eur(credit)}."
            )
        if errors:
            raise InvalidInput({"lines": errors})
        years = list(FiscalYear.objects.filter(ledger=ledger).order_by("start"))
        span = span_of(date, years)
        if date != span.start:
            raise InvalidInput(
                {
                    "date": [
                        "Les à-nouveaux se datent du premier jour de l'exercice : "
                        f"le {span.start:%d/%m/%Y}."
                    ]
                }
            )
        if Entry.objects.filter(ledger=ledger, date__lte=span.end).exists():
            raise FiscalYearRefused(
                "Ce livre tient déjà des écritures de cet exercice ou d'un précédent : les "
                "à-nouveaux d'un premier exercice se saisissent avant toute autre écriture.",
                code="entries_exist",
            )
        if not years:
            FiscalYear.objects.create(ledger=ledger, start=span.start, end=span.end)
        labels = dict(AuxiliaryAccount.objects.filter(ledger=ledger).values_list("code", "label"))
        return entry_post(
            ledger=ledger,
            journal=OPENING_JOURNAL,
            date=date,
            label=f"{OPENING_LABEL} au {date:%d/%m/%Y}",
            piece_ref=f"{OPENING_JOURNAL}-{span.name}",
            source=f"opening:{date.isoformat()}",
            lines=[
                LineIn(
                    account=line.account,
                    debit=line.debit,
                    credit=line.credit,
                    label=OPENING_LABEL,
                    auxiliary=(line.aux, labels.get(line.aux, line.aux)) if line.aux else None,
                )
                for line in lines
            ],
            user=user,
        )


# --- The CSV of opening balances ---------------------------------------------------------

CSV_COLUMNS = ["compte", "auxiliaire", "debit", "credit"]
CSV_ALIASES = {"account": "compte", "aux": "auxiliaire", "débit": "debit", "crédit": "credit"}
CSV_MAX_ROWS = MAX_OPENING_LINES


def opening_balances_parse(text: str) -> tuple[list[OpeningLine], list[int], list[str]]:
    """The lines of a CSV of opening balances (header `compte;auxiliaire;debit;credit`,
    in any order and case; amounts as the Z tickets' CSV takes them, empty is 0), with
    each one's line in the file, and the errors by line (the header is line 1)."""
    records = CsvRecords(
        text,
        columns=CSV_COLUMNS,
        optional=frozenset({"auxiliaire"}),
        aliases=CSV_ALIASES,
        max_rows=CSV_MAX_ROWS,
        what="lignes",
    )
    lines, numbers = [], []
    for line, cells in records:
        account = cells["compte"]
        problems = []
        if not account.isdigit() or not 6 <= len(account) <= 8:
            problems.append(f"compte « {account} » : 6 à 8 chiffres attendus.")
        amounts = []
        for name in ("debit", "credit"):
            amount, error = parse_amount(cells[name])
            amounts.append(amount)
            if error:
                problems.append(f"{name} : {error}")
        aux = cells.get("auxiliaire", "")
        if len(aux) > 17:
            problems.append("auxiliaire : 17 caractères au plus.")
        records.errors.extend((line, problem) for problem in problems)
        if not problems:
            lines.append(OpeningLine(account=account, aux=aux, debit=amounts[0], credit=amounts[1]))
            numbers.append(line)
    return lines, numbers, records.messages()


def opening_balances_import(*, ledger: Ledger, date: dt.date, text: str, user) -> Entry:
    """The opening balances from a CSV (`opening_balances_parse`): every line or none;
    the errors (400 on `file`) name the file's lines."""
    lines, numbers, errors = opening_balances_parse(text)
    if errors:
        raise InvalidInput({"file": errors})
    try:
        return opening_balances_post(
            ledger=ledger, date=date, lines=lines, user=user, numbers=numbers
        )
    except InvalidInput as exc:
        raise InvalidInput(
            {"file" if name == "lines" else name: messages for name, messages in exc.errors.items()}
        ) from exc
