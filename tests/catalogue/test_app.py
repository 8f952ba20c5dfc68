"""The catalogue is an app of its own, below inventory and purchasing, on the tables it
had under purchasing (issue 11, point 2)."""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import resolve

ROOT = Path(__file__).resolve().parents[2]


def test_suppliers_products_and_tiers_are_the_catalogues_on_their_old_tables():
    tables = {
        model.__name__: model._meta.db_table
        for model in apps.get_app_config("catalogue").get_models()
    }
    assert tables == {
        "Supplier": "purchasing_supplier",
        "Product": "purchasing_product",
        "PriceTier": "purchasing_pricetier",
    }
    purchasing = {model.__name__ for model in apps.get_app_config("purchasing").get_models()}
    assert not purchasing & set(tables)


@pytest.mark.parametrize(
    "path",
    [
        "/api/suppliers/",
        "/api/products/",
        "/api/suppliers/1/",
        "/api/products/1/",
        "/api/suppliers/1/import/",
    ],
)
def test_the_catalogue_api_keeps_its_paths_and_is_served_by_the_catalogue(path):
    assert resolve(path).func.cls.__module__ == "catalogue.apis"


@pytest.mark.parametrize(
    ("app", "migration"),
    [
        ("catalogue", "0001_initial"),
        ("purchasing", "0004_catalogue_moved"),
        ("inventory", "0003_catalogue_products"),
    ],
)
def test_moving_the_catalogue_runs_nothing_on_the_database(db, capsys, app, migration):
    call_command("sqlmigrate", app, migration)
    statements = [
        line
        for line in capsys.readouterr().out.splitlines()
        if line.strip() and not line.startswith("--")
    ]
    assert statements == ["BEGIN;", "COMMIT;"]


def imported_modules(app: str) -> dict[str, set[str]]:
    """The modules each file of `app` imports (at any depth), migrations aside."""
    found = {}
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    assert found, f"no module in {app}/"
    return found


@pytest.mark.parametrize("app", ["catalogue", "inventory"])
def test_the_catalogue_and_the_stock_never_import_purchasing(app):
    upward = {
        path: sorted(name for name in names if name.split(".")[0] == "purchasing")
        for path, names in imported_modules(app).items()
    }
    assert {path: names for path, names in upward.items() if names} == {}


def test_the_catalogue_imports_only_the_layers_below_it():
    below = {"catalogue", "mache", "shops"}
    project = {
        "catalogue",
        "mache",
        "shops",
        "inventory",
        "accounting",
        "purchasing",
        "worker",
        "bench",
        "tests",
    }
    upward = {
        path: sorted(name for name in names if name.split(".")[0] in project - below)
        for path, names in imported_modules("catalogue").items()
    }
    assert {path: names for path, names in upward.items() if names} == {}
