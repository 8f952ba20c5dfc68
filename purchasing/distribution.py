"""Distribution of a received order to the shops: pure rules (docs/distribution.md).

- `tour_key` / `in_tour_order`: the delivery tour's order: the shops with a
  `tour_position` by that position, then the others by name (and id, to be stable).
- `picking_matrix`: the hub's picking list: per product, the units for each shop, the
  shops in tour order, a total per product and per shop.
- `route_order` (optional ordering of a day's tour): the shortest route from the hub
  through the shops that have coordinates, nearest neighbour then 2-opt; shops without
  coordinates follow, in tour order.

No database here: the selectors (purchasing.selectors) bring the rows.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from accounting.renderers.spreadsheets import FORMULA_STARTS
from mache.geo import great_circle_km


def tour_key(shop) -> tuple:
    """The sort key of the tour: positioned shops first, by position; then by name."""
    position = shop.tour_position
    return (position is None, position or 0, shop.name.casefold(), shop.pk)


def in_tour_order(shops: Iterable) -> list:
    return sorted(shops, key=tour_key)


@dataclass
class PickingRow:
    """One product of the picking list: its units per shop (in the shops' order) and
    their total."""

    product: object
    units: list[int]
    total: int


@dataclass
class PickingMatrix:
    shops: list  # in tour order
    rows: list[PickingRow] = field(default_factory=list)
    shop_totals: list[int] = field(default_factory=list)
    total: int = 0


def picking_matrix(cells: Iterable[tuple[object, object, int]]) -> PickingMatrix:
    """`cells`: (shop, product, units) triples. Products by name; shops in tour order;
    a shop or a product with no unit at all is left out (nothing to pick)."""
    cells = [(shop, product, units) for shop, product, units in cells if units]
    shops = in_tour_order({shop.pk: shop for shop, _, _ in cells}.values())
    products = sorted(
        {product.pk: product for _, product, _ in cells}.values(),
        key=lambda product: (product.name.casefold(), product.pk),
    )
    column = {shop.pk: index for index, shop in enumerate(shops)}
    units = {product.pk: [0] * len(shops) for product in products}
    for shop, product, quantity in cells:
        units[product.pk][column[shop.pk]] += quantity
    rows = [PickingRow(p, units[p.pk], sum(units[p.pk])) for p in products]
    shop_totals = [sum(row.units[index] for row in rows) for index in range(len(shops))]
    return PickingMatrix(shops, rows, shop_totals, sum(shop_totals))


def _csv_text(text: str) -> str:
    # A cell a spreadsheet would read as a formula is quoted (as accounting's CSVs do).
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def picking_csv(matrix: PickingMatrix) -> bytes:
    """The picking list as CSV for a spreadsheet (French conventions, as every CSV of the
    project: UTF-8 with BOM, ";" between cells, CRLF): one row per product, its reference
    and name, then one column per shop in tour order ("1. name"), then the total; a last
    row of totals per shop."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            "Référence",
            "Produit",
            *(_csv_text(f"{n}. {shop.name}") for n, shop in enumerate(matrix.shops, start=1)),
            "Total",
        ]
    )
    for row in matrix.rows:
        writer.writerow(
            [_csv_text(row.product.sku), _csv_text(row.product.name), *row.units, row.total]
        )
    writer.writerow(["", "Total", *matrix.shop_totals, matrix.total])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- Shortest route (optional ordering of the tour) ------------------------------------

# The great-circle distance of two (latitude, longitude) points: mache.geo.
distance_km = great_circle_km


def _route_length(points: Sequence[tuple[float, float]], order: Sequence[int]) -> float:
    path = [0, *order]
    return sum(distance_km(points[path[i]], points[path[i + 1]]) for i in range(len(path) - 1))


def route_order(start: tuple[float, float] | None, shops: Iterable) -> list:
    """The shops in the order of a short route from `start` (the hub's coordinates;
    None: the first shop in tour order with coordinates) through every shop with a
    latitude and a longitude: nearest neighbour, then 2-opt until no exchange shortens
    it. The route is open (the van need not come back). Shops without coordinates
    follow, in tour order. Coordinates are only the coordinator's: no geocoding."""
    ordered = in_tour_order(shops)
    placed = [s for s in ordered if s.latitude is not None and s.longitude is not None]
    others = [s for s in ordered if s not in placed]
    if not placed:
        return others
    if start is None:
        start = (float(placed[0].latitude), float(placed[0].longitude))
    points = [start, *((float(s.latitude), float(s.longitude)) for s in placed)]
    # Nearest neighbour from the hub (ties: tour order, as `placed` is in it).
    left, route, here = list(range(1, len(points))), [], 0
    while left:
        nearest = min(left, key=lambda i: (distance_km(points[here], points[i]), i))
        route.append(nearest)
        left.remove(nearest)
        here = nearest
    # 2-opt: reverse a stretch whenever it shortens the route.
    improved = True
    while improved:
        improved = False
        for i in range(len(route) - 1):
            for j in range(i + 1, len(route)):
                candidate = route[:i] + route[i : j + 1][::-1] + route[j + 1 :]
                if _route_length(points, candidate) < _route_length(points, route) - 1e-9:
                    route, improved = candidate, True
    return [placed[i - 1] for i in route] + others
