"""FEC formatting: the file's fields, amounts, dates and the opening (AN) rows. Pure."""

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal

from mache.money import ZERO, money

from .. import accounts

FIELDS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
COLUMN = {name: index for index, name in enumerate(FIELDS)}
SEPARATOR = "\t"  # the law allows tab or pipe (docs/fec.md); we write tabs
EOL = "\r\n"
OPENING_JOURNAL = "AN"
OPENING_LABEL = "À-nouveaux"
BALANCE_SHEET_CLASSES = "12345"
RESULT_CLASSES = "67"
# The books hold no closing entries: the previous years' result (classes 6 and 7) reaches
# the opening balances on the PCG's result accounts, or the AN entry would not balance.
PROFIT_ACCOUNT = (accounts.PROFIT, "Résultat de l'exercice (bénéfice)")
LOSS_ACCOUNT = (accounts.LOSS, "Résultat de l'exercice (perte)")


# Tab, pipe, CR, LF (docs/fec.md), and what other readers take for a line break.
_UNSAFE = re.compile(r"[\t|\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")


def fec_date(day: dt.date) -> str:
    """date(2026, 1, 5) -> "20260105"."""
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def fec_amount(amount: Decimal) -> str:
    """Decimal("1234.5") -> "1234,50": a comma, no thousands separator, two decimals."""
    if amount < 0:
        raise ValueError(f"a FEC amount is never negative: {amount}")
    return f"{money(amount):f}".replace(".", ",")


def fec_text(value: str | None) -> str:
    """A text field without the characters that would split a field or a line."""
    return _UNSAFE.sub(" ", value or "")


def fec_filename(*, siren: str, closing: dt.date) -> str:
    return f"{siren}FEC{fec_date(closing)}.txt"


def entry_number(journal_code: str, year: int, number: int) -> str:
    """EcritureNum, as `Entry.reference` spells it: "VTE-2026-000012"."""
    return f"{journal_code}-{year}-{number:06d}"


def fec_row(values: Iterable[str]) -> str:
    return SEPARATOR.join(values) + EOL


def opening_rows(
    balances: Iterable[tuple], *, year: int, valid_date: dt.date, day: dt.date | None = None
) -> list[list[str]]:
    """The fields of the lines of the AN entry `AN-<year>-000001`, dated `day`, the fiscal
    year's first day (January 1st by default), when no AN entry is stored for the year
    (docs/fiscal-years.md).

    `balances`: (account number, account label, auxiliary code or None, auxiliary label
    or None, debit - credit) over every entry before `year`, any grouping finer than the
    account and auxiliary account. Classes 1 to 5 are carried forward, one line per
    account and auxiliary account, on the side of their balance, zero balances skipped,
    in account order. Classes 6 and 7 are not: as no closing entry ever moved their
    result to class 1, their net goes to 120000 (profit) or 129000 (loss), added to what
    these accounts hold; the entry then balances as the books do. Class 8
    (off-balance-sheet commitments) is not carried forward. No balance: no rows.
    """
    carried: dict[tuple[str, str], list] = {}
    result = ZERO
    for number, label, aux_code, aux_label, balance in balances:
        if number[0] in RESULT_CLASSES:
            result += balance
        elif number[0] in BALANCE_SHEET_CLASSES:
            carried.setdefault((number, aux_code or ""), [label, aux_label or "", ZERO])[2] += (
                balance
            )
    if result:
        number, label = LOSS_ACCOUNT if result > 0 else PROFIT_ACCOUNT
        carried.setdefault((number, ""), [label, "", ZERO])[2] += result
    day = fec_date(day or dt.date(year, 1, 1))
    reference = entry_number(OPENING_JOURNAL, year, 1)
    return [
        [
            OPENING_JOURNAL,
            OPENING_LABEL,
            reference,
            day,
            number,
            fec_text(label),
            fec_text(aux_code),
            fec_text(aux_label),
            f"{OPENING_JOURNAL}-{year}",
            day,
            OPENING_LABEL,
            fec_amount(max(balance, ZERO)),
            fec_amount(max(-balance, ZERO)),
            "",
            "",
            fec_date(valid_date),
            "",
            "",
        ]
        for (number, aux_code), (label, aux_label, balance) in sorted(carried.items())
        if balance
    ]
