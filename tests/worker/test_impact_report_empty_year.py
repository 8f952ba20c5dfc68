"""The yearly impact report of a year without purchases (docs/impact.md). Apart from
tests/worker/test_impact_report.py, whose year is built once for the whole module and
would be there too."""

from decimal import Decimal as D

from mache.formats import format_eur
from mache.periods import paris_today
from tests.factories import CooperativeFactory, ShopFactory
from tests.helpers import pdf_text, plain
from worker.reports.impact_pdf import impact_report_pdf


def test_a_year_without_purchases_still_reads(db, tmp_path):
    CooperativeFactory()
    ShopFactory(name="Épicerie seule")

    text = pdf_text(impact_report_pdf(paris_today().year - 1), tmp_path)

    assert "Aucun achat par la coopérative cette année." in text
    assert "Tous les fournisseurs de l'année ont leurs coordonnées." in text
    assert plain(format_eur(D("0"))) in text
    # Without purchases the shares are 0,00 % (as the API's "0.00"), never "n.d.": the
    # notes say what is printed.
    assert "n.d." not in text
