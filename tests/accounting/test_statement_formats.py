"""The statements' files read back: CSV with the csv module, XLSX with openpyxl, PDF as
text with poppler's pdftotext; their figures are the JSON's."""

import csv
import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from accounting.renderers import to_pdf
from accounting.statements import general_ledger, journal_statement
from tests.accounting.test_statements import (
    MARCH,
    MARCH_QUERY,
    RATE_20,
    credit,
    debit,
    post,
    post_month,
)
from tests.factories import CooperativeFactory
from tests.helpers import page_count, pdf_text, save_first_page_png

STATEMENTS = {
    "trial-balance": "balance",
    "general-ledger": "grand-livre",
    "journal": "journal",
    "income-statement": "compte-de-resultat",
    "vat": "tva",
}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
AMOUNT = r"-?\d{1,3}(?: \d{3})*,\d{2}"


@pytest.fixture
def books(shop):
    post_month(shop.ledger)
    return shop.ledger


@pytest.fixture
def reader(api, coordinator, shop, books):
    """get(statement, file_format, **more): the response of the shop's March statement."""
    client = api.as_user(coordinator)

    def get(statement, file_format="json", **more):
        return client.get(
            f"/api/statements/{statement}/",
            {"shop": shop.id, "format": file_format, **MARCH_QUERY, **more},
        )

    return get


def csv_rows(response) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def french(amount: str) -> str:
    return amount.replace(".", ",")


def as_decimal(text: str) -> Decimal:
    return Decimal(text.replace(" ", "").replace(",", "."))


# --- Every statement, every format ----------------------------------------------------


@pytest.mark.parametrize("statement", STATEMENTS)
@pytest.mark.parametrize("file_format", ["csv", "xlsx", "pdf"])
def test_every_statement_comes_as_a_named_file(reader, shop, statement, file_format):
    response = reader(statement, file_format)

    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES[file_format]
    assert response["Content-Disposition"] == (
        f'attachment; filename="{STATEMENTS[statement]}-{shop.id}-2026-03-01-2026-03-31.'
        f'{file_format}"'
    )
    magic = {"csv": b"\xef\xbb\xbf", "xlsx": b"PK", "pdf": b"%PDF"}[file_format]
    assert response.content.startswith(magic)


# --- CSV ------------------------------------------------------------------------------


def test_the_trial_balance_csv_reads_back_as_the_json(reader):
    body = reader("trial-balance").json()

    rows = csv_rows(reader("trial-balance", "csv"))

    assert rows[0] == ["Compte", "Intitulé", "Débit", "Crédit", "Solde"]
    assert rows[1:-1] == [
        [a["account"], a["label"], french(a["debit"]), french(a["credit"]), french(a["balance"])]
        for a in body["accounts"]
    ]
    assert rows[-1] == ["", "Total", "2563,50", "2563,50", "0,00"]
    assert ["758000", "Produits divers de gestion courante", "0,00", "15,00", "-15,00"] in rows


def test_the_journal_csv_has_french_dates_and_one_line_per_entry_line(reader):
    rows = csv_rows(reader("journal", "csv"))

    assert rows[0] == ["Date", "Écriture", "Pièce", "Compte", "Tiers", "Libellé", "Débit", "Crédit"]
    assert rows[1][0] == "ACH — Achats"
    assert rows[2] == [
        "10/03/2026",
        "ACH-2026-000001",
        "MACHE-2026-000042",
        "607000",
        "",
        "Facture MACHE-2026-000042",
        "500,00",
        "",
    ]
    assert rows[7] == [
        "10/03/2026",
        "ACH-2026-000001",
        "MACHE-2026-000042",
        "401000",
        "COOP",
        "Facture MACHE-2026-000042",
        "",
        "563,50",
    ]
    assert rows[8] == ["", "", "", "", "", "Total du journal ACH", "563,50", "563,50"]
    assert rows[-1] == ["", "", "", "", "", "Total général", "2563,50", "2563,50"]


def test_the_vat_and_income_csv(reader):
    vat = csv_rows(reader("vat", "csv"))
    income = csv_rows(reader("income-statement", "csv"))

    assert ["Opérations imposables", "5,50", "700,00", "38,50"] in vat
    assert ["Biens et services", "20,00", "30,00", "6,00"] in vat
    assert vat[-1] == ["TVA nette due", "", "", "25,00"]
    assert ["", "Marge brute", "237,00"] in income
    assert ["", "Taux de marge brute (marge / ventes de marchandises)", "29,63"] in income
    assert ["622800, 624100", "Charges externes", "30,00"] in income
    assert income[-1] == ["", "Résultat de la période (bénéfice)", "217,00"]


def test_a_label_is_never_a_formula(reader, books):
    post(
        books,
        "OD",
        dt.date(2026, 3, 9),
        '=HYPERLINK("http://example.invalid")',
        "X-1",
        debit("658000", "1.00"),
        credit("512000", "1.00"),
    )

    response = reader("journal", "csv", journal="OD")
    rows = csv_rows(response)
    sheet = openpyxl.load_workbook(
        io.BytesIO(reader("journal", "xlsx", journal="OD").content)
    ).active

    assert rows[-3][5] == '\'=HYPERLINK("http://example.invalid")'
    assert 'filename="journal-od-' in response["Content-Disposition"]  # one journal asked
    labels = [row[5] for row in sheet.iter_rows(min_row=5, values_only=False)]
    formula = next(cell for cell in labels if str(cell.value).startswith("=HYPER"))
    assert formula.data_type == "s"


# --- XLSX -----------------------------------------------------------------------------


def test_the_trial_balance_xlsx_holds_numbers_equal_to_the_json(reader):
    body = reader("trial-balance").json()
    content = reader("trial-balance", "xlsx").content

    sheet = openpyxl.load_workbook(io.BytesIO(content)).active

    assert sheet["A1"].value == "Balance générale — Épicerie de Romazy"
    assert sheet["A1"].font.bold
    assert sheet["A2"].value == "Du 01/03/2026 au 31/03/2026"
    assert [cell.value for cell in sheet[4]] == ["Compte", "Intitulé", "Débit", "Crédit", "Solde"]
    assert sheet.freeze_panes == "A5"
    assert sheet.column_dimensions["B"].width > sheet.column_dimensions["A"].width
    rows = list(sheet.iter_rows(min_row=5))
    assert len(rows) == len(body["accounts"]) + 1
    for row, account in zip(rows, body["accounts"], strict=False):
        assert row[0].value == account["account"]
        for cell, key in zip(row[2:], ("debit", "credit", "balance"), strict=True):
            assert cell.data_type == "n"
            assert cell.number_format == "#,##0.00"
            assert Decimal(str(cell.value)) == Decimal(account[key])
    assert [Decimal(str(cell.value)) for cell in rows[-1][2:]] == [
        Decimal("2563.50"),
        Decimal("2563.50"),
        Decimal("0"),
    ]
    # The amounts are written with their own digits, not through a float.
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<v>2563.50</v>" in sheet_xml and "<v>-58.50</v>" in sheet_xml


def test_the_journal_xlsx_has_dates_and_the_income_xlsx_a_percentage(reader):
    journal = openpyxl.load_workbook(io.BytesIO(reader("journal", "xlsx").content)).active
    income = openpyxl.load_workbook(io.BytesIO(reader("income-statement", "xlsx").content)).active

    first_line = journal[6]
    assert first_line[0].value.date() == dt.date(2026, 3, 10)  # Excel has no dates, only days
    assert first_line[0].number_format == "DD/MM/YYYY"
    assert first_line[6].value == 500
    rate = next(row for row in income.iter_rows(min_row=5) if str(row[1].value).startswith("Taux"))
    assert Decimal(str(rate[2].value)) == Decimal("0.2963")
    assert rate[2].number_format == "0.00%"


# --- PDF ------------------------------------------------------------------------------


def test_the_trial_balance_pdf_shows_the_figures(reader, tmp_path):
    text = pdf_text(reader("trial-balance", "pdf").content, tmp_path)

    assert "Balance générale" in text
    assert "Épicerie de Romazy" in text and "Du 01/03/2026 au 31/03/2026" in text
    assert re.search(r"607000\s+Achats de marchandises\s+500,00\s+0,00\s+500,00", text)
    assert re.search(r"512000\s+Banque\s+710,00\s+563,50\s+146,50", text)
    assert re.search(r"Total\s+2 563,50\s+2 563,50\s+0,00", text)
    assert "Page 1 / 1" in text


def test_the_income_and_vat_pdfs(reader, tmp_path):
    income = pdf_text(reader("income-statement", "pdf").content, tmp_path)
    vat = pdf_text(reader("vat", "pdf").content, tmp_path)

    assert re.search(r"Marge brute\s+237,00", income)
    assert re.search(r"Taux de marge brute \(marge / ventes de marchandises\)\s+29,63 %", income)
    assert re.search(r"Résultat de la période \(bénéfice\)\s+217,00", income)
    assert re.search(r"Opérations imposables\s+5,5 %\s+700,00\s+38,50", vat)
    assert re.search(r"Total de la TVA déductible\s+530,00\s+33,50", vat)
    assert re.search(r"TVA nette due\s+25,00", vat)


def test_the_cooperative_statements_are_headed_with_its_name(api, coordinator, tmp_path):
    CooperativeFactory(name="MACHE Haute-Bretagne")

    response = api.as_user(coordinator).get(
        "/api/statements/trial-balance/", {"shop": "coop", "format": "pdf", **MARCH_QUERY}
    )

    assert 'filename="balance-coop-2026-03-01-2026-03-31.pdf"' in response["Content-Disposition"]
    text = pdf_text(response.content, tmp_path)
    assert "MACHE Haute-Bretagne" in text
    assert "Aucune écriture sur la période." in text


def long_month(ledger, entries: int = 150) -> None:
    """`entries` days of sales of various amounts: three lines each."""
    for n in range(1, entries + 1):
        base = Decimal(10 + n) + Decimal(n % 7) / 4
        vat = (base * RATE_20 / 100).quantize(Decimal("0.01"))
        post(
            ledger,
            "VTE",
            dt.date(2026, 3, 1 + n % 31),
            f"Ventes n°{n}",
            f"Z-{n}",
            debit("530000", base + vat),
            credit("707000", base, vat_rate=RATE_20),
            credit("445710", vat, vat_rate=RATE_20),
        )


def carried(page: str, label: str) -> tuple[Decimal, Decimal] | None:
    match = re.search(rf"{label}\s+({AMOUNT})\s+({AMOUNT})", page)
    return (as_decimal(match.group(1)), as_decimal(match.group(2))) if match else None


def test_a_long_journal_carries_its_totals_from_page_to_page(shop, tmp_path):
    long_month(shop.ledger)
    journal = journal_statement(ledger=shop.ledger, **MARCH)

    data = to_pdf(journal.table())

    pages = page_count(data, tmp_path)
    assert pages >= 4
    png = save_first_page_png(data, tmp_path, "statement-journal")
    assert png.exists()
    debit_so_far = credit_so_far = Decimal("0.00")
    previous = None
    line = re.compile(
        rf"^\s*\d\d/\d\d/2026\s+VTE-2026-\d{{6}}\s+Z-\d+\s+(\d{{6}})\s+Ventes "
        rf"n°\d+\s+({AMOUNT})\s*$"
    )
    for number in range(1, pages + 1):
        page = pdf_text(data, tmp_path, page=number)
        # Each page: the running header, the column titles, its lines.
        assert "Épicerie de Romazy" in page
        assert "Journal — Du 01/03/2026 au 31/03/2026" in page
        assert re.search(
            r"Date\s+Écriture\s+Pièce\s+Compte\s+Tiers\s+Libellé\s+Débit\s+Crédit", page
        )
        assert f"Page {number} / {pages}" in page
        if number > 1:
            assert carried(page, "Report") == previous  # brought forward as carried
            assert "VTE — Ventes (suite)" in page
        else:
            assert carried(page, "Report") is None
        for text_line in page.splitlines():
            found = line.match(text_line)
            if found:
                amount = as_decimal(found.group(2))
                if found.group(1) == "530000":
                    debit_so_far += amount
                else:
                    credit_so_far += amount
        if number < pages:
            previous = carried(page, "À reporter")
            assert previous == (debit_so_far, credit_so_far)  # the sums of pages 1..n
            assert previous[0] == previous[1]  # no entry is cut in two: each page balances
        else:
            assert carried(page, "À reporter") is None
            assert carried(page, "Total général") == (journal.total_debit, journal.total_credit)
    assert debit_so_far == journal.total_debit
    assert credit_so_far == journal.total_credit


def test_a_long_general_ledger_carries_its_totals_too(shop, tmp_path):
    long_month(shop.ledger)
    ledger = general_ledger(ledger=shop.ledger, **MARCH)

    data = to_pdf(ledger.table())

    pages = page_count(data, tmp_path)
    assert pages >= 4
    texts = [pdf_text(data, tmp_path, page=n) for n in range(1, pages + 1)]
    for before, after in zip(texts, texts[1:], strict=False):
        assert carried(before, "À reporter") == carried(after, "Report") is not None
    assert re.search(r"530000 Caisse \(suite\)", "".join(texts))
    assert carried(texts[-1], "Total général") == (ledger.total_debit, ledger.total_credit)
    save_first_page_png(data, tmp_path, "statement-general-ledger")
