"""The coordinator prints the day's documents on a laptop (issue 17, point 7): from the
round page of a received order, the delivery notes of every shop, the hub's picking list
(PDF and CSV) and the day's tour sheet, each fetched through the browser's own session.
Screenshots and the documents' first pages in artefacts/."""

import pytest
from playwright.sync_api import expect

from shops.models import User
from tests.factories import UserFactory
from tests.helpers import pdf_text, save_first_page_png, squeezed
from tests.purchasing.distribution_helpers import distributed_round

from .conftest import LAPTOP, fits_the_width, log_in_as, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_coordinator_prints_the_days_documents(live_server, browser, tmp_path):
    world = distributed_round()
    context = browser.new_context(accept_downloads=True, **LAPTOP)
    page = context.new_page()
    try:
        log_in_as(context, live_server, UserFactory(role=User.Role.COORDINATOR))
        page.goto(f"{live_server.url}/coordination/tournees/{world['round'].pk}/")
        documents = page.locator("#day-documents")
        expect(page.locator("#round-delivery")).to_contain_text("livrée à la plateforme")
        expect(documents).to_be_visible()
        assert fits_the_width(page)
        screenshot(page, "day-documents-round-laptop")

        def fetch(text):
            link = documents.get_by_role("link", name=text)
            response = page.request.get(live_server.url + link.get_attribute("href"))
            assert response.status == 200, (text, response.status)
            return response

        notes = fetch("Bons de livraison (PDF)")
        assert notes.headers["content-type"] == "application/pdf"
        text = squeezed(pdf_text(notes.body(), tmp_path))
        names = [shop.name for shop in world["tour"]]
        assert [text.index(name) for name in names] == sorted(text.index(n) for n in names)
        assert "T-2611" in text and "REÇU PAR" in text
        save_first_page_png(notes.body(), tmp_path, "day-documents-delivery-note")

        picking = fetch("Liste de préparation (PDF)")
        assert "Tomme du Coglais (TOM)" in squeezed(pdf_text(picking.body(), tmp_path))
        save_first_page_png(picking.body(), tmp_path, "day-documents-picking-list")

        csv = fetch("Liste de préparation (CSV)")
        assert csv.headers["content-type"].startswith("text/csv")
        assert "1. Bar de Vieux-Vy" in csv.body().decode("utf-8-sig")

        tour = fetch("Feuille de tournée du jour (PDF)")
        tour_text = squeezed(pdf_text(tour.body(), tmp_path))
        assert tour_text.index("1. Bar de Vieux-Vy") < tour_text.index("3. Boulangerie de Sens")
        save_first_page_png(tour.body(), tmp_path, "day-documents-tour")
    finally:
        context.close()
