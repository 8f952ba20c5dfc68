"""The yearly archive of a ledger (docs/archive.md, worker/archive.py): a year of books
built through the services (rounds received for two shops, a credit note, Z tickets),
the shop's year closed; then the archive downloaded and opened: every file the manifest
lists is there with its SHA-256 and size, the FEC inside passes the validator, the
invoices and credit notes are the year's and the shop's only. A closed year is built
once and stored; an open year is streamed. Refusals write nothing."""

import datetime as dt
import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from lxml import etree

from accounting.fec import fec_export, fec_violations
from accounting.years import fiscal_year_close
from mache.documents import document_bytes, sha256_hex
from mache.models import StoredDocument
from mache.periods import PARIS
from purchasing import pdf as purchasing_pdf
from purchasing.documents import credit_note_documents, invoice_documents
from purchasing.models import CreditNote, Invoice
from purchasing.services.consolidation import round_consolidate
from purchasing.services.credit_notes import credit_note_issue
from purchasing.services.receipt import supplier_order_receive
from shops.models import User
from tests.factories import (
    ProductFactory,
    RoundFactory,
    ShopFactory,
    SupplierFactory,
    UserFactory,
    make_order,
    record_sales_day,
)
from tests.helpers import tables_digest
from wiring.demo.history import clock_at
from worker import archive

D = Decimal
YEAR = 2025
URL = "/api/exports/archive/"
STATEMENT_SLUGS = ("balance", "grand-livre", "journal")


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=PARIS)


def a_round(day: dt.date, shops, products) -> list[Invoice]:
    """A round opened on `day`, ordered by `shops`, consolidated and received five days
    later: one invoice per shop, posted in both books, each event at its date."""
    with clock_at(at(day, 9)):
        round_ = RoundFactory(
            supplier=products[0].supplier,
            opens_at=at(day, 9),
            closes_at=at(day + dt.timedelta(days=2), 18),
            delivery_date=day + dt.timedelta(days=5),
        )
        for shop in shops:
            make_order(round_, shop, (products[0], 6, 0), (products[1], 4, 0))
    with clock_at(at(day + dt.timedelta(days=2), 19)):
        supplier_order = round_consolidate(round_id=round_.pk)
    with clock_at(at(day + dt.timedelta(days=5), 10)):
        return supplier_order_receive(supplier_order_id=supplier_order.pk, received={})


def a_credit_note(invoice: Invoice, day: dt.date, user) -> CreditNote:
    line = invoice.lines.order_by("position").first()
    with clock_at(at(day, 11)):
        return credit_note_issue(
            invoice_id=invoice.pk,
            reason="Casse à la livraison",
            lines=[{"invoice_line": line.pk, "quantity": 1}],
            issued_on=day,
            user=user,
        )


@pytest.fixture
def books(coop, coordinator):
    """Two shops' books: two rounds in 2025 (the shop's year then closed), a credit
    note to each shop in 2025, a round in 2026 (the open year)."""
    shop = ShopFactory(name="Épicerie de Romazy", joined_on=dt.date(2024, 6, 1))
    other = ShopFactory(name="Boucherie Étrangère", joined_on=dt.date(2024, 6, 1))
    supplier = SupplierFactory(min_order_amount=D("0"), shipping_fee=D("0"))
    products = [
        ProductFactory(supplier=supplier, case_size=1, unit_price=D("2.10")),
        ProductFactory(supplier=supplier, case_size=1, unit_price=D("4.35"), vat_rate=D("20.00")),
    ]
    # In the order of the days: each journal's numbers rise with the validation dates.
    invoices = a_round(dt.date(YEAR, 2, 3), [shop, other], products)
    with clock_at(at(dt.date(YEAR, 2, 20), 19)):
        record_sales_day(shop, date=dt.date(YEAR, 2, 20), amount="31.02")
    mine = [invoice for invoice in invoices if invoice.shop_id == shop.pk]
    theirs = [invoice for invoice in invoices if invoice.shop_id == other.pk]
    notes = [
        a_credit_note(theirs[0], dt.date(YEAR, 3, 1), coordinator),
        a_credit_note(mine[0], dt.date(YEAR, 6, 2), coordinator),
    ]
    invoices = a_round(dt.date(YEAR, 10, 6), [shop, other], products)
    mine += [invoice for invoice in invoices if invoice.shop_id == shop.pk]
    theirs += [invoice for invoice in invoices if invoice.shop_id == other.pk]
    later = a_round(dt.date(YEAR + 1, 3, 2), [shop, other], products)
    fiscal_year_close(ledger=shop.ledger, end=dt.date(YEAR, 12, 31), user=coordinator)
    return {
        "shop": shop,
        "other": other,
        "products": products,
        "invoices": mine,
        "other_invoices": theirs,
        "notes": notes,
        "later": later,
        "accountant": UserFactory(role=User.Role.ACCOUNTANT, shops=[shop]),
        "shopkeeper": UserFactory(role=User.Role.SHOPKEEPER, shops=[shop]),
    }


def content_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def opened(response) -> tuple[dict, dict[str, bytes]]:
    """(manifest, {name: bytes} of every other file) of the archive, every manifest
    entry checked against the file's bytes."""
    with zipfile.ZipFile(io.BytesIO(content_of(response))) as zipped:
        assert zipped.testzip() is None
        files = {name: zipped.read(name) for name in zipped.namelist()}
    manifest = json.loads(files.pop("manifest.json"))
    assert sorted(entry["name"] for entry in manifest["files"]) == sorted(files)
    for entry in manifest["files"]:
        content = files[entry["name"]]
        assert entry["size"] == len(content), entry["name"]
        assert entry["sha256"] == sha256_hex(content), entry["name"]
    return manifest, files


def expected_names(books, ledger_key, fec_name, start, end, invoices, notes) -> set[str]:
    names = {fec_name, fec_name.removesuffix(".txt") + "_description.txt"}
    names |= {
        f"etats/{slug}-{ledger_key}-{start}-{end}.{extension}"
        for slug in STATEMENT_SLUGS
        for extension in ("pdf", "csv")
    }
    names |= {f"factures/{i.number}.{ext}" for i in invoices for ext in ("pdf", "xml")}
    names |= {f"avoirs/{n.number}.{ext}" for n in notes for ext in ("pdf", "xml")}
    return names


def check_documents(files: dict[str, bytes]) -> None:
    for name, content in files.items():
        if name.endswith(".pdf"):
            assert content.startswith(b"%PDF-"), name
        elif name.endswith(".xml"):
            etree.fromstring(content)  # well-formed CII


# --- A closed year: built once, stored ----------------------------------------------------


def test_a_closed_year_holds_its_books_and_its_documents_each_with_its_hash(books, api):
    shop = books["shop"]
    client = api.as_user(books["accountant"])

    response = client.get(URL, {"shop": shop.pk, "year": YEAR})

    assert response.status_code == 200, response.content
    siren = shop.siret[:9]
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="archive-{siren}-{YEAR}.zip"'
    manifest, files = opened(response)
    assert manifest["status"] == "closed"
    assert (manifest["shop"], manifest["year"]) == (shop.pk, YEAR)
    assert (manifest["start"], manifest["end"]) == ("2025-01-01", "2025-12-31")
    fec_name = f"{siren}FEC20251231.txt"
    my_notes = [note for note in books["notes"] if note.shop_id == shop.pk]
    assert set(files) == expected_names(
        books, shop.pk, fec_name, "2025-01-01", "2025-12-31", books["invoices"], my_notes
    )
    # Neither the other shop's documents nor those of 2026.
    for invoice in books["other_invoices"] + books["later"]:
        assert f"factures/{invoice.number}.pdf" not in files
    assert fec_violations(files[fec_name], fec_name) == []
    assert files[fec_name] == fec_export(ledger=shop.ledger, year=YEAR)[1]
    fec_text = files[fec_name].decode("utf-8")
    for invoice in books["invoices"]:
        assert invoice.number in fec_text
    assert "DESCRIPTION DU FICHIER DES ÉCRITURES COMPTABLES" in files[
        fec_name.removesuffix(".txt") + "_description.txt"
    ].decode("utf-8")
    csv_balance = files[f"etats/balance-{shop.pk}-2025-01-01-2025-12-31.csv"].decode("utf-8-sig")
    assert "401000" in csv_balance
    check_documents(files)
    # The invoices and credit notes as issued: their stored documents' bytes (stored by
    # this first archive for those whose store task had not run).
    for item in books["invoices"] + my_notes:
        pdf, xml = issue_documents(item)
        folder = "factures" if isinstance(item, Invoice) else "avoirs"
        assert files[f"{folder}/{item.number}.pdf"] == document_bytes(pdf)
        assert files[f"{folder}/{item.number}.xml"] == document_bytes(xml)


def test_a_closed_year_is_built_once_and_served_the_same(books, api, monkeypatch):
    shop = books["shop"]
    client = api.as_user(books["accountant"])
    first = client.get(URL, {"shop": shop.pk, "year": YEAR})
    assert first.status_code == 200
    stored = StoredDocument.objects.get(key=f"archive:{shop.ledger.pk}:{YEAR}")
    assert (stored.kind, stored.shop_id, stored.size) == ("archive", shop.pk, len(first.content))
    assert first["ETag"] == f'"{stored.sha256}"' == f'"{sha256_hex(first.content)}"'

    def never(*args, **kwargs):
        raise AssertionError("the archive of a closed year is built once")

    monkeypatch.setattr(archive, "archive_build", never)
    # Even when the books' data moves (a later invoice, a shop renamed), the bytes stay.
    a_round(dt.date(YEAR + 1, 4, 6), [shop], books["products"])
    type(shop).objects.filter(pk=shop.pk).update(name="Épicerie renommée")
    coordinator = UserFactory(role=User.Role.COORDINATOR)
    again = api.as_user(coordinator).get(URL, {"shop": shop.pk, "year": YEAR})

    assert again.status_code == 200
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert StoredDocument.objects.filter(kind="archive").count() == 1
    cached = client.get(URL, {"shop": shop.pk, "year": YEAR}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert cached.status_code == 304


def test_an_altered_document_refuses_the_closed_year_and_stores_nothing(books, api):
    shop = books["shop"]
    invoice = books["invoices"][0]
    pdf = issue_documents(invoice)[0]
    with default_storage.open(pdf.name, "wb") as handle:
        handle.write(b"%PDF-1.7 autre chose")
    client = api.as_user(books["accountant"])

    response = client.get(URL, {"shop": shop.pk, "year": YEAR})

    assert response.status_code == 409
    assert response.json()["code"] == "document_altered"
    assert not StoredDocument.objects.filter(kind="archive").exists()
    pdf.refresh_from_db()
    assert pdf.altered_at is not None


# --- An open year: streamed -------------------------------------------------------------


def test_an_open_year_is_streamed_and_says_so(books, api, monkeypatch):
    shop = books["shop"]
    client = api.as_user(books["accountant"])
    monkeypatch.setattr(archive, "BUFFER_BYTES", 8 * 1024)

    response = client.get(URL, {"shop": shop.pk, "year": YEAR + 1})

    assert response.status_code == 200
    assert response.streaming
    assert "ETag" not in response
    chunks = list(response.streaming_content)
    # Handed out as it is written, a small buffer at a time, not built whole first.
    assert len(chunks) > 5
    response.streaming_content = iter(chunks)
    manifest, files = opened(response)
    assert manifest["status"] == "open"
    later = [invoice for invoice in books["later"] if invoice.shop_id == shop.pk]
    invoices = {name for name in files if name.startswith(("factures/", "avoirs/"))}
    assert invoices == {f"factures/{later[0].number}.{ext}" for ext in ("pdf", "xml")}
    fec_name = f"{shop.siret[:9]}FEC20261231.txt"
    assert fec_violations(files[fec_name], fec_name) == []
    # The stored AN entry of the closed year opens it.
    assert files[fec_name].decode().split("\r\n")[1].split("\t")[2] == f"AN-{YEAR + 1}-000001"
    assert not StoredDocument.objects.filter(kind="archive").exists()


def test_an_open_year_with_an_altered_document_is_refused_before_its_first_byte(books, api):
    shop = books["shop"]
    later = [invoice for invoice in books["later"] if invoice.shop_id == shop.pk]
    xml = issue_documents(later[0])[1]
    with default_storage.open(xml.name, "wb") as handle:
        handle.write(b"<autre/>")

    response = api.as_user(books["accountant"]).get(URL, {"shop": shop.pk, "year": YEAR + 1})

    # A 409 the client can read, not a ZIP answered 200 then cut where the document was.
    assert response.status_code == 409
    assert not response.streaming
    assert response.json()["code"] == "document_altered"
    xml.refresh_from_db()
    assert xml.altered_at is not None


def test_the_cooperative_ledger_holds_every_invoice_it_issued_in_the_year(
    books, api, coop, coordinator
):
    client = api.as_user(coordinator)

    response = client.get(URL, {"shop": "coop", "year": YEAR})

    assert response.status_code == 200, response.content
    manifest, files = opened(response)
    assert (manifest["shop"], manifest["status"]) == ("coop", "open")
    issued = books["invoices"] + books["other_invoices"]
    fec_name = f"{coop.siret[:9]}FEC20251231.txt"
    assert set(files) == expected_names(
        books, "coop", fec_name, "2025-01-01", "2025-12-31", issued, books["notes"]
    )
    assert fec_violations(files[fec_name], fec_name) == []
    check_documents(files)


# --- Stored documents, read in bulk ----------------------------------------------------


def issue_documents(item) -> tuple[StoredDocument, StoredDocument]:
    """The stored documents of an invoice or credit note, as its issue stores them."""
    if isinstance(item, Invoice):
        return invoice_documents(item)
    return credit_note_documents(item)


def test_stored_documents_are_served_as_stored_in_a_bounded_number_of_queries(
    books, api, coordinator, django_assert_num_queries, monkeypatch
):
    """The cooperative's open year (2026): its invoices' stored documents, read in one
    query whatever their number; the archive's bytes are the stored ones."""
    client = api.as_user(coordinator)
    for invoice in books["later"]:
        issue_documents(invoice)
    # The renderer changes after the issue: the archive holds the bytes issued.
    monkeypatch.setattr(purchasing_pdf, "invoice_pdf", lambda invoice: b"%PDF-1.7 nouveau")

    def download():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, {"shop": "coop", "year": YEAR + 1})
            _, files = opened(response)
        return len(queries), files

    count, files = download()
    stored = StoredDocument.objects.get(key=f"invoice-pdf:{books['later'][0].pk}")
    archived = files[f"factures/{books['later'][0].number}.pdf"]
    assert archived == document_bytes(stored) != b"%PDF-1.7 nouveau"

    more = a_round(dt.date(YEAR + 1, 5, 4), [books["shop"], books["other"]], books["products"])
    more += a_round(dt.date(YEAR + 1, 6, 1), [books["shop"], books["other"]], books["products"])
    monkeypatch.undo()
    for invoice in more:
        issue_documents(invoice)
    with django_assert_num_queries(count):
        response = client.get(URL, {"shop": "coop", "year": YEAR + 1})
        _, files = opened(response)
    assert sum(name.startswith("factures/") for name in files) == 2 * (len(more) + 2)


# --- Refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "params", "status"),
    [
        ("shopkeeper", {"shop": "mine", "year": YEAR}, 403),
        ("accountant", {"shop": "other", "year": YEAR}, 404),
        ("shopkeeper", {"shop": "other", "year": YEAR}, 404),  # tenancy first
        ("accountant", {"shop": "coop", "year": YEAR}, 404),
        ("accountant", {"shop": "mine", "year": 2023}, 404),  # before the shop joined
        ("accountant", {"shop": "mine", "year": YEAR + 2}, 404),  # not begun
        ("coordinator", {"shop": "mine", "year": 2001}, 404),
        ("accountant", {"shop": "mine", "year": "abc"}, 400),
        ("accountant", {"shop": "mine"}, 400),
        ("accountant", {"year": YEAR}, 400),
        ("coordinator", {}, 400),
        ("coordinator", {"shop": "mine", "year": 1999}, 400),
        ("coordinator", {"shop": "999999", "year": YEAR}, 404),
    ],
)
def test_refusals_write_nothing(books, api, coordinator, who, params, status):
    user = coordinator if who == "coordinator" else books[who]
    shops = {"mine": books["shop"].pk, "other": books["other"].pk}
    query = {name: shops.get(value, value) for name, value in params.items()}
    before = (StoredDocument.objects.count(), tables_digest(["mache", "accounting", "purchasing"]))

    response = api.as_user(user).get(URL, query)

    assert response.status_code == status, response.content
    if status == 400:
        assert set(response.json()) <= {"shop", "year"}
    after = (StoredDocument.objects.count(), tables_digest(["mache", "accounting", "purchasing"]))
    assert after == before


# --- The books page offers it -------------------------------------------------------------


def test_the_books_page_offers_the_archive_to_the_books_people_only(books, client):
    shop = books["shop"]
    client.force_login(books["accountant"])
    page = client.get(f"/comptable/{shop.pk}/").content.decode()
    assert f"/comptable/{shop.pk}/archive/" in page
    response = client.get(f"/comptable/{shop.pk}/archive/", {"year": YEAR})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    manifest, _ = opened(response)
    assert manifest["status"] == "closed"
    assert client.get(f"/comptable/{shop.pk}/archive/", {"year": "abc"}).status_code == 400
    assert client.get(f"/comptable/{books['other'].pk}/archive/").status_code == 404

    client.force_login(books["shopkeeper"])
    page = client.get(f"/comptable/{shop.pk}/").content.decode()
    assert "/archive/" not in page
    assert client.get(f"/comptable/{shop.pk}/archive/", {"year": YEAR}).status_code == 403
