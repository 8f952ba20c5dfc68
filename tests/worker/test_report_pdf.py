"""The monthly report PDFs, read back as text with poppler's pdftotext; pages 1 and 2 of
the shop's report are left as PNG in artefacts/ for people to look at."""

import datetime as dt
from decimal import Decimal as D

import pytest

from mache.formats import format_date, format_eur, format_quantity, format_rate
from mache.periods import last_day_of_month
from shops.models import Shop
from tests.helpers import page_count, pdf_text, plain, save_pages_png, squeezed
from tests.purchasing.conftest import example  # noqa: F401  (fixture)
from tests.worker.test_report_figures import last_finished_month, trade_month
from worker.reports import (
    cooperative_report_data,
    cooperative_report_pdf,
    shop_report_data,
    shop_report_pdf,
)
from worker.reports.pdf import month_label

MONTHS_FR = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


@pytest.fixture
def month():
    return last_finished_month()


@pytest.fixture
def traded(example, month):  # noqa: F811
    return trade_month(example, extra_shops=2, month=month)


def test_month_label_in_french():
    assert [month_label(dt.date(2026, n, 1)) for n in (1, 2, 8, 11, 12)] == [
        "janvier 2026",
        "février 2026",
        "août 2026",
        "novembre 2026",
        "décembre 2026",
    ]
    assert month_label(dt.date(2027, 10, 1)) == f"{MONTHS_FR[9]} 2027"


def test_the_shops_report(traded, tmp_path, month):
    shop = traded["shops"][101]
    data = shop_report_data(shop=shop, month=month)

    pdf = shop_report_pdf(data)

    for path in save_pages_png(
        pdf, tmp_path, "rapport-mensuel-commerce", pages=range(1, page_count(pdf, tmp_path) + 1)
    ):
        assert path.stat().st_size > 0
    assert pdf.startswith(b"%PDF")
    assert 2 <= page_count(pdf, tmp_path) <= 4
    text = pdf_text(pdf, tmp_path)
    flat = squeezed(text)
    label = f"{MONTHS_FR[month.month - 1]} {month.year}"
    assert f"Commerce 101 — {label}" in text
    figures = data.figures
    assert (
        plain(
            f"Ventes de marchandises HT {format_eur(figures.sales_of_goods)} "
            f"{format_eur(data.previous.sales_of_goods)}"
        )
        in flat
    )
    for amount in (
        figures.purchases_of_goods,
        figures.gross_margin,
        figures.result,
        figures.external_charges,
        data.stock_value,
        data.cash_balance,
        data.bank_balance,
        data.due_to_cooperative,
        data.savings.total,
        data.savings.volume,
        data.savings.shipping,
        data.losses_value,
    ):
        assert plain(format_eur(amount)) in text, amount
    assert plain(format_rate(figures.margin_rate)) in text
    assert "Économies de mutualisation" in text
    assert all(invoice.number in text for invoice in data.savings.invoices)
    assert data.top_products[0].product in text
    assert "L-P2" in text and format_date(data.expiry_horizon) in text

    lines = {line.key: line for line in data.benchmark}
    assert all(line.median is not None for line in lines.values()), data.benchmark
    margin = lines["margin_rate"]
    assert (
        plain(
            f"Taux de marge brute {format_rate(margin.shop)} "
            f"{format_rate(margin.median)} {format_quantity(margin.shops)}"
        )
        in flat
    )
    per_day = lines["sales_per_day_open"]
    assert plain(f"{format_eur(per_day.shop)} {format_eur(per_day.median)}") in flat
    assert "Médiane de la coopérative" in text
    # Anonymous: no other shop of the cooperative is named.
    others = Shop.objects.exclude(pk=shop.pk).values_list("name", flat=True)
    assert len(others) == 4
    assert not [name for name in others if name in text]


def test_absent_months_print_blank(example, tmp_path, month):  # noqa: F811
    traded = trade_month(example, month=month)
    data = shop_report_data(shop=traded["shops"][103], month=month)

    text = pdf_text(shop_report_pdf(data), tmp_path)

    assert data.previous is None and data.year_before is None
    assert "Colonne vide : aucune écriture dans vos livres" in text
    assert plain(format_eur(data.figures.sales_of_goods)) in text


def test_an_empty_month_still_reads(example, tmp_path, month):  # noqa: F811
    data = shop_report_data(shop=example["shops"][102], month=month)

    pdf = shop_report_pdf(data)

    assert 2 <= page_count(pdf, tmp_path) <= 4
    text = pdf_text(pdf, tmp_path)
    assert "Aucune facture de la coopérative ce mois-ci." in text
    assert "Aucun ticket Z ce mois-ci" in text
    assert "n.d." in text


def test_a_long_month_stays_within_four_pages(example, tmp_path, month):  # noqa: F811
    traded = trade_month(example, products=40, extra_shops=3, busy=True, month=month)
    data = shop_report_data(shop=traded["shops"][101], month=month)
    assert len(data.top_products) == 10

    pdf = shop_report_pdf(data)

    assert 2 <= page_count(pdf, tmp_path) <= 4


def test_the_cooperatives_report(traded, tmp_path, month):
    Shop.objects.filter(name="Épicerie voisine 1").update(
        status=Shop.Status.LEFT, left_on=last_day_of_month(month)
    )
    data = cooperative_report_data(month=month)

    pdf = cooperative_report_pdf(data)

    save_pages_png(
        pdf, tmp_path, "rapport-mensuel-cooperative", pages=range(1, page_count(pdf, tmp_path) + 1)
    )
    text = pdf_text(pdf, tmp_path)
    flat = squeezed(text)
    assert f"MACHE Test — {month_label(month)}" in text
    assert "Membres par statut et par zone" in text
    assert "Statut Rurale QPV Urbaine Total" in flat
    assert "Actif 4 0 0 4" in flat and "Parti 1 0 0 1" in flat and "Total 5 0 0 5" in flat
    assert "Épicerie voisine 1" in text and "Bourg 1" in text
    for supplier in data.purchases_by_supplier:
        assert supplier.supplier in text
        assert plain(format_eur(supplier.total_excl_vat)) in text
    assert "Laiterie d'exemple" in text and "Moulin de Rimou" in text
    for amount in (data.savings_total, data.fees_collected, data.purchases_total):
        assert plain(format_eur(amount)) in text
    assert plain(format_rate(data.fill_rate)) in text
    for line in data.shops:
        assert f"{line.name} {plain(format_eur(line.sales_of_goods))}" in flat
    assert data.fees_collected > D("0")
