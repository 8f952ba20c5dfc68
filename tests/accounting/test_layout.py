"""Accounting stands below purchasing (issue 11): it posts documents of its own, names
its accounts once, closes periods in a module of its own, and its modules import each
other one way. Read from the source, no database."""

import ast
import datetime as dt
import re
from decimal import Decimal as D
from pathlib import Path

from accounting import accounts
from accounting.documents import InvoiceToPost, SupplierOrderToPost
from accounting.postings import invoice_lines, stock_variation_lines, supplier_order_lines
from accounting.services import chart_of_accounts

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT_NUMBER = re.compile(r"""["'][0-9]{6}["']""")


def python_files(*apps):
    for app in apps:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def imports(path: Path) -> list[tuple[str, bool]]:
    """(module imported, inside a function?) for every import of a file, resolved. An
    import in a function whose line says why (a comment, e.g. in AppConfig.ready()) counts
    as not inside one: the issue allows those."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            explained = "#" in lines[getattr(child, "lineno", 1) - 1]
            inside = in_function and not explained
            if isinstance(child, ast.Import):
                found.extend((alias.name, inside) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = package.split(".")
                if child.level:
                    base = base[: len(base) - child.level + 1]
                    module = ".".join([*base, child.module] if child.module else base)
                else:
                    module = child.module
                found.append((module, inside))
                found.extend((f"{module}.{alias.name}", inside) for alias in child.names)
            visit(child, nested)

    visit(tree, False)
    return found


def test_accounting_imports_nothing_above_it_nor_inside_functions():
    wrong = []
    for path in python_files("accounting"):
        for module, in_function in imports(path):
            top = module.split(".")[0]
            if top in {"purchasing", "worker", "payments"}:
                wrong.append(f"{path.relative_to(ROOT)}: {module}")
            elif in_function and top in {"accounting", "inventory", "shops", "mache"}:
                wrong.append(f"{path.relative_to(ROOT)}: {module} inside a function")
    assert wrong == []


def test_services_do_not_import_postings_nor_closing():
    services = ROOT / "accounting" / "services.py"
    modules = {module for module, _ in imports(services)}
    assert not {m for m in modules if m.startswith(("accounting.postings", "accounting.closing"))}


def test_no_account_number_is_written_out_of_the_accounts_module():
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in python_files("accounting", "purchasing", "worker")
        if path != ROOT / "accounting" / "accounts.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ACCOUNT_NUMBER.search(line)
    ]
    assert found == []


def test_the_named_accounts_are_the_charts():
    chart = {number for number, _, _ in chart_of_accounts()}
    named = {value for name, value in vars(accounts).items() if name.isupper()}
    # The FEC's result accounts are not in the chart: the FEC writes them itself.
    assert named - chart == {accounts.PROFIT, accounts.LOSS}
    assert (
        accounts.SALES,
        accounts.PURCHASES,
        accounts.SUPPLIERS,
        accounts.CUSTOMERS,
        accounts.BANK,
        accounts.CASH,
        accounts.VAT_COLLECTED,
        accounts.VAT_DEDUCTIBLE,
        accounts.STOCK,
        accounts.STOCK_VARIATION,
    ) == (
        "707000",
        "607000",
        "401000",
        "411000",
        "512000",
        "530000",
        "445710",
        "445660",
        "370000",
        "603700",
    )


def rows(lines):
    return [
        (ln.account, ln.debit, ln.credit, ln.vat_rate, ln.auxiliary[0] if ln.auxiliary else None)
        for ln in lines
    ]


def test_an_invoice_is_posted_from_plain_data():
    invoice = InvoiceToPost(
        number="MACHE-2026-000001",
        date=dt.date(2026, 3, 2),
        shop_id=101,
        shop_name="Rimou",
        total_incl_vat=D("34.61"),
        goods={D("5.50"): D("9.60"), D("20.00"): D("10.50")},
        shipping={D("5.50"): D("4.82"), D("20.00"): D("5.27")},
        fee={D("20.00"): D("0.40")},
        vat={D("5.50"): D("0.79"), D("20.00"): D("3.23")},
    )
    shop_lines, coop_lines = invoice_lines(invoice, fee_account="622800")
    assert rows(shop_lines) == [
        ("607000", D("9.60"), 0, D("5.50"), None),
        ("607000", D("10.50"), 0, D("20.00"), None),
        ("624100", D("4.82"), 0, D("5.50"), None),
        ("624100", D("5.27"), 0, D("20.00"), None),
        ("622800", D("0.40"), 0, D("20.00"), None),
        ("445660", D("0.79"), 0, D("5.50"), None),
        ("445660", D("3.23"), 0, D("20.00"), None),
        ("401000", 0, D("34.61"), None, "COOP"),
    ]
    assert rows(coop_lines) == [
        ("411000", D("34.61"), 0, None, "C000101"),
        ("707000", 0, D("9.60"), D("5.50"), None),
        ("707000", 0, D("10.50"), D("20.00"), None),
        ("708000", 0, D("4.82"), D("5.50"), None),
        ("708000", 0, D("5.27"), D("20.00"), None),
        ("706000", 0, D("0.40"), D("20.00"), None),
        ("445710", 0, D("0.79"), D("5.50"), None),
        ("445710", 0, D("3.23"), D("20.00"), None),
    ]


def test_a_supplier_order_is_posted_from_plain_data():
    order = SupplierOrderToPost(
        id=7,
        date=dt.date(2026, 3, 2),
        supplier_id=3,
        supplier_name="Laiterie",
        total_incl_vat=D("83.49"),
        goods={D("5.50"): D("28.80"), D("20.00"): D("21.00")},
        shipping={D("5.50"): D("14.46"), D("20.00"): D("10.54")},
        vat={D("5.50"): D("2.38"), D("20.00"): D("6.31")},
    )
    assert order.reference == "CF-000007"
    assert rows(supplier_order_lines(order))[-1] == ("401000", 0, D("83.49"), None, "F000003")


def test_the_stock_variation_rule_is_pure():
    label, lines = stock_variation_lines(
        month=dt.date(2026, 2, 1), opening=D("20.00"), closing=D("12.00")
    )
    assert label == "Variation de stock 02/2026 : 20,00\u00a0€ → 12,00\u00a0€"
    assert rows(lines) == [
        ("603700", D("8.00"), 0, None, None),
        ("370000", 0, D("8.00"), None, None),
    ]
    assert (
        stock_variation_lines(month=dt.date(2026, 2, 1), opening=D("5.00"), closing=D("5.00"))
        is None
    )


def test_closing_a_period_has_its_own_module():
    from accounting import closing, services

    assert closing.period_close.__module__ == "accounting.closing"
    assert not hasattr(services, "period_close")


def test_z_tickets_rule_service_and_csv_apart():
    from accounting.sales import csv_import, rules, services

    assert {"sales_entry_lines", "sales_day_errors", "vat_included"} <= set(vars(rules))
    assert {"sales_day_record", "sales_days_import"} <= set(vars(services))
    assert {"parse_sales_days", "RATE_COLUMNS"} <= set(vars(csv_import))
    # The rule and the CSV reading touch no database.
    for module in ("rules", "csv_import"):
        names = {m for m, _ in imports(ROOT / "accounting" / "sales" / f"{module}.py")}
        assert not {n for n in names if n.startswith(("django.db", "accounting.models"))}
