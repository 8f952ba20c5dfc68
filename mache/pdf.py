"""The shared frame of the project's ReportLab documents (purchase orders, invoices,
statements, monthly reports): A4 pages with a header and a "Page 1 / 3" footer,
French paragraph styles, and tables whose header row repeats on every page.

The font is Bitstream Vera Sans, the TrueType font that ships inside ReportLab
(reportlab/fonts), so a fresh install needs no font package: it is embedded (subset)
in every PDF, as PDF/A requires of the invoices (docs/e-invoicing.md), and covers French
accents, the € sign, the dashes and the no-break space that mache.formats puts in
amounts (not the narrow U+202F). ReportLab's built-in Helvetica is never used, not even
for the canvas's initial font. Colours are RGB only (the invoices declare an sRGB
output intent), drawn opaque. Text given to these helpers is plain text: they escape it
for ReportLab's paragraph markup themselves.
"""

import functools
import io
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Table,
    TableStyle,
)

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
HEADER_HEIGHT = 9 * mm  # room kept above the frame for the running header
FOOTER_HEIGHT = 12 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN

FONT = "MacheSans"
FONT_BOLD = "MacheSans-Bold"
FONT_DIR = Path(reportlab.__file__).parent / "fonts"
FONT_FILES = {  # Bitstream Vera (licence: reportlab/fonts/bitstream-vera-license.txt)
    FONT: "Vera.ttf",
    FONT_BOLD: "VeraBd.ttf",
    "MacheSans-Italic": "VeraIt.ttf",
    "MacheSans-BoldItalic": "VeraBI.ttf",
}
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#616e7c")
RULE = colors.HexColor("#cbd2d9")
HEADER_FILL = colors.HexColor("#e4e7eb")
STRIPE_FILL = colors.HexColor("#f5f7fa")
WARNING_INK = colors.HexColor("#8a1c1c")
WARNING_FILL = colors.HexColor("#fde8e8")


@functools.cache
def register_fonts() -> None:
    """Register the TrueType fonts once per process, and the family, so that <b> in a
    paragraph picks the bold face (embedded too) rather than a built-in font."""
    for name, filename in FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
    pdfmetrics.registerFontFamily(
        FONT,
        normal=FONT,
        bold=FONT_BOLD,
        italic="MacheSans-Italic",
        boldItalic="MacheSans-BoldItalic",
    )


register_fonts()


@functools.cache
def styles() -> dict[str, ParagraphStyle]:
    """The paragraph styles of every document, by name."""
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=11.5, textColor=INK)
    return {
        "body": body,
        "title": ParagraphStyle(
            "title", parent=body, fontName=FONT_BOLD, fontSize=16, leading=20, spaceAfter=2 * mm
        ),
        "subtitle": ParagraphStyle(
            "subtitle", parent=body, fontSize=10, leading=13, spaceAfter=4 * mm
        ),
        "heading": ParagraphStyle(
            "heading",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=10,
            leading=13,
            spaceBefore=4 * mm,
            spaceAfter=2 * mm,
        ),
        "label": ParagraphStyle(
            "label",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=7.5,
            leading=10,
            textColor=MUTED,
            spaceAfter=1 * mm,
        ),
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5),
        "cell_right": ParagraphStyle(
            "cell_right", parent=body, fontSize=8.5, leading=10.5, alignment=TA_RIGHT
        ),
        "head": ParagraphStyle(
            "head", parent=body, fontName=FONT_BOLD, fontSize=8, leading=10, alignment=TA_LEFT
        ),
        "head_right": ParagraphStyle(
            "head_right",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=8,
            leading=10,
            alignment=TA_RIGHT,
        ),
        "notice": ParagraphStyle(
            "notice",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=10,
            leading=13,
            textColor=WARNING_INK,
        ),
    }


def table_style(commands: list) -> TableStyle:
    """A TableStyle whose every cell is in the project's font: a Table sets each cell's
    font, strings and flowables alike, and its default is the built-in Helvetica."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), *commands])


def para(text: str, style: str = "body") -> Paragraph:
    """A paragraph of plain text (escaped: a "&" in a product name is not markup)."""
    return Paragraph(escape(text), styles()[style])


def lines_para(lines: Sequence[str], style: str = "body") -> Paragraph:
    """Several lines of plain text in one paragraph; empty lines are left out."""
    return Paragraph("<br/>".join(escape(line) for line in lines if line), styles()[style])


def notice(text: str, *, width: float = CONTENT_WIDTH) -> Table:
    """A framed warning, for a status the reader must not miss."""
    # A table cell rather than a paragraph border: the frame then stays within the margins.
    table = Table(
        [[para(text, "notice")]],
        colWidths=[width],
        hAlign="LEFT",
        spaceBefore=1 * mm,
        spaceAfter=5 * mm,
    )
    table.setStyle(
        table_style(
            [
                ("BOX", (0, 0), (-1, -1), 0.75, WARNING_INK),
                ("BACKGROUND", (0, 0), (-1, -1), WARNING_FILL),
                ("LEFTPADDING", (0, 0), (-1, -1), 3 * mm),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3 * mm),
                ("TOPPADDING", (0, 0), (-1, -1), 2 * mm),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5 * mm),
            ]
        )
    )
    return table


def info_blocks(
    blocks: Sequence[tuple[str, Sequence[str]]], *, width: float = CONTENT_WIDTH
) -> Table:
    """Titled blocks of lines side by side (seller and buyer, delivery...)."""
    gap = 6 * mm
    column = (width - gap * (len(blocks) - 1)) / len(blocks)
    cells, widths = [], []
    for index, (title, lines) in enumerate(blocks):
        if index:
            cells.append("")
            widths.append(gap)
        cells.append([para(title.upper(), "label"), lines_para(lines)])
        widths.append(column)
    table = Table([cells], colWidths=widths, hAlign="LEFT")
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3 * mm),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3 * mm),
        ("TOPPADDING", (0, 0), (-1, -1), 2 * mm),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5 * mm),
    ]
    for index in range(0, len(cells), 2):
        commands += [
            ("BOX", (index, 0), (index, 0), 0.5, RULE),
            ("BACKGROUND", (index, 0), (index, 0), STRIPE_FILL),
        ]
    table.setStyle(table_style(commands))
    return table


def data_table(
    header: Sequence[str],
    rows: Sequence[Sequence],
    *,
    widths: Sequence[float],
    right_columns: Collection[int] = (),
    width: float = CONTENT_WIDTH,
    empty: str = "Aucune ligne.",
) -> Table:
    """A table of `rows` under a `header` row that repeats at the top of every page.

    `widths` are the columns' shares of `width` (any scale: (1, 4, 1) works). Columns
    listed in `right_columns` (amounts, quantities) are right-aligned, header
    included, and never wrapped; other text cells wrap within their column. A cell
    may also be a ready-made flowable. With no rows, one row says `empty`.
    """
    scale = width / sum(widths)
    col_widths = [share * scale for share in widths]
    right = set(right_columns)

    def cell(value, column):
        if isinstance(value, Flowable):
            return value
        if column in right:
            return str(value)  # drawn as one string: an amount is never cut in two
        return Paragraph(escape(str(value)), styles()["cell"])

    data = [
        [
            Paragraph(escape(title), styles()["head_right" if i in right else "head"])
            for i, title in enumerate(header)
        ]
    ]
    data += [[cell(value, i) for i, value in enumerate(row)] for row in rows]
    spans = []
    if not rows:
        # An empty table would read as a rendering fault: say there is nothing.
        data.append([Paragraph(escape(empty), styles()["cell"])] + [""] * (len(header) - 1))
        spans.append(("SPAN", (0, 1), (-1, 1)))
    table = Table(data, colWidths=col_widths, repeatRows=1, hAlign="LEFT")
    commands = [
        ("FONTNAME", (0, 1), (-1, -1), FONT),
        ("FONTSIZE", (0, 1), (-1, -1), 8.5),
        ("TEXTCOLOR", (0, 1), (-1, -1), INK),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, MUTED),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, STRIPE_FILL]),
        ("TOPPADDING", (0, 0), (-1, -1), 1.1 * mm),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.3 * mm),
        ("LEFTPADDING", (0, 0), (-1, -1), 1.5 * mm),
        ("RIGHTPADDING", (0, 0), (-1, -1), 1.5 * mm),
        *spans,
    ]
    commands += [("ALIGN", (column, 1), (column, -1), "RIGHT") for column in sorted(right)]
    table.setStyle(table_style(commands))
    return table


def summary_table(
    rows: Sequence[tuple[str, str]], *, strong: Collection[int] = (), width: float = 85 * mm
) -> Table:
    """Label and value pairs (totals), right-aligned on the page; the rows listed in
    `strong` are bold, with a rule above them."""
    commands = [
        ("FONTNAME", (1, 0), (1, -1), FONT),
        ("FONTSIZE", (1, 0), (1, -1), 9),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.2 * mm),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.2 * mm),
        ("RIGHTPADDING", (0, 0), (-1, -1), 1.5 * mm),
    ]
    for row in strong:
        commands += [
            ("FONTNAME", (1, row), (1, row), FONT_BOLD),
            ("LINEABOVE", (0, row), (-1, row), 0.75, MUTED),
            ("BACKGROUND", (0, row), (-1, row), HEADER_FILL),
        ]
    table = Table(
        [
            [
                Paragraph(
                    f"<b>{escape(label)}</b>" if i in strong else escape(label),
                    styles()["cell_right"],
                ),
                value,
            ]
            for i, (label, value) in enumerate(rows)
        ],
        colWidths=[width * 0.55, width * 0.45],
        hAlign="RIGHT",
    )
    table.setStyle(table_style(commands))
    return table


def side_by_side(
    flowables: Sequence[Flowable], *, widths: Sequence[float], width: float = CONTENT_WIDTH
) -> Table:
    """Flowables in columns (`widths` are shares of `width`), tops aligned; the last one
    is pushed to the right edge (totals beside a VAT table)."""
    scale = width / sum(widths)
    table = Table([list(flowables)], colWidths=[share * scale for share in widths], hAlign="LEFT")
    table.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (-1, 0), (-1, 0), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


@dataclass(frozen=True)
class PageFrame:
    """What every page of a document repeats: a header line and a footer line."""

    header_left: str
    header_right: str = ""
    footer_left: str = ""


class _CountedPagesCanvas(Canvas):
    """A canvas that holds its pages back until the document ends, so that each
    page's footer can say how many pages there are ("Page 2 / 5")."""

    def __init__(self, *args, decorate: Callable[[Canvas, int, int], None], **kwargs):
        super().__init__(*args, **kwargs)
        self._decorate = decorate
        self._held_pages: list[dict] = []

    def showPage(self):  # ReportLab's name, overridden
        # The page's content so far is the canvas's state: keep a copy, start afresh.
        self._held_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._held_pages)
        for number, state in enumerate(self._held_pages, start=1):
            self.__dict__.update(state)
            self._decorate(self, number, total)
            super().showPage()
        super().save()


def _draw_frame(canvas: Canvas, number: int, total: int, *, frame: PageFrame) -> None:
    canvas.saveState()
    top = PAGE_HEIGHT - MARGIN + 2 * mm
    canvas.setFillColor(INK)
    canvas.setFont(FONT_BOLD, 9)
    canvas.drawString(MARGIN, top, frame.header_left)
    canvas.setFont(FONT, 9)
    canvas.drawRightString(PAGE_WIDTH - MARGIN, top, frame.header_right)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN, top - 2 * mm, PAGE_WIDTH - MARGIN, top - 2 * mm)

    bottom = MARGIN - 4 * mm
    canvas.line(MARGIN, bottom + 4 * mm, PAGE_WIDTH - MARGIN, bottom + 4 * mm)
    canvas.setFillColor(MUTED)
    canvas.setFont(FONT, 7.5)
    canvas.drawString(MARGIN, bottom, frame.footer_left)
    canvas.drawRightString(PAGE_WIDTH - MARGIN, bottom, f"Page {number} / {total}")
    canvas.restoreState()


def render(story: list, *, frame: PageFrame, title: str, author: str = "") -> bytes:
    """The PDF bytes of `story` (a list of flowables) on A4 pages framed by `frame`."""
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author=author,
        creator="MACHE",
        lang="fr-FR",
        initialFontName=FONT,  # else the canvas's preamble names Helvetica, not embedded
        enforceColorSpace="rgb",
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + HEADER_HEIGHT,
        bottomMargin=MARGIN + FOOTER_HEIGHT - 6 * mm,
    )
    body = Frame(
        doc.leftMargin,
        doc.bottomMargin,
        doc.width,
        doc.height,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[body])])
    doc.build(
        story,
        canvasmaker=functools.partial(
            _CountedPagesCanvas, decorate=functools.partial(_draw_frame, frame=frame)
        ),
    )
    return buffer.getvalue()
