"""The monthly management reports as PDF (A4, French): one per shop, and the
cooperative's for the coordinator. They print the figures of worker.reports.figures
as they are, formatted by mache.formats; they read nothing from the database.

A shop's report keeps each section together and lets sections flow from page to page;
it takes two to four pages because its lists are bounded: ten products, INVOICES_SHOWN
invoices and LOTS_SHOWN lots (the rest summed or counted), eight suppliers in the chart.
"""

import datetime as dt
from decimal import Decimal

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from catalogue.labels import LABELS, ORGANIC
from catalogue.local import short_label
from mache.formats import (
    NBSP,
    format_date,
    format_eur,
    format_month_name,
    format_quantity,
    format_rate,
    plural,
)
from mache.pdf import (
    CONTENT_WIDTH,
    PageFrame,
    data_table,
    para,
    render,
    side_by_side,
    summary_table,
)
from mache.periods import previous_month

from . import charts
from .figures import (
    DSO_DAYS,
    MIN_SHOPS_FOR_MEDIAN,
    CooperativeReportData,
    MonthFigures,
    Receivables,
    ShopReportData,
)

INVOICES_SHOWN = 10
LOTS_SHOWN = 12
ABSENT = ""  # a month the books hold nothing for prints blank, not as zeros
NOT_AVAILABLE = "n.d."


def month_label(month: dt.date) -> str:
    """date(2026, 11, 1) -> "novembre 2026" (mache.formats)."""
    return format_month_name(month)


def _rate(rate: Decimal | None) -> str:
    return format_rate(rate) if rate is not None else NOT_AVAILABLE


def _eur(amount: Decimal | None) -> str:
    return format_eur(amount) if amount is not None else NOT_AVAILABLE


def _bold(text: str, *, right: bool = False) -> Flowable:
    return para(text, "head_right" if right else "head")


def _section(title: str, *flowables: Flowable) -> KeepTogether:
    """A heading and what follows it, never split across pages."""
    return KeepTogether([para(title, "heading"), *flowables])


# --- Short supply chains: the section both reports share (docs/impact.md) -------------


ORGANIC_LABELS = ", ".join(short_label(code) for code in LABELS if code in ORGANIC)


IMPACT_NOTE = (
    "Marchandises facturées par la coopérative dans le mois (hors TVA, port et frais de "
    "service), avoirs du mois déduits. Un fournisseur sans coordonnées n'est pas compté "
    "comme local."
)


def impact_rows(impact, *, radius: int) -> list[list[str]]:
    """The rows (label, amount, share or count) of worker.impact.Impact's key figures,
    as printed by the monthly reports and the yearly impact report."""
    return [
        [
            "Achats par la coopérative (marchandises HT, avoirs déduits)",
            format_eur(impact.purchases_excl_vat),
            "",
        ],
        [
            f"dont produits locaux (fournisseurs à {radius}{NBSP}km au plus)",
            format_eur(impact.local_excl_vat),
            _rate(impact.local_share),
        ],
        [
            f"dont produits bio ({ORGANIC_LABELS})",
            format_eur(impact.organic_excl_vat),
            _rate(impact.organic_share),
        ],
        [
            "Payé aux producteurs locaux",
            format_eur(impact.paid_to_local_producers),
            plural(impact.local_producers, "producteur", "producteurs"),
        ],
    ]


def impact_table(impact, *, radius: int, width: float = CONTENT_WIDTH) -> Flowable:
    return data_table(
        ["Circuits courts", "Montant HT", "Part des achats"],
        impact_rows(impact, radius=radius),
        widths=[62, 20, 18],
        right_columns={1, 2},
        width=width,
    )


def zones_table(impact, *, width: float = CONTENT_WIDTH) -> list[Flowable]:
    """Member shops by zone (worker.impact.ZoneImpact): shops, inhabitants of their
    communes where recorded, purchases; a note when some shops have no count."""
    zones = impact.by_zone
    rows = [
        [
            zone.label,
            format_quantity(zone.shops),
            format_quantity(zone.inhabitants),
            format_eur(zone.purchases_excl_vat),
        ]
        for zone in zones
    ]
    rows.append(
        [
            _bold("Total"),
            _bold(format_quantity(sum(zone.shops for zone in zones)), right=True),
            _bold(format_quantity(sum(zone.inhabitants for zone in zones)), right=True),
            _bold(format_eur(sum((z.purchases_excl_vat for z in zones), Decimal("0"))), right=True),
        ]
    )
    flowables = [
        data_table(
            ["Zone", "Commerces membres", "Habitants des communes", "Achats HT"],
            rows,
            widths=[34, 22, 24, 20],
            right_columns={1, 2, 3},
            width=width,
        )
    ]
    missing = sum(zone.shops_without_inhabitants for zone in zones)
    if missing:
        flowables.append(
            para(
                f"Habitants non renseignés pour {plural(missing, 'commerce', 'commerces')} "
                "(non comptés).",
                "small",
            )
        )
    return flowables


# --- The shop's report -------------------------------------------------------------------

KEY_FIGURES = (
    ("Ventes de marchandises HT", "sales_of_goods"),
    ("Achats de marchandises", "purchases_of_goods"),
    ("Variation des stocks (charge si le stock baisse)", "stock_variation"),
    ("Coût d'achat des marchandises vendues", "cost_of_goods_sold"),
    ("Marge brute", "gross_margin"),
    ("Taux de marge brute", "margin_rate"),
    ("Charges externes", "external_charges"),
    ("Résultat du mois", "result"),
)


def _figure(figures: MonthFigures | None, key: str) -> str:
    if figures is None:
        return ABSENT
    value = getattr(figures, key)
    return _rate(value) if key == "margin_rate" else format_eur(value)


def _key_figures(data: ShopReportData) -> list[Flowable]:
    # The three months are named even when absent: their column is then blank.
    columns = (
        (data.month, data.figures),
        (previous_month(data.month), data.previous),
        (data.month.replace(year=data.month.year - 1), data.year_before),
    )
    rows = []
    for label, key in KEY_FIGURES:
        strong = key in ("gross_margin", "result")
        cells = [_figure(figures, key) for _, figures in columns]
        rows.append(
            [
                _bold(label) if strong else label,
                *[_bold(cell, right=True) if strong and cell else cell for cell in cells],
            ]
        )
    flowables = [
        data_table(
            ["", *[month_label(month) for month, _ in columns]],
            rows,
            widths=[46, 18, 18, 18],
            right_columns={1, 2, 3},
        )
    ]
    absent = [month_label(month) for month, figures in columns[1:] if figures is None]
    if absent:
        months = (
            f"en {absent[0]}"
            if len(absent) == 1
            else " ".join(f"ni en {label}" for label in absent)
        )
        flowables.append(para(f"Colonne vide : aucune écriture dans vos livres {months}.", "small"))
    return flowables


def _purchases_and_savings(data: ShopReportData) -> Flowable:
    purchases = summary_table(
        [
            ("Achats par la coopérative", format_eur(data.purchases_through_cooperative)),
            ("Autres achats", format_eur(data.other_purchases)),
            ("Achats de marchandises", format_eur(data.figures.purchases_of_goods)),
        ],
        strong={2},
        width=80 * mm,
    )
    savings = summary_table(
        [
            ("Prix de volume", format_eur(data.savings.volume)),
            ("Frais de port partagés", format_eur(data.savings.shipping)),
            ("Total des économies", format_eur(data.savings.total)),
        ],
        strong={2},
        width=80 * mm,
    )
    return side_by_side([purchases, savings], widths=[1, 1])


def _daily_sales(data: ShopReportData) -> list[Flowable]:
    if data.sales_per_day_open is None:
        days = "Aucun ticket Z ce mois-ci : pas de moyenne par jour d'ouverture."
    else:
        days = (
            f"{plural(data.days_open, 'jour', 'jours')} d'ouverture (tickets Z) ; "
            f"ventes HT par jour d'ouverture : {format_eur(data.sales_per_day_open)}."
        )
    return [
        charts.daily_sales_chart([(d.day, d.sales) for d in data.daily_sales], width=CONTENT_WIDTH),
        para(days, "small"),
    ]


def _savings_detail(data: ShopReportData) -> list[Flowable]:
    invoices = data.savings.invoices
    shown, rest = invoices[:INVOICES_SHOWN], invoices[INVOICES_SHOWN:]
    rows = [
        [
            i.number,
            i.supplier,
            format_eur(i.goods_excl_vat),
            format_eur(i.volume),
            format_eur(i.shipping_alone),
            format_eur(i.shipping_share),
            format_eur(i.total),
        ]
        for i in shown
    ]
    if rest:
        rows.append(
            [
                plural(len(rest), "autre facture", "autres factures"),
                "",
                *[
                    format_eur(sum((getattr(i, name) for i in rest), Decimal("0")))
                    for name in (
                        "goods_excl_vat",
                        "volume",
                        "shipping_alone",
                        "shipping_share",
                        "total",
                    )
                ],
            ]
        )
    if invoices:
        rows.append(
            [
                _bold("Total"),
                "",
                _bold(format_eur(data.purchases_through_cooperative), right=True),
                _bold(format_eur(data.savings.volume), right=True),
                _bold(
                    format_eur(sum((i.shipping_alone for i in invoices), Decimal("0"))), right=True
                ),
                _bold(
                    format_eur(sum((i.shipping_share for i in invoices), Decimal("0"))), right=True
                ),
                _bold(format_eur(data.savings.total), right=True),
            ]
        )
    return [
        data_table(
            [
                "Facture",
                "Fournisseur",
                "Marchandises HT",
                "Prix de volume",
                "Port si seul",
                "Quote-part de port",
                "Économie",
            ],
            rows,
            widths=[25, 23, 15, 13, 13, 15, 13],
            right_columns={2, 3, 4, 5, 6},
            empty="Aucune facture de la coopérative ce mois-ci.",
        ),
        para(
            "Prix de volume : ce que les prix de groupe ont fait gagner sur chaque ligne. "
            "Port si seul : les frais de port du fournisseur pour vos seules marchandises "
            "(nuls au-delà de son franco) ; l'économie de port est la différence avec votre "
            "quote-part.",
            "small",
        ),
    ]


def _suppliers(data: ShopReportData) -> list[Flowable]:
    if not data.purchases_by_supplier:
        return [para("Aucun achat par la coopérative ce mois-ci.")]
    return [
        charts.supplier_purchases_chart(
            [(s.supplier, s.goods_excl_vat) for s in data.purchases_by_supplier],
            width=CONTENT_WIDTH,
        )
    ]


def _losses(data: ShopReportData) -> list[Flowable]:
    rows = [
        [line.label, format_quantity(line.units), format_eur(line.value)] for line in data.losses
    ]
    rows.append(
        [
            _bold("Total"),
            _bold(format_quantity(data.losses_units), right=True),
            _bold(format_eur(data.losses_value), right=True),
        ]
    )
    rate = (
        f"Taux de pertes : {format_rate(data.losses_rate)} des ventes de marchandises HT."
        if data.losses_rate is not None
        else "Taux de pertes : n.d. (aucune vente)."
    )
    return [
        data_table(
            ["Motif", "Unités", "Valeur (coût d'achat)"],
            rows,
            widths=[50, 20, 30],
            right_columns={1, 2},
            width=110 * mm,
        ),
        para(rate, "small"),
    ]


def _stock(data: ShopReportData) -> list[Flowable]:
    lots = data.expiring_lots
    shown, rest = lots[:LOTS_SHOWN], lots[LOTS_SHOWN:]
    rows = [
        [
            lot.product,
            lot.lot or "—",
            format_date(lot.expires_on) + (" (dépassée)" if lot.expires_on <= data.date_to else ""),
            format_quantity(lot.quantity),
        ]
        for lot in shown
    ]
    flowables = [
        para(
            f"Valeur du stock au {format_date(data.date_to)} (coût moyen pondéré) : "
            f"{format_eur(data.stock_value)}"
        ),
        Spacer(0, 2 * mm),
        para(f"Lots qui périment au plus tard le {format_date(data.expiry_horizon)}", "label"),
        data_table(
            ["Produit", "Lot", "Date limite", "Quantité"],
            rows,
            widths=[50, 18, 20, 12],
            right_columns={3},
            empty="Aucun lot à écouler dans ce délai.",
        ),
    ]
    if rest:
        flowables.append(
            para(
                f"… et {plural(len(rest), 'autre lot', 'autres lots')} : "
                "voir les alertes de stock.",
                "small",
            )
        )
    return flowables


def _top_products(data: ShopReportData) -> list[Flowable]:
    rows = [
        [str(rank), p.product, format_quantity(p.units), format_eur(p.cost)]
        for rank, p in enumerate(data.top_products, start=1)
    ]
    return [
        data_table(
            ["Rang", "Produit", "Unités vendues", "Coût d'achat des ventes"],
            rows,
            widths=[8, 56, 16, 20],
            right_columns={0, 2, 3},
            empty="Aucune vente enregistrée en stock ce mois-ci.",
        )
    ]


def _treasury(data: ShopReportData) -> list[Flowable]:
    return [
        summary_table(
            [
                ("Caisse (530000)", format_eur(data.cash_balance)),
                ("Banque (512000)", format_eur(data.bank_balance)),
                ("Dû à la coopérative (401000)", format_eur(data.due_to_cooperative)),
            ],
            width=110 * mm,
        )
    ]


def _dso(days: Decimal | None) -> str:
    return plural(int(days), "jour", "jours") if days is not None else NOT_AVAILABLE


def _receivables_rows(r: Receivables, date_to: dt.date) -> list[tuple[str, str]]:
    return [
        ("Facturé TTC dans le mois", format_eur(r.invoiced)),
        ("Réglé dans le mois", format_eur(r.paid)),
        ("Avoirs du mois", format_eur(r.credited)),
        (f"Reste dû au {format_date(date_to)}", format_eur(r.due)),
        ("dont en retard", format_eur(r.overdue)),
        (f"Délai moyen de paiement (DSO, {DSO_DAYS} jours)", _dso(r.dso)),
    ]


DSO_NOTE = (
    f"Délai moyen de paiement : reste dû en fin de mois / facturé TTC des {DSO_DAYS} "
    f"derniers jours × {DSO_DAYS}."
)


def _receivables(data: ShopReportData) -> list[Flowable]:
    return [
        summary_table(_receivables_rows(data.receivables, data.date_to), width=125 * mm),
        para(DSO_NOTE, "small"),
    ]


def _benchmark(data: ShopReportData) -> list[Flowable]:
    def value(amount, unit):
        return _eur(amount) if unit == "€" else _rate(amount)

    rows = [
        [
            line.label,
            value(line.shop, line.unit),
            value(line.median, line.unit),
            format_quantity(line.shops),
        ]
        for line in data.benchmark
    ]
    return [
        data_table(
            ["Indicateur", "Votre commerce", "Médiane de la coopérative", "Commerces comparés"],
            rows,
            widths=[40, 18, 24, 18],
            right_columns={1, 2, 3},
        ),
        Spacer(0, 3 * mm),
        charts.benchmark_chart(
            [(line.label, line.unit, line.shop, line.median) for line in data.benchmark],
            width=CONTENT_WIDTH,
        ),
        para(
            "Médiane des commerces actifs de la coopérative dont la donnée existe ce mois-ci ; "
            "aucun commerce n'y est nommé, et sous "
            f"{MIN_SHOPS_FOR_MEDIAN} commerces elle n'est pas donnée (n.d.).",
            "small",
        ),
    ]


def shop_report_pdf(data: ShopReportData) -> bytes:
    """The shop's monthly management report, as PDF bytes (two to four A4 pages)."""
    month = month_label(data.month)
    title = f"Rapport mensuel — {data.shop_name} — {month}"
    story = [
        para(f"{data.shop_name} — {month}", "title"),
        para(
            f"Rapport mensuel de gestion du {format_date(data.date_from)} au "
            f"{format_date(data.date_to)}" + (f" · {data.commune}" if data.commune else ""),
            "subtitle",
        ),
        _section("Chiffres clés", *_key_figures(data)),
        _section("Achats et économies de mutualisation", _purchases_and_savings(data)),
        _section("Ventes HT par jour", *_daily_sales(data)),
        _section("Économies de mutualisation, facture par facture", *_savings_detail(data)),
        _section("Achats par fournisseur (marchandises HT)", *_suppliers(data)),
        _section("Pertes du mois par motif", *_losses(data)),
        _section("Stock et lots à écouler", *_stock(data)),
        _section(
            f"Meilleures ventes (les {len(data.top_products) or 10} produits les plus "
            "vendus en unités)",
            *_top_products(data),
        ),
        _section(f"Trésorerie et coopérative au {format_date(data.date_to)}", *_treasury(data)),
        _section("Factures de la coopérative", *_receivables(data)),
        _section("Votre commerce et la médiane de la coopérative", *_benchmark(data)),
        _section(
            "Circuits courts et impact",
            impact_table(data.impact, radius=data.local_radius_km),
            para(IMPACT_NOTE, "small"),
        ),
    ]
    frame = PageFrame(
        header_left=data.cooperative_name,
        header_right=f"{data.shop_name} — {month}",
        footer_left=f"Rapport mensuel de gestion · montants en euros{NBSP}HT sauf trésorerie",
    )
    return render(story, frame=frame, title=title, author=data.cooperative_name)


# --- The cooperative's report ------------------------------------------------------------


def _members(data: CooperativeReportData) -> list[Flowable]:
    rows = [
        [row.status, *[format_quantity(n) for n in row.counts], format_quantity(row.total)]
        for row in data.members
    ]
    rows.append(
        [
            _bold("Total"),
            *[_bold(format_quantity(n), right=True) for n in data.members_by_zone],
            _bold(format_quantity(data.members_total), right=True),
        ]
    )
    columns = len(data.zones) + 2
    return [
        data_table(
            ["Statut", *data.zones, "Total"],
            rows,
            widths=[30] + [14] * (columns - 1),
            right_columns=set(range(1, columns)),
            width=130 * mm,
        )
    ]


def _changes(title: str, changes, empty: str) -> Flowable:
    return data_table(
        [title, "Commune", "Date"],
        [[c.name, c.commune, format_date(c.on)] for c in changes],
        widths=[40, 34, 20],
        right_columns={2},
        empty=empty,
        width=(CONTENT_WIDTH - 6 * mm) / 2,
    )


def _supplier_purchases(data: CooperativeReportData) -> list[Flowable]:
    rows = [
        [
            s.supplier,
            format_quantity(s.orders),
            format_eur(s.total_excl_vat),
            format_eur(s.shipping),
        ]
        for s in data.purchases_by_supplier
    ]
    if rows:
        rows.append(
            [
                _bold("Total"),
                _bold(
                    format_quantity(sum(s.orders for s in data.purchases_by_supplier)), right=True
                ),
                _bold(format_eur(data.purchases_total), right=True),
                _bold(format_eur(data.shipping_total), right=True),
            ]
        )
    flowables = [
        data_table(
            ["Fournisseur", "Commandes reçues", "Marchandises HT", "Port HT"],
            rows,
            widths=[46, 16, 20, 18],
            right_columns={1, 2, 3},
            empty="Aucune commande fournisseur reçue ce mois-ci.",
        )
    ]
    if data.purchases_by_supplier:
        flowables += [
            Spacer(0, 3 * mm),
            charts.supplier_purchases_chart(
                [(s.supplier, s.total_excl_vat) for s in data.purchases_by_supplier],
                width=CONTENT_WIDTH,
            ),
        ]
    return flowables


def _rounds(data: CooperativeReportData) -> list[Flowable]:
    rows = [
        [
            r.supplier,
            format_date(r.closes_on),
            r.status,
            format_quantity(r.asked),
            format_quantity(r.allocated),
            _rate(r.fill_rate),
        ]
        for r in data.rounds
    ]
    if rows:
        rows.append(
            [
                _bold(plural(len(data.rounds), "tournée", "tournées")),
                "",
                "",
                _bold(format_quantity(data.rounds_asked), right=True),
                _bold(format_quantity(data.rounds_allocated), right=True),
                _bold(_rate(data.fill_rate), right=True),
            ]
        )
    return [
        data_table(
            [
                "Fournisseur",
                "Date limite",
                "Statut",
                "Unités demandées",
                "Unités attribuées",
                "Taux de service",
            ],
            rows,
            widths=[34, 14, 14, 14, 14, 12],
            right_columns={1, 3, 4, 5},
            empty="Aucune tournée close ce mois-ci.",
        ),
        para(
            "Taux de service : unités attribuées / unités demandées par les commerces "
            "(les tolérances peuvent le porter au-delà de 100 %).",
            "small",
        ),
    ]


def _shops(data: CooperativeReportData) -> list[Flowable]:
    m = data.medians
    rows = [
        [
            s.name,
            format_eur(s.sales_of_goods),
            _rate(s.margin_rate),
            _eur(s.sales_per_day_open),
            _rate(s.losses_rate),
            format_eur(s.purchases_through_cooperative),
            format_eur(s.savings),
        ]
        for s in data.shops
    ]
    rows.append(
        [
            _bold("Médiane"),
            "",
            _bold(_rate(m.margin_rate), right=True),
            _bold(_eur(m.sales_per_day_open), right=True),
            _bold(_rate(m.losses_rate), right=True),
            "",
            "",
        ]
    )
    return [
        data_table(
            [
                "Commerce",
                "Ventes HT",
                "Taux de marge",
                "Ventes / jour ouvert",
                "Taux de pertes",
                "Achats coopérative",
                "Économies",
            ],
            rows,
            widths=[30, 16, 11, 14, 11, 16, 14],
            right_columns={1, 2, 3, 4, 5, 6},
            empty="Aucun commerce actif.",
        )
    ]


def _shop_receivables(data: CooperativeReportData) -> list[Flowable]:
    rows = [
        [
            row.name,
            format_eur(row.receivables.invoiced),
            format_eur(row.receivables.paid),
            format_eur(row.receivables.due),
            format_eur(row.receivables.overdue),
            _dso(row.receivables.dso),
        ]
        for row in data.receivables_by_shop
    ]
    total = data.receivables
    if rows:
        rows.append(
            [
                _bold("Total"),
                *[
                    _bold(text, right=True)
                    for text in (
                        format_eur(total.invoiced),
                        format_eur(total.paid),
                        format_eur(total.due),
                        format_eur(total.overdue),
                        _dso(total.dso),
                    )
                ],
            ]
        )
    return [
        data_table(
            ["Commerce", "Facturé TTC", "Réglé", "Reste dû", "En retard", "DSO"],
            rows,
            widths=[32, 14, 14, 14, 14, 12],
            right_columns={1, 2, 3, 4, 5},
            empty="Aucune facture de la coopérative.",
        ),
        para(DSO_NOTE, "small"),
    ]


def cooperative_report_pdf(data: CooperativeReportData) -> bytes:
    """The cooperative's monthly report for the coordinator, as PDF bytes."""
    month = month_label(data.month)
    title = f"Rapport de la coopérative — {month}"
    summary = data_table(
        ["Indicateur", month],
        [
            [
                "Achats auprès des fournisseurs (commandes reçues, HT)",
                format_eur(data.purchases_total),
            ],
            ["Économies produites pour les membres", format_eur(data.savings_total)],
            ["dont prix de volume", format_eur(data.savings_volume)],
            ["dont frais de port partagés", format_eur(data.savings_shipping)],
            ["Frais de service encaissés (706)", format_eur(data.fees_collected)],
            ["Tournées tenues", format_quantity(len(data.rounds))],
            ["Taux de service des tournées", _rate(data.fill_rate)],
            *[list(row) for row in _receivables_rows(data.receivables, data.date_to)],
        ],
        widths=[3, 1],
        right_columns={1},
        width=130 * mm,
    )
    story = [
        para(f"{data.cooperative_name} — {month}", "title"),
        para(
            f"Rapport mensuel de la coopérative du {format_date(data.date_from)} au "
            f"{format_date(data.date_to)}",
            "subtitle",
        ),
        _section("Le mois en bref", summary),
        _section("Membres par statut et par zone", *_members(data)),
        _section(
            "Arrivées et départs",
            side_by_side(
                [
                    _changes("Nouveaux membres", data.new_members, "Aucune adhésion ce mois-ci."),
                    _changes("Départs", data.departed_members, "Aucun départ ce mois-ci."),
                ],
                widths=[1, 1],
            ),
        ),
        _section("Achats par fournisseur (commandes reçues)", *_supplier_purchases(data)),
        _section("Tournées du mois et taux de service", *_rounds(data)),
        _section("Commerces actifs : chiffres clés", *_shops(data)),
        _section(
            f"Factures des commerces au {format_date(data.date_to)}", *_shop_receivables(data)
        ),
        _section(
            "Circuits courts et impact",
            impact_table(data.impact, radius=data.local_radius_km),
            para(IMPACT_NOTE, "small"),
        ),
        _section("Commerces membres par zone", *zones_table(data.impact)),
    ]
    frame = PageFrame(
        header_left=data.cooperative_name,
        header_right=title,
        footer_left="Rapport de la coopérative · montants en euros",
    )
    return render(story, frame=frame, title=title, author=data.cooperative_name)
