"""The yearly impact report (docs/impact.md): what the coordinator hands to the funders
and the general assembly, for the whole cooperative or one shop. A4, French, drawn by
ReportLab like the monthly reports (mache.pdf, charts.py).

Every figure printed is one of worker.impact's, unchanged: the year's from
`impact_figures` over the calendar year (what `GET /api/impact/?from=<year>-01-01&
to=<year>-12-31` answers), the months' from `impact_by_month`; they are formatted by
mache.formats and never computed a second way here.
"""

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, Spacer, Table
from reportlab.platypus.flowables import HRFlowable

from mache.formats import (
    MONTH_NAMES,
    NBSP,
    format_date,
    format_eur,
    format_long_date,
    format_quantity,
    plural,
)
from mache.pdf import (
    CONTENT_WIDTH,
    FONT_BOLD,
    INK,
    MUTED,
    RULE,
    STRIPE_FILL,
    PageFrame,
    data_table,
    para,
    render,
    styles,
    table_style,
)
from mache.periods import paris_today
from worker import impact as impact_figures_module

from . import charts
from .figures.common import cooperative_name_and_radius
from .pdf import ORGANIC_LABELS, _bold, _rate, impact_rows, zones_table

if TYPE_CHECKING:  # worker.impact reads the figures' helpers: imported as a module above
    from worker.impact import Impact

# Short month names under the chart's bars (French abbreviations).
MONTH_SHORT = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)


@dataclass(frozen=True)
class ImpactReportData:
    """What the yearly report prints: worker.impact's figures of the year and of its
    twelve months, and the names around them."""

    year: int
    cooperative_name: str
    local_radius_km: int
    shop_id: int | None  # None: the whole cooperative
    shop_name: str
    shop_commune: str
    figures: "Impact"  # impact_figures over the calendar year
    months: list["Impact"]  # impact_by_month: twelve, January first
    made_on: dt.date  # the day it is printed: a year not over yet says so


def impact_report_data(*, year: int, shop=None) -> ImpactReportData:
    """The year's figures (one impact_figures call over 1 January - 31 December, what
    the API answers for the same dates) and its months (impact_by_month)."""
    name, radius = cooperative_name_and_radius()
    figures = impact_figures_module.impact_figures(
        start=dt.date(year, 1, 1), end=dt.date(year, 12, 31), shop=shop
    )
    return ImpactReportData(
        year=year,
        cooperative_name=name,
        local_radius_km=radius,
        shop_id=shop.pk if shop is not None else None,
        shop_name=shop.name if shop is not None else "",
        shop_commune=shop.commune if shop is not None else "",
        figures=figures,
        months=list(impact_figures_module.impact_by_month(year=year, shop=shop)),
        made_on=paris_today(),
    )


def impact_report_pdf(year: int, *, shop=None) -> bytes:
    """The yearly impact report of the cooperative (or of `shop`), as PDF bytes."""
    return render_impact_report(impact_report_data(year=year, shop=shop))


# --- Layout ---------------------------------------------------------------------------------


def _style(name: str, **changes) -> ParagraphStyle:
    return ParagraphStyle(name, parent=styles()["body"], **changes)


COVER_TITLE = _style("cover_title", fontName=FONT_BOLD, fontSize=26, leading=32)
COVER_NAME = _style("cover_name", fontName=FONT_BOLD, fontSize=15, leading=20, textColor=MUTED)
COVER_TEXT = _style("cover_text", fontSize=11, leading=15)
TILE_VALUE = _style("tile_value", fontName=FONT_BOLD, fontSize=17, leading=21)
TILE_LABEL = _style("tile_label", fontName=FONT_BOLD, fontSize=8.5, leading=11, textColor=MUTED)
TILE_NOTE = _style("tile_note", fontSize=8, leading=10.5, textColor=INK)


def _text(text: str, style: ParagraphStyle) -> Paragraph:
    """para() for the report's own styles: plain text, escaped."""
    return Paragraph(escape(text), style)


def _section(title: str, *flowables: Flowable) -> KeepTogether:
    return KeepTogether([para(title, "heading"), *flowables])


def _who(data: ImpactReportData) -> str:
    return data.shop_name or data.cooperative_name


def _tile(label: str, value: str, note: str = "") -> list[Flowable]:
    return [_text(label.upper(), TILE_LABEL), _text(value, TILE_VALUE), _text(note, TILE_NOTE)]


def _tiles(data: ImpactReportData) -> Table:
    """The key figures as tiles, two by row: the page a funder reads first."""
    f = data.figures
    zones = f.by_zone
    shops = sum(zone.shops for zone in zones)
    inhabitants = sum(zone.inhabitants for zone in zones)
    tiles = [
        _tile(
            "Achats par la coopérative",
            format_eur(f.purchases_excl_vat),
            "marchandises HT, avoirs déduits",
        ),
        _tile(
            "Part locale",
            _rate(f.local_share),
            f"{format_eur(f.local_excl_vat)} de produits de fournisseurs à "
            f"{data.local_radius_km}{NBSP}km au plus",
        ),
        _tile(
            "Payé aux producteurs locaux",
            format_eur(f.paid_to_local_producers),
            plural(f.local_producers, "producteur local", "producteurs locaux"),
        ),
        _tile(
            "Part bio",
            _rate(f.organic_share),
            f"{format_eur(f.organic_excl_vat)} de produits bio ({ORGANIC_LABELS})",
        ),
        _tile(
            "Économies de mutualisation",
            format_eur(f.savings),
            f"prix de volume {format_eur(f.savings_volume)}, "
            f"frais de port partagés {format_eur(f.savings_shipping)}",
        ),
        _tile("Frais de service", format_eur(f.fees), "facturés par la coopérative, HT"),
    ]
    if data.shop_id is None:
        tiles.append(
            _tile(
                "Commerces membres",
                format_quantity(shops),
                f"dans des communes de {format_quantity(inhabitants)} habitants",
            )
        )
        tiles.append(
            _tile(
                "Fournisseurs",
                format_quantity(len(f.by_supplier)),
                f"dont {format_quantity(sum(1 for s in f.by_supplier if s.local))} locaux",
            )
        )
    rows = [tiles[index : index + 2] for index in range(0, len(tiles), 2)]
    gap = 5 * mm
    column = (CONTENT_WIDTH - gap) / 2
    table = Table(
        [[row[0], "", row[1] if len(row) > 1 else ""] for row in rows],
        colWidths=[column, gap, column],
        hAlign="LEFT",
    )
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3.5 * mm),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3.5 * mm),
        ("TOPPADDING", (0, 0), (-1, -1), 3 * mm),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5 * mm),
        ("LEFTPADDING", (1, 0), (1, -1), 0),
        ("RIGHTPADDING", (1, 0), (1, -1), 0),
    ]
    for row in range(len(rows)):
        for column_index in (0, 2):
            commands += [
                ("BACKGROUND", (column_index, row), (column_index, row), STRIPE_FILL),
                ("LINEBEFORE", (column_index, row), (column_index, row), 2.5, charts.LOCAL),
            ]
    table.setStyle(table_style(commands))
    return table


def _cover(data: ImpactReportData) -> list[Flowable]:
    period = f"du 1er janvier au 31 décembre {data.year}"
    lines = [
        _text(data.cooperative_name, COVER_NAME),
        Spacer(0, 3 * mm),
        _text(f"Rapport d'impact {data.year}", COVER_TITLE),
        Spacer(0, 2 * mm),
    ]
    if data.shop_id is not None:
        where = f" ({data.shop_commune})" if data.shop_commune else ""
        lines.append(_text(f"{data.shop_name}{where}", COVER_NAME))
        lines.append(Spacer(0, 2 * mm))
    lines += [
        _text(
            "Circuits courts, produits locaux et mutualisation des achats des épiceries "
            f"de village, {period}.",
            COVER_TEXT,
        ),
    ]
    if data.made_on.year == data.year:
        lines.append(
            para(
                f"Année en cours : factures émises jusqu'au {format_long_date(data.made_on)}.",
                "notice",
            )
        )
    lines += [
        Spacer(0, 4 * mm),
        HRFlowable(width="100%", thickness=0.75, color=RULE, spaceAfter=5 * mm),
        _tiles(data),
        Spacer(0, 4 * mm),
        _section("Chiffres clés de l'année", _key_figures(data)),
    ]
    return lines


def _key_figures(data: ImpactReportData) -> Flowable:
    f = data.figures
    rows = impact_rows(f, radius=data.local_radius_km)
    rows += [
        ["Économies de mutualisation", format_eur(f.savings), ""],
        ["dont prix de volume", format_eur(f.savings_volume), ""],
        ["dont frais de port partagés", format_eur(f.savings_shipping), ""],
        ["Frais de service facturés par la coopérative (HT)", format_eur(f.fees), ""],
    ]
    return data_table(
        [str(data.year), "Montant HT", "Part des achats"],
        rows,
        widths=[62, 20, 18],
        right_columns={1, 2},
    )


def _months(data: ImpactReportData) -> list[Flowable]:
    months = data.months
    chart = charts.monthly_local_chart(
        [
            (MONTH_SHORT[index], month.purchases_excl_vat, month.local_excl_vat)
            for index, month in enumerate(months)
        ],
        width=CONTENT_WIDTH,
    )
    rows = [
        [
            MONTH_NAMES[index].capitalize(),
            format_eur(month.purchases_excl_vat),
            format_eur(month.local_excl_vat),
            _rate(month.local_share),
            format_eur(month.organic_excl_vat),
            _rate(month.organic_share),
            format_eur(month.paid_to_local_producers),
        ]
        for index, month in enumerate(months)
    ]
    f = data.figures
    rows.append(
        [
            _bold(f"Année {data.year}"),
            *[
                _bold(text, right=True)
                for text in (
                    format_eur(f.purchases_excl_vat),
                    format_eur(f.local_excl_vat),
                    _rate(f.local_share),
                    format_eur(f.organic_excl_vat),
                    _rate(f.organic_share),
                    format_eur(f.paid_to_local_producers),
                )
            ],
        ]
    )
    table = data_table(
        [
            "Mois",
            "Achats HT",
            "dont locaux",
            "Part locale",
            "dont bio",
            "Part bio",
            "Producteurs locaux",
        ],
        rows,
        widths=[17, 16, 15, 11, 14, 11, 16],
        right_columns={1, 2, 3, 4, 5, 6},
    )
    return [
        chart,
        Spacer(0, 3 * mm),
        table,
        para(
            "Chaque mois compte les factures émises ce mois-là : les mois s'additionnent "
            "pour donner l'année.",
            "small",
        ),
    ]


def _shares(data: ImpactReportData) -> list[Flowable]:
    f = data.figures
    return [
        charts.shares_chart(
            [
                ("Produits locaux", f.local_share, charts.LOCAL),
                ("Produits bio", f.organic_share, charts.ORGANIC),
            ],
            width=CONTENT_WIDTH,
        ),
        para(
            "Part des achats de marchandises HT, avoirs déduits ; 0 % sans achat dans l'année.",
            "small",
        ),
    ]


def _suppliers(data: ImpactReportData) -> list[Flowable]:
    f = data.figures
    rows = [
        [
            row.supplier,
            row.kind_label,
            row.commune,
            row.distance_text,
            "oui" if row.local else "non",
            format_eur(row.purchases_excl_vat),
        ]
        for row in f.by_supplier
    ]
    if rows:
        rows.append(
            [
                _bold(plural(len(f.by_supplier), "fournisseur", "fournisseurs")),
                "",
                "",
                "",
                "",
                _bold(format_eur(f.purchases_excl_vat), right=True),
            ]
        )
    return [
        data_table(
            ["Fournisseur", "Type", "Commune", "Distance", "Local", "Achats HT"],
            rows,
            # Room for "Transformateur", "sans coordonnées" and six-figure amounts.
            widths=[24, 15.5, 23, 17.5, 6.5, 13.5],
            right_columns={3, 4, 5},
            empty="Aucun achat par la coopérative cette année.",
        ),
        para(
            f"Distance à vol d'oiseau jusqu'à la plateforme de la coopérative ; local : à "
            f"{data.local_radius_km}{NBSP}km au plus.",
            "small",
        ),
    ]


def _without_coordinates(data: ImpactReportData) -> list[Flowable]:
    names = data.figures.without_coordinates
    if not names:
        return [para("Tous les fournisseurs de l'année ont leurs coordonnées.")]
    return [
        para(
            "Sans coordonnées, la distance d'un fournisseur est inconnue : il est compté "
            f"comme non local. Cette année : {plural(len(names), 'fournisseur', 'fournisseurs')}."
        ),
        data_table(
            ["Fournisseur (compté comme non local)"],
            [[name] for name in names],
            widths=[1],
            width=110 * mm,
        ),
    ]


def _zones(data: ImpactReportData) -> list[Flowable]:
    if data.shop_id is None:
        return zones_table(data.figures)
    zones = [zone for zone in data.figures.by_zone if zone.shops]
    if not zones:
        return [para("Zone du commerce non renseignée.")]
    zone = zones[0]
    inhabitants = (
        f"{format_quantity(zone.inhabitants)} habitants"
        if not zone.shops_without_inhabitants
        else "habitants non renseignés"
    )
    return [para(f"Zone : {zone.label} · commune de {inhabitants}.")]


def _shops(data: ImpactReportData) -> list[Flowable]:
    """The member shops of the year (worker.impact.ShopImpact), by name."""
    f = data.figures
    rows = [
        [
            shop.shop,
            shop.zone_label,
            format_eur(shop.purchases_excl_vat),
            _rate(shop.local_share),
            _rate(shop.organic_share),
            format_eur(shop.savings),
        ]
        for shop in f.by_shop
    ]
    if rows:
        rows.append(
            [
                _bold(plural(len(f.by_shop), "commerce", "commerces")),
                "",
                *[
                    _bold(text, right=True)
                    for text in (
                        format_eur(f.purchases_excl_vat),
                        _rate(f.local_share),
                        _rate(f.organic_share),
                        format_eur(f.savings),
                    )
                ],
            ]
        )
    return [
        data_table(
            ["Commerce", "Zone", "Achats HT", "Part locale", "Part bio", "Économies"],
            rows,
            widths=[34, 12, 16, 12, 12, 14],
            right_columns={2, 3, 4, 5},
            empty="Aucun commerce membre cette année.",
        )
    ]


def _method(data: ImpactReportData) -> list[Flowable]:
    radius = f"{data.local_radius_km}{NBSP}km"
    notes = [
        "Les chiffres viennent des factures que la coopérative a émises aux commerces, "
        "c'est-à-dire de ce qui a été reçu et facturé, jamais des commandes ; chaque "
        "facture compte à sa date d'émission.",
        "Achats : les marchandises hors TVA, sans le port ni les frais de service ; les "
        "avoirs émis dans la période sont déduits, et une facture complémentaire compte "
        "avec la facture de sa tournée.",
        f"Local : un fournisseur situé à {radius} au plus de la plateforme de la "
        "coopérative, distance à vol d'oiseau calculée depuis les coordonnées saisies par "
        "la coordination. Un fournisseur sans coordonnées est compté comme non local.",
        f"Bio : un produit portant un label bio ({ORGANIC_LABELS}) ; les labels du produit, "
        "ou à défaut ceux de son fournisseur.",
        "Payé aux producteurs locaux : les achats aux fournisseurs locaux de type producteur.",
        "Économies de mutualisation : les prix de volume obtenus ensemble et le port "
        "partagé (ce que chaque commerce aurait payé seul, moins sa quote-part), comme dans "
        "les rapports mensuels. Frais de service : ceux facturés aux commerces.",
        "Habitants : ceux des communes des commerces membres, quand la coordination les a "
        "renseignés.",
    ]
    return [para(note, "small") for note in notes]


def render_impact_report(data: ImpactReportData) -> bytes:
    """The report's pages: the cover and key figures; the months; shops and suppliers;
    the method."""
    title = f"Rapport d'impact {data.year} — {_who(data)}"
    story = [
        *_cover(data),
        PageBreak(),
        _section("Achats et produits locaux, mois par mois", *_months(data)),
        _section("Parts locale et bio des achats de l'année", *_shares(data)),
        _section(
            "Commerces membres par zone" if data.shop_id is None else "Le commerce",
            *_zones(data),
        ),
        *(
            [para("Commerces membres de l'année", "heading"), *_shops(data)]
            if data.shop_id is None
            else []
        ),
        para("Fournisseurs de l'année", "heading"),
        *_suppliers(data),
        _section("Fournisseurs sans coordonnées", *_without_coordinates(data)),
        _section("Méthode : ce qui est compté", *_method(data)),
    ]
    frame = PageFrame(
        header_left=data.cooperative_name,
        header_right=f"Rapport d'impact {data.year}"
        + (f" — {data.shop_name}" if data.shop_id is not None else ""),
        footer_left=f"Montants en euros hors taxes · édité le {format_date(data.made_on)}",
    )
    return render(story, frame=frame, title=title, author=data.cooperative_name)
