"""The charts of the monthly reports, drawn with ReportLab's own graphics: each function
returns a Drawing, a flowable that goes into a story like a table.

Amounts arrive as Decimal and every label printed is formatted from the Decimal (by
mache.formats). ReportLab plots floats, so `_plotted` turns a Decimal into a float for
the bar positions ONLY, here and nowhere else: a float never reaches a printed figure.
"""

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm

from mache.formats import NBSP, format_eur, format_quantity, format_rate
from mache.pdf import FONT, FONT_BOLD, INK, MUTED, RULE

BAR = colors.HexColor("#2f6f5e")  # the shop's own figures
MEDIAN = colors.HexColor("#b8c2cc")  # the cooperative's median
SUPPLIERS_SHOWN = 8  # more suppliers are summed into one "others" bar
NOT_AVAILABLE = "n.d."


def _plotted(amount: Decimal | None) -> float:
    """A bar's length: plotting needs a float, the only place a Decimal becomes one."""
    return float(amount) if amount is not None else 0.0


def _tick(value: float) -> Decimal:
    """An axis tick (a round number ReportLab chose) back to a Decimal to print."""
    return Decimal(repr(round(value, 2)))


def _euro_tick(value: float) -> str:
    """1200.0 -> "1 200 €"; 2.5 -> "2,50 €" (small scales tick below the euro)."""
    tick = _tick(value)
    if tick == tick.to_integral_value():
        return f"{format_quantity(int(tick))}{NBSP}€"
    return format_eur(tick)


def _percent_tick(value: float) -> str:
    """0.25 -> "0,25 %", 20.0 -> "20 %"."""
    return format_rate(_tick(value))


def _style_value_axis(axis, *, values: Sequence[Decimal | None], tick) -> None:
    present = [value for value in values if value is not None]
    if not present or min(present) >= 0:
        axis.valueMin = 0  # else ReportLab's own scale, which shows a loss below zero
    if not present or max(present) <= 0:
        axis.valueMax = 0 if present and min(present) < 0 else 1
    if not any(present):
        axis.visibleLabels = 0  # nothing to plot: an empty axis, not a degenerate scale
    axis.labels.fontName = FONT
    axis.labels.fontSize = 6.5
    axis.labels.fillColor = MUTED
    axis.labelTextFormat = tick
    axis.strokeColor = RULE
    axis.visibleGrid = 1
    axis.gridStrokeColor = RULE
    axis.gridStrokeWidth = 0.3


def daily_sales_chart(
    days: Sequence[tuple[dt.date, Decimal]], *, width: float, height: float = 52 * mm
) -> Drawing:
    """Sales excl. VAT of each day of the month, one bar per day."""
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 42, 16
    chart.width, chart.height = width - chart.x - 4, height - chart.y - 6
    chart.data = [[_plotted(amount) for _, amount in days]]
    chart.categoryAxis.categoryNames = [str(day.day) for day, _ in days]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 6.5
    chart.categoryAxis.labels.fillColor = MUTED
    chart.categoryAxis.labels.dy = -2
    chart.categoryAxis.labelAxisMode = "low"  # day numbers under the chart, even below 0
    chart.categoryAxis.strokeColor = MUTED
    chart.categoryAxis.tickDown = 0
    _style_value_axis(chart.valueAxis, values=[amount for _, amount in days], tick=_euro_tick)
    chart.bars[0].fillColor = BAR
    chart.bars[0].strokeColor = None
    chart.barSpacing = 1
    chart.groupSpacing = 3
    drawing.add(chart)
    return drawing


def supplier_purchases_chart(rows: Sequence[tuple[str, Decimal]], *, width: float) -> Drawing:
    """Goods bought per supplier, largest at the top, the amount at the end of each bar;
    past SUPPLIERS_SHOWN suppliers, the rest is one "Autres fournisseurs" bar."""
    rows = list(rows)
    if len(rows) > SUPPLIERS_SHOWN:
        rest = rows[SUPPLIERS_SHOWN - 1 :]
        rows = rows[: SUPPLIERS_SHOWN - 1] + [
            (f"Autres fournisseurs ({len(rest)})", sum((a for _, a in rest), Decimal("0")))
        ]
    bar_height, label_room, amount_room = 14, 150, 70
    height = bar_height * len(rows) + 24
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = label_room, 14
    chart.width, chart.height = width - label_room - amount_room, height - chart.y - 4
    chart.data = [[_plotted(amount) for _, amount in rows]]
    chart.categoryAxis.categoryNames = [_shortened(name, 34) for name, _ in rows]
    chart.categoryAxis.reverseDirection = 1  # the first (largest) supplier at the top
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7.5
    chart.categoryAxis.labels.fillColor = INK
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -4
    chart.categoryAxis.strokeColor = MUTED
    chart.categoryAxis.tickLeft = 0
    _style_value_axis(chart.valueAxis, values=[amount for _, amount in rows], tick=_euro_tick)
    chart.bars[0].fillColor = BAR
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = "values"
    chart.barLabelArray = [[format_eur(amount) for _, amount in rows]]
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 7
    chart.barLabels.fillColor = INK
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart)
    return drawing


def _shortened(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _formatted(value: Decimal | None, unit: str) -> str:
    if value is None:
        return NOT_AVAILABLE
    return format_eur(value) if unit == "€" else format_rate(value)


def benchmark_chart(
    lines: Sequence[tuple[str, str, Decimal | None, Decimal | None]],
    *,
    width: float,
    height: float = 62 * mm,
) -> Drawing:
    """For each (label, unit, shop's value, median): the shop's bar beside the median's,
    in its own panel with its own scale (a rate and an amount per day do not share an
    axis). A missing value draws no bar and reads "n.d."."""
    drawing = Drawing(width, height)
    legend_room, title_room, gap = 18, 14, 16
    panel = (width - gap * (len(lines) - 1)) / len(lines)
    for index, (label, unit, shop, median) in enumerate(lines):
        left = index * (panel + gap)
        chart = VerticalBarChart()
        chart.x, chart.y = left + 34, legend_room + 8
        chart.width = panel - 40
        chart.height = height - chart.y - title_room - 6
        chart.data = [[_plotted(shop)], [_plotted(median)]]
        chart.categoryAxis.categoryNames = [""]
        chart.categoryAxis.strokeColor = MUTED
        chart.categoryAxis.tickDown = 0
        _style_value_axis(
            chart.valueAxis,
            values=[shop, median],
            tick=_euro_tick if unit == "€" else _percent_tick,
        )
        largest = max((v for v in (shop, median) if v is not None), default=None)
        if largest is not None and largest > 0:
            # Room above the taller bar for its label.
            chart.valueAxis.valueMax = _plotted(largest) * 1.25
        chart.bars[0].fillColor = BAR
        chart.bars[1].fillColor = MEDIAN
        chart.bars.strokeColor = None
        chart.barSpacing = 6
        chart.groupSpacing = 18
        chart.barLabelFormat = "values"
        chart.barLabelArray = [[_formatted(shop, unit)], [_formatted(median, unit)]]
        chart.barLabels.fontName = FONT_BOLD
        chart.barLabels.fontSize = 7
        chart.barLabels.fillColor = INK
        chart.barLabels.boxAnchor = "s"
        chart.barLabels.dy = 2
        drawing.add(chart)
        drawing.add(
            String(
                left + panel / 2,
                height - title_room + 2,
                label,
                fontName=FONT_BOLD,
                fontSize=8,
                fillColor=INK,
                textAnchor="middle",
            )
        )
    legend = Legend()
    legend.x, legend.y = 0, 6
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 130
    legend.fontName = FONT
    legend.fontSize = 7.5
    legend.fillColor = INK
    legend.boxAnchor = "w"
    legend.dx = legend.dy = 8
    legend.colorNamePairs = [(BAR, "Votre commerce"), (MEDIAN, "Médiane de la coopérative")]
    drawing.add(legend)
    return drawing


# --- The yearly impact report (docs/impact.md) ----------------------------------------------

LOCAL = BAR  # the local part of the purchases
NOT_LOCAL = MEDIAN  # the rest
ORGANIC = colors.HexColor("#7a9e3d")  # the organic share
SHARE_MAX = 100  # shares are percentages


def monthly_local_chart(
    months: Sequence[tuple[str, Decimal, Decimal]],
    *,
    width: float,
    height: float = 68 * mm,
) -> Drawing:
    """For each (month's short name, purchases, their local part): one bar of the
    month's purchases, its local part at the bottom and the rest above, with a legend."""
    drawing = Drawing(width, height)
    legend_room = 16
    chart = VerticalBarChart()
    chart.x, chart.y = 46, legend_room + 14
    chart.width, chart.height = width - chart.x - 4, height - chart.y - 6
    chart.data = [
        [_plotted(local) for _, _, local in months],
        [_plotted(purchases - local) for _, purchases, local in months],
    ]
    chart.categoryAxis.style = "stacked"
    chart.categoryAxis.categoryNames = [name for name, _, _ in months]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.fillColor = MUTED
    chart.categoryAxis.labels.dy = -2
    chart.categoryAxis.labelAxisMode = "low"
    chart.categoryAxis.strokeColor = MUTED
    chart.categoryAxis.tickDown = 0
    _style_value_axis(
        chart.valueAxis, values=[purchases for _, purchases, _ in months], tick=_euro_tick
    )
    chart.bars[0].fillColor = LOCAL
    chart.bars[1].fillColor = NOT_LOCAL
    chart.bars.strokeColor = None
    chart.groupSpacing = 8
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = chart.x, 6
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 150
    legend.fontName = FONT
    legend.fontSize = 7.5
    legend.fillColor = INK
    legend.boxAnchor = "w"
    legend.dx = legend.dy = 8
    legend.colorNamePairs = [(LOCAL, "Produits locaux"), (NOT_LOCAL, "Autres achats")]
    drawing.add(legend)
    return drawing


def shares_chart(
    shares: Sequence[tuple[str, Decimal | None, colors.Color]],
    *,
    width: float,
    bar_height: int = 18,
) -> Drawing:
    """For each (label, share in percent or None, colour): a bar on a 0-100 % scale with
    its share printed at its end ("n.d." for None)."""
    label_room, amount_room = 120, 50
    height = bar_height * len(shares) + 26
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = label_room, 14
    chart.width, chart.height = width - label_room - amount_room, height - chart.y - 4
    chart.data = [[_plotted(share) for _, share, _ in shares]]
    chart.categoryAxis.categoryNames = [label for label, _, _ in shares]
    chart.categoryAxis.reverseDirection = 1
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.labels.fillColor = INK
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -4
    chart.categoryAxis.strokeColor = MUTED
    chart.categoryAxis.tickLeft = 0
    _style_value_axis(chart.valueAxis, values=[Decimal(SHARE_MAX)], tick=_percent_tick)
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = 0, SHARE_MAX
    chart.valueAxis.valueStep = 20
    chart.bars[0].strokeColor = None
    for index, (_, _, colour) in enumerate(shares):
        chart.bars[(0, index)].fillColor = colour
    chart.barLabelFormat = "values"
    chart.barLabelArray = [[_formatted(share, "%") for _, share, _ in shares]]
    chart.barLabels.fontName = FONT_BOLD
    chart.barLabels.fontSize = 8
    chart.barLabels.fillColor = INK
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart)
    return drawing
