"""The CA3 lines of the VAT statement (docs/statements.md, "VAT statement and the CA3
lines"): a month of sales and purchases at 5,5 %, 10 % and 20 %, the expected lines
computed here from the bases, not read from the statement; a VAT credit; the files."""

import csv
import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest

from accounting.models import Account
from accounting.statements import vat_statement
from tests.factories import credit, debit
from tests.factories import post_entry as post
from tests.helpers import pdf_text, squeezed

D = Decimal
MAY = {"date_from": dt.date(2026, 5, 1), "date_to": dt.date(2026, 5, 31)}
MAY_QUERY = {"from": "2026-05-01", "to": "2026-05-31"}
SALES = {D("5.50"): D("1234.50"), D("10.00"): D("456.78"), D("20.00"): D("789.01")}
PURCHASES = {D("5.50"): D("800.00"), D("20.00"): D("120.00")}
EQUIPMENT = D("1000.00")  # a fridge, a fixed asset, at 20 %


def tax(base: Decimal, rate: Decimal) -> Decimal:
    return (base * rate / 100).quantize(D("0.01"), rounding=ROUND_HALF_UP)


def post_may(ledger, sales=SALES, purchases=PURCHASES, equipment=EQUIPMENT):
    for number, label in (("218300", "Matériel de bureau"), ("445620", "TVA sur immobilisations")):
        Account.objects.get_or_create(
            ledger=ledger, number=number, defaults={"label": label, "kind": "asset"}
        )
    for n, (rate, base) in enumerate(sales.items()):
        taxed = [credit("445710", tax(base, rate), vat_rate=rate)] if tax(base, rate) else []
        post(
            ledger,
            "VTE",
            dt.date(2026, 5, 10 + n),
            "Ventes",
            f"Z-{n}",
            debit("530000", base + tax(base, rate)),
            credit("707000", base, vat_rate=rate),
            *taxed,
        )
    lines = []
    for rate, base in purchases.items():
        lines += [
            debit("607000", base, vat_rate=rate),
            debit("445660", tax(base, rate), vat_rate=rate),
        ]
    total = sum(base + tax(base, rate) for rate, base in purchases.items())
    post(
        ledger,
        "ACH",
        dt.date(2026, 5, 20),
        "Facture",
        "F-1",
        *lines,
        credit("401000", total, auxiliary=("COOP", "Coopérative")),
    )
    if equipment:
        post(
            ledger,
            "ACH",
            dt.date(2026, 5, 21),
            "Réfrigérateur",
            "F-2",
            debit("218300", equipment),
            debit("445620", tax(equipment, D("20.00")), vat_rate=D("20.00")),
            credit("512000", equipment + tax(equipment, D("20.00"))),
        )
    # Outside the month: not in May's return.
    post(
        ledger,
        "VTE",
        dt.date(2026, 6, 1),
        "Ventes",
        "Z-J",
        debit("530000", "120.00"),
        credit("707000", "100.00", vat_rate=D("20.00")),
        credit("445710", "20.00", vat_rate=D("20.00")),
    )


def ca3_of(statement) -> dict[str, tuple]:
    return {line.line: (line.base, line.tax) for line in statement.ca3}


def test_the_ca3_lines_of_a_month_at_three_rates(shop):
    post_may(shop.ledger)

    lines = ca3_of(vat_statement(ledger=shop.ledger, **MAY))

    due = {rate: tax(base, rate) for rate, base in SALES.items()}
    deductible_goods = sum(tax(base, rate) for rate, base in PURCHASES.items())
    deductible_assets = tax(EQUIPMENT, D("20.00"))
    gross = sum(due.values())
    deductible = deductible_goods + deductible_assets
    assert (gross, deductible) == (D("271.38"), D("268.00"))  # 67.90 + 45.68 + 157.80
    assert lines == {
        "A1": (sum(SALES.values()), None),
        "08": (SALES[D("20.00")], due[D("20.00")]),
        "09": (SALES[D("5.50")], due[D("5.50")]),
        "9B": (SALES[D("10.00")], due[D("10.00")]),
        "T6": (D("0"), D("0")),
        "16": (None, gross),
        "19": (None, deductible_assets),
        "20": (None, deductible_goods),
        "23": (None, deductible),
        "TD": (None, gross - deductible),
        "28": (None, gross - deductible),
    }
    assert [line.line for line in vat_statement(ledger=shop.ledger, **MAY).ca3] == [
        "A1",
        "08",
        "09",
        "9B",
        "T6",
        "16",
        "19",
        "20",
        "23",
        "TD",
        "28",
    ]


def test_more_deductible_than_due_is_a_credit_on_lines_25_and_27(shop):
    post_may(shop.ledger, equipment=D("5000.00"))

    lines = ca3_of(vat_statement(ledger=shop.ledger, **MAY))

    credit_of_vat = D("68.00") + D("1000.00") - D("271.38")
    assert lines["25"] == lines["27"] == (None, credit_of_vat)
    assert "TD" not in lines and "28" not in lines


def test_sales_at_zero_rate_are_no_taxable_sales(shop):
    post_may(shop.ledger, sales={D("0.00"): D("50.00"), D("2.10"): D("100.00")}, equipment=None)

    lines = ca3_of(vat_statement(ledger=shop.ledger, **MAY))

    assert lines["A1"] == (D("100.00"), None)
    assert lines["E2"] == (D("50.00"), None)
    assert lines["T6"] == (D("100.00"), D("2.10"))


# --- The API and the files ------------------------------------------------------------


@pytest.fixture
def get(api, accountant, shop):
    post_may(shop.ledger)
    client = api.as_user(accountant)

    def get(file_format="json"):
        return client.get(
            "/api/statements/vat/", {"shop": shop.id, "format": file_format, **MAY_QUERY}
        )

    return get


def test_the_json_carries_the_ca3_lines(get):
    body = get().json()

    assert body["ca3"][0] == {
        "line": "A1",
        "label": "Ventes, prestations de services",
        "base": "2480.29",
        "tax": None,
    }
    assert {"line": "9B", "label": "Taux réduit 10 %", "base": "456.78", "tax": "45.68"} in body[
        "ca3"
    ]
    assert body["ca3"][-1] == {
        "line": "28",
        "label": "TVA nette due (ligne TD - ligne X5)",
        "base": None,
        "tax": "3.38",
    }
    assert body["net_due"] == "3.38"


def test_the_csv_xlsx_and_pdf_carry_the_ca3_lines(get, tmp_path):
    rows = list(csv.reader(io.StringIO(get("csv").content.decode("utf-8-sig")), delimiter=";"))
    assert ["Lignes de la déclaration CA3 (formulaire 3310-CA3-SD)", "", "", ""] in rows
    assert ["08 — Taux normal 20 %", "", "789,01", "157,80"] in rows
    assert ["09 — Taux réduit 5,5 %", "", "1234,50", "67,90"] in rows
    assert ["19 — TVA déductible : biens constituant des immobilisations", "", "", "200,00"] in rows
    assert ["23 — Total de la TVA déductible (lignes 19 à 2C)", "", "", "268,00"] in rows
    assert rows[-1] == ["TVA nette due", "", "", "3,38"]

    sheet = openpyxl.load_workbook(io.BytesIO(get("xlsx").content)).active
    cells = {row[0]: row[2:] for row in sheet.iter_rows(min_row=5, values_only=True)}
    assert [Decimal(str(v)) for v in cells["9B — Taux réduit 10 %"]] == [D("456.78"), D("45.68")]

    text = squeezed(pdf_text(get("pdf").content, tmp_path))
    assert "Lignes de la déclaration CA3 (formulaire 3310-CA3-SD)" in text
    assert "16 — Total de la TVA brute due (lignes 08 à 5B) 271,38" in text
    assert "28 — TVA nette due (ligne TD - ligne X5) 3,38" in text
