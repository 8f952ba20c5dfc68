"""Import of a till export: the units sold per day and product, every row or none.

The file (CSV: date, SKU, quantity) is parsed and judged whole before the database is
touched, so a shopkeeper gets every bad line at once, numbered as in a spreadsheet
(the header is line 1). The text is read as the catalogue import reads it (UTF-8 with
or without BOM, 2 MB at most) and the delimiter is taken from the header line, which
holds neither `;` nor `,` inside a column name.

A SKU is unique per supplier only: two suppliers may both sell a "CAF-250". A SKU
names the one product carrying it; if several do, the one this shop has stock of
(a balance row); otherwise the line is refused rather than guessed.

Rows of one (day, product) add up to one sale movement, booked at the end of that
Paris day, and all of them are recorded by one `movements_record` call: one
transaction, refused as a whole (409 insufficient_stock) if any stock would go
below zero at any date. The query count does not depend on the number of rows.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from catalogue.models import MAX_UNITS, Product
from mache import csvfiles
from mache.csvfiles import file_error, parse_day, parse_whole, quoted, read_text
from mache.errors import InvalidInput
from mache.periods import paris_today
from shops.dates import Bounds, business_date_bounds, date_bounds_error

from .models import StockBalance, StockMovement
from .services import MovementIn, end_of_day, movements_record

COLUMNS = ["date", "sku", "quantity"]
# What French tills and spreadsheets call the same columns (compared lowercased).
ALIASES = {
    "jour": "date",
    "référence": "sku",
    "reference": "sku",
    "réf": "sku",
    "ref": "sku",
    "quantité": "quantity",
    "quantite": "quantity",
    "qté": "quantity",
    "qte": "quantity",
}
MAX_ROWS = 20_000
NOTE = "Import caisse"


@dataclass(frozen=True)
class Row:
    """One line of the file; a field that did not parse is None (its error is listed)."""

    line: int
    day: dt.date | None
    sku: str
    units: int | None


def parse_units(text: str) -> int | None:
    """A whole number of units sold, from 1 to MAX_UNITS."""
    return parse_whole(text, low=1, high=MAX_UNITS)


def parse_row(
    line: int, cells: dict[str, str], *, bounds: Bounds, today: dt.date
) -> tuple[Row, list[str]]:
    errors = []
    day, error = parse_day(cells["date"])
    if error:
        errors.append(error)
    elif day > today:
        errors.append(f"date {quoted(cells['date'])} dans le futur.")
        day = None
    elif error := date_bounds_error(day, bounds, today=today):
        errors.append(f"date {quoted(cells['date'])} : {error[:1].lower()}{error[1:]}")
        day = None
    sku = cells["sku"]
    if not sku:
        errors.append("référence (sku) manquante.")
    units = parse_units(cells["quantity"])
    if units is None:
        errors.append(
            f"quantité {quoted(cells['quantity'])} invalide (nombre entier de 1 à {MAX_UNITS})."
        )
    return Row(line=line, day=day, sku=sku, units=units), errors


def parse_sales(
    text: str, *, bounds: Bounds, today: dt.date
) -> tuple[list[Row], list[tuple[int, str]]]:
    """Every row of the file, and the (line, message) of every error found; `bounds`:
    the shop's business dates (shops.dates). Other columns (a label, a price) are
    ignored: tills export more than we need."""
    records = csvfiles.CsvRecords(
        text,
        columns=COLUMNS,
        aliases=ALIASES,
        extra_allowed=True,
        max_rows=MAX_ROWS,
        expected=f"{';'.join(COLUMNS)} (ou date;référence;quantité)",
    )
    rows: list[Row] = []
    for line, cells in records:
        row, row_errors = parse_row(line, cells, bounds=bounds, today=today)
        rows.append(row)
        records.errors.extend((line, message) for message in row_errors)
    return rows, records.errors


def resolve_skus(*, shop, skus: set[str]) -> dict[str, int | str]:
    """Each SKU's product id, or why it names none (one query)."""
    stocked = StockBalance.objects.filter(shop=shop, product=OuterRef("pk"))
    candidates: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    for sku, product_id, in_shop in (
        Product.objects.filter(sku__in=skus)
        .annotate(in_shop=Exists(stocked))
        .order_by("pk")
        .values_list("sku", "pk", "in_shop")
    ):
        candidates[sku].append((product_id, in_shop))
    resolved: dict[str, int | str] = {}
    for sku in skus:
        products = candidates.get(sku, [])
        in_shop = [product_id for product_id, is_stocked in products if is_stocked]
        if len(products) == 1:
            resolved[sku] = products[0][0]
        elif len(in_shop) == 1:
            resolved[sku] = in_shop[0]
        elif not products:
            resolved[sku] = f"référence {quoted(sku)} inconnue."
        elif not in_shop:
            resolved[sku] = (
                f"référence {quoted(sku)} ambiguë : {len(products)} fournisseurs "
                f"la portent et ce commerce n'a en stock aucun de ces produits."
            )
        else:
            resolved[sku] = (
                f"référence {quoted(sku)} ambiguë : ce commerce a en stock "
                f"{len(in_shop)} produits de fournisseurs différents qui la "
                f"portent."
            )
    return resolved


def sales_import(*, shop, file, user) -> dict:
    """Record the sales of a till export in `shop`: {"movements": n, "units": total}.

    Raises InvalidInput on `file` (every bad line; nothing written), or InsufficientStock
    (nothing written) if a sale would take more than the shop had at its date.
    """
    today = paris_today()
    rows, errors = parse_sales(
        read_text(file), today=today, bounds=business_date_bounds(shop=shop, today=today)
    )
    products = resolve_skus(shop=shop, skus={row.sku for row in rows if row.sku})
    errors.extend(
        (row.line, products[row.sku])
        for row in rows
        if row.sku and isinstance(products[row.sku], str)
    )
    if errors:
        # Sorted by line only: a line's own messages keep the order they were found in.
        raise InvalidInput(
            {
                "file": [
                    f"Ligne {line} : {message}"
                    for line, message in sorted(errors, key=lambda e: e[0])
                ]
            }
        )
    if not rows:
        raise file_error("Le fichier ne contient aucune vente.")
    units: dict[tuple[dt.date, int], int] = defaultdict(int)
    for row in rows:
        units[(row.day, products[row.sku])] += row.units
    user_id = getattr(user, "pk", None)
    # One call, so one transaction: every sale is recorded, or none.
    movements_record(
        movements=[
            MovementIn(
                shop_id=shop.pk,
                product_id=product_id,
                kind=StockMovement.Kind.SALE,
                quantity=-quantity,
                occurred_at=end_of_day(day),
                note=NOTE,
                user_id=user_id,
            )
            for (day, product_id), quantity in sorted(units.items())
        ]
    )
    return {"movements": len(units), "units": sum(units.values())}
