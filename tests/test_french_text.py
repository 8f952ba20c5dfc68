"""French done right, everywhere a person reads (docs/french.md): the main pages of each
role, the e-mails, the PDFs and the demo's printed summary carry no English amount
("7.00 EUR"), no "(s)" plural, no "TVA 5.50", no ISO date and no role's code name.

The pages are found from the URL resolver (tests/helpers.page_routes), so a page added
later is swept as soon as it is routed; pages of one object get the ids of
`build_shop_world`'s objects.
"""

import datetime as dt
import html
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from mache.periods import current_month
from purchasing.pdf import invoice_pdf, purchase_order_pdf
from purchasing.services.consolidation import round_consolidate
from purchasing.services.notifications import round_cancelled, round_consolidated
from shops.models import User
from tests.factories import (
    CooperativeFactory,
    RoundFactory,
    ShopFactory,
    UserFactory,
    build_shop_world,
    make_order,
)
from tests.helpers import PAGE_GROUP_RE, page_routes, pdf_text
from worker.reports import (
    cooperative_report_data,
    cooperative_report_pdf,
    shop_report_data,
    shop_report_pdf,
)
from worker.reports.build import report_ready_email

BAD = {
    "amount with a decimal point": re.compile(r"\d\.\d\d ?(EUR|€)"),
    "plural in brackets": re.compile(r"\(s\)"),
    "EUR instead of €": re.compile(r"\bEUR\b"),
    "VAT rate with a decimal point": re.compile(r"TVA \d+\.\d"),
    "number with a decimal point": re.compile(r"(?<![\w.,/:-])\d+\.\d{2}(?![\w.])"),
    "ISO date": re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    "ISO month": re.compile(r"(?<![\w-])(19|20)\d{2}-(0[1-9]|1[0-2])(?![\w-])"),
    "role's code name": re.compile(r"\b(coordinator|shopkeeper|accountant)\b"),
}


def bad_text(text: str) -> list[str]:
    """Every match of a bad pattern, with its name and a little context."""
    found = []
    for name, pattern in BAD.items():
        for match in pattern.finditer(text):
            start, end = max(match.start() - 30, 0), match.end() + 30
            found.append(f"{name}: …{text[start:end]}…")
    return found


TAG_RE = re.compile(r"<[^>]*>")
READ_ATTRIBUTES_RE = re.compile(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"')
HIDDEN_RE = re.compile(r"<(script|style)\b.*?</\1>", re.DOTALL)


def read_text(page: str) -> str:
    """What a person reads of a page: its text, and the attributes read aloud or shown
    on hover (not the values of inputs or links, which are machine formats)."""
    page = HIDDEN_RE.sub(" ", page)
    attributes = " ".join(READ_ATTRIBUTES_RE.findall(page))
    return html.unescape(TAG_RE.sub(" ", page) + " " + attributes)


@pytest.fixture
def world(db):
    CooperativeFactory()
    world = build_shop_world(ShopFactory(name="Épicerie du balayage"))
    world["coordinator"] = UserFactory(role=User.Role.COORDINATOR, email="coord@mache.example")
    for role, email in (("shopkeeper", "boutique@mache.example"), ("accountant", "compta@x.fr")):
        world[role].email = email
        world[role].save(update_fields=["email"])
    return world


def ids_for(route: str, world) -> list[dict[str, object]]:
    """The world's ids for a page of one object ([] when it needs another kind)."""
    invoice = world["invoices"][0]
    supplier_order = world["supplier_order"]
    product = world["sale"].product
    by_name = {
        "coordination/membres/<int:pk>/": {"pk": world["shop"].pk},
        "commandes/<int:pk>/": {"pk": world["order"].round_id},
        "factures/<int:pk>/pdf/": {"pk": invoice.pk},
        "coordination/tournees/<int:pk>/": [
            {"pk": supplier_order.round_id},  # received
            {"pk": world["order"].round_id},  # open
        ],
        "coordination/tournees/<int:pk>/bon-de-commande/": {"pk": supplier_order.round_id},
        "coordination/tournees/<int:pk>/reception/": {"pk": supplier_order.round_id},
        "stock/produits/<int:product_id>/": {"product_id": product.pk},
        "comptable/<str:ledger_key>/": {"ledger_key": world["shop"].pk},
        "comptable/<str:ledger_key>/ecritures/nouvelle/": {"ledger_key": world["shop"].pk},
        "comptable/<str:ledger_key>/e-reporting/": {"ledger_key": world["shop"].pk},
    }
    values = by_name.get(route, [])
    return values if isinstance(values, list) else [values]


def pages_of(world):
    """The URL of every page opened with a GET, ids filled from the world."""
    for route, _pattern in page_routes():
        # Routes not listed in ids_for are actions (POST) or files swept below.
        for values in ids_for(route, world) if PAGE_GROUP_RE.search(route) else [{}]:
            url = "/" + route
            for name, value in values.items():
                url = re.sub(rf"<(?:\w+:)?{name}>", str(value), url)
            yield url


@pytest.mark.parametrize("role", ["shopkeeper", "coordinator", "accountant"])
def test_every_page_of_each_role_is_in_french(client, world, role, tmp_path):
    client.force_login(world[role])
    problems, read = [], 0
    for url in pages_of(world):
        response = client.get(url)
        if response.status_code != 200:
            continue  # not this role's page
        read += 1
        if response["Content-Type"].startswith("application/pdf"):
            text = pdf_text(response.content, tmp_path)
        elif response["Content-Type"].startswith("text/html"):
            text = read_text(response.content.decode())
        else:
            continue
        problems += [f"{url} {problem}" for problem in bad_text(text)]
    assert read >= 4
    assert problems == []


def test_the_statements_people_read_are_in_french(client, world, tmp_path):
    client.force_login(world["accountant"])
    month = current_month()
    query = f"?start={month:%Y-%m-%d}&end={timezone.localdate():%Y-%m-%d}"
    problems = []
    for slug in ("balance", "grand-livre", "journal", "compte-de-resultat", "tva"):
        url = f"/comptable/{world['shop'].pk}/releves/{slug}.pdf{query}"
        response = client.get(url)
        assert response.status_code == 200, url
        problems += [f"{url} {p}" for p in bad_text(pdf_text(response.content, tmp_path))]
    assert problems == []


def test_the_documents_are_in_french(world, tmp_path):
    shop, month = world["shop"], current_month()
    documents = {
        "invoice": invoice_pdf(world["invoices"][0]),
        "purchase order": purchase_order_pdf(world["supplier_order"]),
        "shop report": shop_report_pdf(shop_report_data(shop=shop, month=month)),
        "cooperative report": cooperative_report_pdf(cooperative_report_data(month=month)),
    }
    problems = [
        f"{name} {problem}"
        for name, pdf in documents.items()
        for problem in bad_text(pdf_text(pdf, tmp_path))
    ]
    assert problems == []


def test_the_e_mails_are_in_french(client, world):
    round_consolidated(world["supplier_order"].pk)
    open_round = world["order"].round
    round_cancelled(open_round.pk)
    world["report"].status = "ready"
    world["report"].save(update_fields=["status"])
    report_ready_email(world["report"].pk)
    client.post("/connexion/mot-de-passe/oublie/", {"email": world["shopkeeper"].email})
    assert len(mail.outbox) == 4
    problems = [
        f"{message.subject!r} {problem}"
        for message in mail.outbox
        for problem in bad_text(f"{message.subject}\n{message.body}")
    ]
    assert problems == []


def test_a_round_below_its_minimum_warns_in_french_amounts(world):
    """The review warning quotes the total and the minimum as amounts, in French."""
    supplier = world["supplier_order"].round.supplier
    supplier.min_order_amount = "1000000.00"
    supplier.save(update_fields=["min_order_amount"])
    late = RoundFactory(supplier=supplier, closes_at=timezone.now() - dt.timedelta(minutes=1))
    make_order(late, world["shop"], (world["sale"].product, 2, 0))
    warnings = round_consolidate(round_id=late.pk).warnings
    assert any("1\u00a0000\u00a0000,00\u00a0€ HT" in warning for warning in warnings)
    assert bad_text(" ".join(warnings)) == []


def test_the_demo_prints_its_summary_in_french(db, capsys):
    # Two months say every kind of thing the summary says (a year is
    # tests/wiring/test_load_demo.py's, which the suite runs once, not twice).
    call_command("load_demo", months=2)
    out = capsys.readouterr().out
    assert bad_text(out) == []
    assert "Coordinateur" in out and "Commerçant" in out and "Expert-comptable" in out


def test_the_sweep_notices_english_formats():
    """The patterns catch what they are meant to, and let French through."""
    for english in (
        "7.00 EUR",
        "Total 12.50 €",
        "1 facture(s)",
        "Marchandises TVA 5.50",
        "Total : 12.30",
        "le 2026-11-12",
        "rapport de 2026-11",
        "Rôle : shopkeeper",
    ):
        assert bad_text(english), english
    for french in (
        "7,00\u00a0€",
        "1\u00a0234,50\u00a0€",
        "1 facture émise",
        "Marchandises TVA 5,5\u00a0%",
        "le 12/11/2026",
        "12 novembre 2026",
        "Commerçant",
        "SIRET 123 456 789 00012",
        "Page 1 / 2",
    ):
        assert bad_text(french) == [], french
