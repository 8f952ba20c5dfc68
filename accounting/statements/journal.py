"""Journal: the entries of a period, journal by journal, in number order, with their
lines and the totals of each journal. Two queries, whatever the number of entries."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from mache.errors import InvalidInput
from mache.money import ZERO

from ..models import EntryLine, Ledger
from .table import (
    Column,
    ColumnKind,
    Row,
    RowKind,
    StatementTable,
    entry_reference,
    ledger_name,
    money_or_blank,
)


@dataclass(frozen=True)
class JournalLine:
    account: str
    auxiliary: str | None
    label: str
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True)
class JournalEntry:
    entry: str  # "VTE-2026-000012"
    number: int
    date: dt.date
    label: str
    piece_ref: str
    lines: list[JournalLine]


@dataclass(frozen=True)
class JournalSection:
    journal: str
    label: str
    entries: list[JournalEntry]

    @property
    def total_debit(self) -> Decimal:
        return sum((line.debit for entry in self.entries for line in entry.lines), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((line.credit for entry in self.entries for line in entry.lines), ZERO)


@dataclass(frozen=True)
class JournalStatement:
    ledger: Ledger
    date_from: dt.date
    date_to: dt.date
    journals: list[JournalSection]
    only: str | None = None  # the one journal asked for, if any

    @property
    def total_debit(self) -> Decimal:
        return sum((journal.total_debit for journal in self.journals), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((journal.total_credit for journal in self.journals), ZERO)

    def table(self) -> StatementTable:
        rows = []
        for journal in self.journals:
            rows.append(
                Row((f"{journal.journal} — {journal.label}",) + (None,) * 7, RowKind.HEADING)
            )
            rows += [
                Row(
                    (
                        entry.date,
                        entry.entry,
                        entry.piece_ref,
                        line.account,
                        line.auxiliary or "",
                        line.label,
                        money_or_blank(line.debit),
                        money_or_blank(line.credit),
                    ),
                    group=entry.entry,
                )
                for entry in journal.entries
                for line in entry.lines
            ]
            rows.append(
                Row(
                    (
                        None,
                        "",
                        "",
                        "",
                        "",
                        f"Total du journal {journal.journal}",
                        journal.total_debit,
                        journal.total_credit,
                    ),
                    RowKind.SUBTOTAL,
                )
            )
        return StatementTable(
            title=f"Journal {self.only}" if self.only else "Journal",
            slug=f"journal-{self.only.lower()}" if self.only else "journal",
            ledger_name=ledger_name(self.ledger),
            date_from=self.date_from,
            date_to=self.date_to,
            columns=(
                Column("Date", ColumnKind.DATE, 10),
                Column("Écriture", width=16),
                Column("Pièce", width=18, wraps=True),
                Column("Compte", width=9),
                Column("Tiers", width=7),
                Column("Libellé", width=36, wraps=True),
                Column("Débit", ColumnKind.MONEY, 13),
                Column("Crédit", ColumnKind.MONEY, 13),
            ),
            rows=tuple(rows),
            totals=(
                Row(
                    (None, "", "", "", "", "Total général", self.total_debit, self.total_credit),
                    RowKind.TOTAL,
                ),
            ),
            carried=(6, 7),
            label_column=5,
        )


def journal_statement(
    *, ledger: Ledger, date_from: dt.date, date_to: dt.date, journal: str | None = None
) -> JournalStatement:
    """The entries dated in the period, of every journal or of `journal` (a code of the
    ledger's, else InvalidInput on "journal"); journals without an entry are left out."""
    labels = dict(ledger.journals.values_list("code", "label"))
    if journal is not None and journal not in labels:
        known = ", ".join(sorted(labels))
        raise InvalidInput(
            {"journal": [f"Journal « {journal} » inconnu ; journaux de ce livre : {known}."]}
        )
    lines = EntryLine.objects.filter(
        ledger=ledger, date__gte=date_from, date__lte=date_to
    ).order_by("entry__journal__code", "entry__fiscal_year", "entry__number", "pk")
    if journal is not None:
        lines = lines.filter(entry__journal__code=journal)
    lines = lines.values_list(
        "entry_id",
        "entry__journal__code",
        "entry__fiscal_year",
        "entry__number",
        "entry__date",
        "entry__label",
        "entry__piece_ref",
        "account__number",
        "auxiliary__code",
        "label",
        "debit",
        "credit",
    )

    sections: dict[str, JournalSection] = {}
    entries: dict[int, JournalEntry] = {}
    for (
        entry_id,
        code,
        year,
        number,
        day,
        entry_label,
        piece_ref,
        account,
        auxiliary,
        label,
        debit,
        credit,
    ) in lines:
        section = sections.get(code)
        if section is None:
            section = sections[code] = JournalSection(code, labels[code], [])
        entry = entries.get(entry_id)
        if entry is None:
            entry = entries[entry_id] = JournalEntry(
                entry_reference(code, year, number), number, day, entry_label, piece_ref, []
            )
            section.entries.append(entry)
        entry.lines.append(JournalLine(account, auxiliary, label, debit, credit))
    return JournalStatement(ledger, date_from, date_to, list(sections.values()), journal)
