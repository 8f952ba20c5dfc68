"""The statements as PDF (ReportLab, on the project's frame: mache.pdf), from a
StatementTable: A4 pages headed by the books' owner and the period, the column titles
on every page; where the statement carries columns (journal, general ledger), each page
ends with their running totals ("À reporter") and the next one starts with them
("Report"). Text columns that wrap (labels) share the room the figures leave.
"""

import datetime as dt
import math
from collections.abc import Sequence
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, Spacer, TableStyle

from mache.formats import NBSP, format_date, format_eur, format_rate
from mache.pdf import (
    CONTENT_WIDTH,
    FONT,
    FONT_BOLD,
    HEADER_FILL,
    MUTED,
    PageFrame,
    data_table,
    para,
    render,
    styles,
)
from mache.periods import paris_today

from ..statements.table import Percent, Row, RowKind, StatementTable

CARRIED_OUT = "À reporter"
BROUGHT_IN = "Report"
CONTINUED = " (suite)"


def _pdf_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Percent):
        return format_rate(value.value)
    if isinstance(value, Decimal):
        # Bare figures, as ledgers print them (the footer says they are euros): a "€" on
        # every line would take the room of the labels.
        return format_eur(value).removesuffix(f"{NBSP}€")
    if isinstance(value, dt.date):
        return format_date(value)
    return str(value)


# data_table's fonts and its cells' left and right padding, with a point to spare.
CELL_SIZE, HEAD_SIZE = 8.5, 8
CELL_PADDING = 2 * 1.5 * mm + 1
LEAST_WRAPPING_WIDTH = 28 * mm
ROOMY_FIGURES = 24 * mm


def _pdf_widths(table: StatementTable) -> list[float]:
    """Column widths in points over the page: each column as wide as its widest cell,
    but the wrapping ones (labels), which share the room left, the narrow first."""
    natural = [stringWidth(column.title, FONT_BOLD, HEAD_SIZE) for column in table.columns]
    for row in (*table.rows, *table.totals):
        if row.kind == RowKind.HEADING:
            continue  # spans the whole table
        font = FONT if row.kind in (RowKind.LINE, RowKind.INFO) else FONT_BOLD
        for index, value in enumerate(row.cells):
            natural[index] = max(natural[index], stringWidth(_pdf_text(value), font, CELL_SIZE))
    if table.carried:  # carried sums never pass the totals, but their labels must fit
        natural[table.label_column] = max(
            natural[table.label_column], stringWidth(CARRIED_OUT, FONT_BOLD, CELL_SIZE)
        )
    widths = [width + CELL_PADDING for width in natural]
    wrapping = sorted((i for i, c in enumerate(table.columns) if c.wraps), key=lambda i: widths[i])
    room = CONTENT_WIDTH - sum(w for i, w in enumerate(widths) if i not in wrapping)
    if not wrapping or room < LEAST_WRAPPING_WIDTH * len(wrapping):
        return [w * CONTENT_WIDTH / sum(widths) for w in widths]  # squeeze everything
    while wrapping:
        share = room / len(wrapping)
        if widths[wrapping[0]] > share:
            break
        room -= widths[wrapping.pop(0)]  # fits whole: keeps its natural width
    weights = sum(table.columns[i].width for i in wrapping)
    for index in wrapping:  # the rest share what is left by their nominal widths
        widths[index] = room * table.columns[index].width / weights
    if not wrapping:
        # Everything fits: figures get room to breathe, then the widest label takes what
        # is left, so that the table reaches the margin.
        for index, column in enumerate(table.columns):
            if column.numeric:
                slack = CONTENT_WIDTH - sum(widths)
                widths[index] += max(0, min(slack, ROOMY_FIGURES - widths[index]))
        label = max((i for i, c in enumerate(table.columns) if c.wraps), key=lambda i: widths[i])
        widths[label] += CONTENT_WIDTH - sum(widths)
    return widths


def _bold(text: str) -> Paragraph:
    return Paragraph(f"<b>{escape(text)}</b>", styles()["cell"])


class _PagedTable(Flowable):
    """The statement's rows and totals, cut into one table per page.

    ReportLab asks a flowable to `split` itself at the height left on the page: this
    one then builds a table of the rows that fit, closed by the carried totals, and
    returns the rest as a new _PagedTable that opens with them. Heights are measured
    by ReportLab itself (a row may wrap), so a cut always falls where the page ends.
    """

    def __init__(
        self,
        table: StatementTable,
        rows: Sequence[Row],
        *,
        widths: list[float],
        brought: tuple[Decimal, ...] | None = None,
        metrics=None,
    ):
        super().__init__()
        self.table = table
        self.rows = list(rows)
        self.widths = widths
        self.brought = brought
        self.right = {i for i, column in enumerate(table.columns) if column.numeric}
        self.metrics = metrics or self._measure()
        self._built = None

    # Building a page's table --------------------------------------------------------

    def _carry_row(self, label: str, sums: Sequence[Decimal]) -> list:
        cells = [""] * len(self.table.columns)
        cells[self.table.label_column] = _bold(label)
        for index, amount in zip(self.table.carried, sums, strict=True):
            cells[index] = _pdf_text(amount)
        return cells

    def _cells(self, row: Row) -> list:
        if row.kind == RowKind.HEADING:
            return [_bold(_pdf_text(row.cells[0]))] + [""] * (len(row.cells) - 1)
        strong = row.kind in (RowKind.SUBTOTAL, RowKind.TOTAL)
        return [
            _bold(_pdf_text(value))
            if strong and i not in self.right and value
            else _pdf_text(value)
            for i, value in enumerate(row.cells)
        ]

    def _build(self, rows: Sequence[Row], carried_out: tuple[Decimal, ...] | None):
        data, kinds = [], []
        if self.brought is not None:
            data.append(self._carry_row(BROUGHT_IN, self.brought))
            kinds.append("carry")
        data += [self._cells(row) for row in rows]
        kinds += [row.kind for row in rows]
        if carried_out is not None:
            data.append(self._carry_row(CARRIED_OUT, carried_out))
            kinds.append("carry")
        result = data_table(
            [c.title for c in self.table.columns],
            data,
            widths=self.widths,
            right_columns=self.right,
        )
        commands = []
        for index, kind in enumerate(kinds, start=1):  # row 0 is the column titles
            if kind == RowKind.HEADING:
                commands += [
                    ("SPAN", (0, index), (-1, index)),
                    ("TOPPADDING", (0, index), (-1, index), 2 * mm),
                ]
            elif kind in (RowKind.SUBTOTAL, RowKind.TOTAL, "carry"):
                commands += [
                    ("FONTNAME", (0, index), (-1, index), FONT_BOLD),
                    ("LINEABOVE", (0, index), (-1, index), 0.5, MUTED),
                ]
                if kind != RowKind.SUBTOTAL:
                    commands.append(("BACKGROUND", (0, index), (-1, index), HEADER_FILL))
        result.setStyle(TableStyle(commands))
        return result

    def _measure(self) -> tuple[float, float]:
        """(height of the column titles, height of a one-line row), as ReportLab lays
        them out: every row is at least that high, so they bound how many rows fit."""
        sample = [["0"] * len(self.table.columns)]
        one = self._table_height(sample)
        two = self._table_height(sample * 2)
        return one - (two - one), two - one

    def _table_height(self, data) -> float:
        table = data_table(
            [c.title for c in self.table.columns],
            data,
            widths=self.widths,
            right_columns=self.right,
        )
        return table.wrap(CONTENT_WIDTH, 10_000)[1]

    def _sums(self, rows: Sequence[Row]) -> tuple[Decimal, ...]:
        sums = list(self.brought or (Decimal("0.00"),) * len(self.table.carried))
        for row in rows:
            if row.kind == RowKind.LINE:
                for position, index in enumerate(self.table.carried):
                    sums[position] += row.cells[index] or 0
        return tuple(sums)

    # The flowable protocol ----------------------------------------------------------

    def wrap(self, available_width, available_height):
        header, line = self.metrics
        extra = 1 if self.brought is not None else 0
        least = header + line * (len(self.rows) + extra)
        if least > available_height:
            self._built = None
            return available_width, least  # cannot fit: ReportLab will call split()
        self._built = self._build(self.rows, None)
        return self._built.wrap(available_width, available_height)

    def split(self, available_width, available_height):
        header, line = self.metrics
        carry = bool(self.table.carried)
        extra = (1 if self.brought is not None else 0) + (1 if carry else 0)
        # An upper bound (each row is a line at least): check it, then search below it.
        most = min(len(self.rows) - 1, math.floor((available_height - header) / line) - extra)

        def fits(count):
            piece = self._build(self.rows[:count], self._sums(self.rows[:count]) if carry else None)
            return piece.wrap(available_width, available_height)[1] <= available_height

        if most < 1:
            return []
        if not fits(most):
            low, high = 0, most  # fits(low), not fits(high)
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if fits(middle) else (low, middle)
            most = low
            if most < 1:
                return []
        most = self._cut_before(most)
        sums = self._sums(self.rows[:most]) if carry else None
        rest = self.rows[most:]
        heading = next(
            (row for row in reversed(self.rows[:most]) if row.kind == RowKind.HEADING), None
        )
        if heading is not None and rest[0].kind not in (RowKind.HEADING, RowKind.TOTAL):
            # The account (or journal) goes on over the page: say which it is.
            title = str(heading.cells[0]).removesuffix(CONTINUED)
            rest.insert(0, Row((f"{title}{CONTINUED}", *heading.cells[1:]), RowKind.HEADING))
        # The page's piece is a plain table, cut to fit; the rest starts the next page.
        return [
            self._build(self.rows[:most], sums),
            _PagedTable(self.table, rest, widths=self.widths, brought=sums, metrics=self.metrics),
        ]

    def _cut_before(self, most: int) -> int:
        """Where to cut at most `most` rows in: not inside a group of rows (an entry) when
        it fits on a page, nor after a title (or an opening balance), which goes with
        the lines below it."""
        rows = self.rows
        cut = most
        group = rows[cut].group
        while group is not None and cut > 0 and rows[cut - 1].group == group:
            cut -= 1
        while cut > 0 and rows[cut - 1].kind in (RowKind.HEADING, RowKind.INFO):
            cut -= 1
        # Nothing left to show on this page (a group longer than a page): cut where it ends.
        return cut or most

    def draw(self):
        self._built.drawOn(self.canv, 0, 0)


def to_pdf(table: StatementTable) -> bytes:
    story = [
        para(table.title, "title"),
        para(f"{table.ledger_name} — {table.period_label}", "subtitle"),
    ]
    if not table.rows:
        story += [para("Aucune écriture sur la période.", "body"), Spacer(0, 3 * mm)]
    story.append(_PagedTable(table, [*table.rows, *table.totals], widths=_pdf_widths(table)))
    frame = PageFrame(
        header_left=table.ledger_name,
        header_right=f"{table.title} — {table.period_label}",
        footer_left=f"Montants en euros — édité le {format_date(paris_today())}",
    )
    return render(story, frame=frame, title=f"{table.title} — {table.ledger_name}", author="MACHE")
