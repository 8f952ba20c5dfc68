"""The cooperative's impact (docs/impact.md): what pooling bought from whom, how much of
it is local and organic, what it saved the shops, and which shops it serves, by zone.

Everything comes from the cooperative's issued invoices and credit notes (what was
received and invoiced, never the orders):

- purchases: the goods lines, excluding VAT, shipping and the service fee, of the
  invoices issued in [start, end], a supplementary invoice counted with its round's
  invoice as the monthly reports count it (`reports.figures.common.with_supplements`),
  less the goods lines of the credit notes issued in [start, end];
- local: the round's supplier is local now (catalogue.local); organic: the product's
  labels, else its supplier's (catalogue.local);
- savings: the monthly reports' pooling savings, by their own code
  (`reports.figures.common.invoice_savings`);
- fees: the fee lines of the same invoices, less the credit notes' fee lines.

`impact_figures` and `impact_by_month` read in a fixed number of queries (QUERIES),
whatever the number of shops, suppliers, invoices or lines; money is summed exactly and
rounded to the cent at the end only.
"""

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Min, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth

from catalogue.labels import is_organic
from catalogue.local import (
    distance_text,
    kind_name,
    local_settings,
    product_is_organic,
    supplier_distance_km,
    supplier_is_local,
)
from catalogue.models import Product, Supplier, SupplierKind
from mache.errors import BadQuery
from mache.money import ZERO, money
from mache.periods import FIRST_YEAR, LAST_YEAR, last_day_of_month, paris_today
from purchasing.models import CreditNoteLine, Invoice, InvoiceLine
from shops.models import Cooperative, Shop

from .reports.figures.common import INVOICE_FIELDS, invoice_savings, percent, with_supplements

# A period asked for is at most this many years long (a longer one is a typo).
MAX_YEARS = 10
DAY_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")  # ASCII digits, nothing around

# The cooperative, the invoices' lines, the credit notes' lines, the suppliers (none
# read, and no query, when the period has no line), the invoices' savings and the shops.
QUERIES = 6

GOODS, FEE = InvoiceLine.Kind.GOODS, InvoiceLine.Kind.FEE
NO_SHARE = Decimal("0.00")


@dataclass(frozen=True)
class SupplierImpact:
    supplier_id: int
    supplier: str
    kind: str  # catalogue.models.SupplierKind value
    local: bool
    distance_km: Decimal | None  # to the hub, one decimal; None without coordinates
    purchases_excl_vat: Decimal
    organic_excl_vat: Decimal
    kind_label: str = ""  # its French name
    commune: str = ""
    distance_text: str = ""  # "à 12,4 km", or "sans coordonnées"


@dataclass(frozen=True)
class ZoneImpact:
    zone: str  # shops.models.Shop.Zone value
    label: str  # its French name
    shops: int  # member shops during the period
    inhabitants: int  # the sum of their communes' recorded inhabitants
    shops_without_inhabitants: int  # how many have none recorded
    purchases_excl_vat: Decimal


@dataclass(frozen=True)
class ShopImpact:
    """One shop's figures of the period (the cooperative's table of shops)."""

    shop_id: int
    shop: str
    zone: str
    inhabitants: int | None
    purchases_excl_vat: Decimal
    local_excl_vat: Decimal
    local_share: Decimal
    organic_excl_vat: Decimal
    organic_share: Decimal
    savings: Decimal
    fees: Decimal
    zone_label: str = ""


@dataclass(frozen=True)
class Impact:
    start: dt.date
    end: dt.date
    shop_id: int | None  # None: the whole cooperative
    purchases_excl_vat: Decimal
    local_excl_vat: Decimal
    local_share: Decimal  # percent, 2 decimals
    organic_excl_vat: Decimal
    organic_share: Decimal
    local_producers: int
    paid_to_local_producers: Decimal
    savings: Decimal  # savings_volume + savings_shipping
    savings_volume: Decimal
    savings_shipping: Decimal
    fees: Decimal
    by_supplier: list[SupplierImpact]  # largest purchases first
    by_zone: list[ZoneImpact]  # in Shop.Zone order, zones with member shops only
    without_coordinates: list[str]  # suppliers with purchases but no coordinates (not local)
    by_shop: list[ShopImpact] = field(default_factory=list)  # member shops, by name


@dataclass(frozen=True)
class _Line:
    """Goods or fee amounts of a month, a shop, a supplier and a product: an invoice's
    (positive) or a credit note's (negative)."""

    month: dt.date
    shop_id: int
    supplier_id: int
    product_id: int | None
    product_labels: list
    product_supplier_id: int | None
    kind: str
    amount: Decimal


@dataclass(frozen=True)
class _Data:
    cooperative: Cooperative  # its hub and radius (catalogue.local.local_settings)
    lines: list[_Line]
    suppliers: dict[int, Supplier]
    invoices: list[tuple]  # (issued_on, *INVOICE_FIELDS)
    shops: list[dict]


def _shop_id(shop) -> int | None:
    return getattr(shop, "pk", shop)


def share(part: Decimal, whole: Decimal) -> Decimal:
    """part / whole in percent, 2 decimals half-up (the reports' rate); 0.00 without
    purchases."""
    return percent(part, whole) if whole else NO_SHARE


def _lines(start: dt.date, end: dt.date, shop_id: int | None) -> list[_Line]:
    """The goods and fee lines of the period's invoices and credit notes, summed by month,
    shop, supplier and product: two grouped queries."""
    # A supplementary invoice's lines count on its round's invoice's date.
    issued = Coalesce("invoice__supplements__issued_on", "invoice__issued_on")
    invoiced = (
        InvoiceLine.objects.filter(kind__in=(GOODS, FEE))
        .annotate(on=issued)
        .filter(on__gte=start, on__lte=end)
    )
    credited = CreditNoteLine.objects.filter(
        kind__in=(GOODS, FEE),
        credit_note__issued_on__gte=start,
        credit_note__issued_on__lte=end,
    )
    if shop_id is not None:
        invoiced = invoiced.filter(invoice__shop_id=shop_id)
        credited = credited.filter(credit_note__shop_id=shop_id)
    rows = [
        (1, invoiced, TruncMonth("on"), "invoice__"),
        (-1, credited, TruncMonth("credit_note__issued_on"), "credit_note__invoice__"),
    ]
    lines = []
    for sign, queryset, month, invoice in rows:
        grouped = (
            queryset.values(
                "kind",
                "product_id",
                "product__labels",
                "product__supplier_id",
                in_month=month,
                shop=F(f"{invoice}shop_id"),
                supplier=F(f"{invoice}round__supplier_id"),
            )
            .annotate(total=Sum("amount"))
            .order_by()
        )
        lines += [
            _Line(
                row["in_month"],
                row["shop"],
                row["supplier"],
                row["product_id"],
                row["product__labels"] or [],
                row["product__supplier_id"],
                row["kind"],
                sign * row["total"],
            )
            for row in grouped
        ]
    return lines


def _member_shops(start: dt.date, end: dt.date, shop_id: int | None, buyers: set[int]):
    """The shops that were members at some time in [start, end] (admitted: not a
    candidate, joined by `end` and not left before `start`), and those invoiced in it:
    one query."""
    if shop_id is not None:
        found = Shop.objects.filter(pk=shop_id)
    else:
        found = Shop.objects.filter(_member_during(start, end) | Q(pk__in=buyers))
    return list(
        found.order_by("name", "id").values(
            "id", "name", "zone", "inhabitants", "status", "joined_on", "left_on"
        )
    )


def _member_during(start: dt.date, end: dt.date) -> Q:
    return (
        ~Q(status=Shop.Status.CANDIDATE)
        & (Q(joined_on__isnull=True) | Q(joined_on__lte=end))
        & (Q(left_on__isnull=True) | Q(left_on__gte=start))
    )


def _was_member(shop: dict, start: dt.date, end: dt.date) -> bool:
    """_member_during for a shop read already (a month of a year read at once)."""
    return (
        shop["status"] != Shop.Status.CANDIDATE
        and (shop["joined_on"] is None or shop["joined_on"] <= end)
        and (shop["left_on"] is None or shop["left_on"] >= start)
    )


def _gather(start: dt.date, end: dt.date, shop_id: int | None) -> _Data:
    """Everything the figures of [start, end] need, in QUERIES queries."""
    cooperative = local_settings()
    lines = _lines(start, end, shop_id)
    supplier_ids = {line.supplier_id for line in lines} | {
        line.product_supplier_id for line in lines if line.product_supplier_id
    }
    suppliers = Supplier.objects.in_bulk(supplier_ids)
    invoices = Invoice.objects.filter(issued_on__gte=start, issued_on__lte=end)
    if shop_id is not None:
        invoices = invoices.filter(shop_id=shop_id)
    invoices = list(
        with_supplements(invoices)
        .order_by("issued_on", "number")
        .values_list("issued_on", *INVOICE_FIELDS)
    )
    buyers = {line.shop_id for line in lines} | {row[2] for row in invoices}
    shops = _member_shops(start, end, shop_id, buyers)
    return _Data(cooperative, lines, suppliers, invoices, shops)


class _Sums:
    """Exact sums (Decimal) by key, rounded at the end."""

    def __init__(self):
        self.purchases = defaultdict(lambda: ZERO)
        self.local = defaultdict(lambda: ZERO)
        self.organic = defaultdict(lambda: ZERO)
        self.fees = defaultdict(lambda: ZERO)
        self.savings = defaultdict(lambda: ZERO)


def _supplier_line(supplier, cooperative, *, local, purchases, organic) -> SupplierImpact:
    distance = supplier_distance_km(supplier, cooperative)
    return SupplierImpact(
        supplier_id=supplier.pk,
        supplier=supplier.name,
        kind=supplier.kind,
        local=local,
        distance_km=distance,
        purchases_excl_vat=money(purchases),
        organic_excl_vat=money(organic),
        kind_label=kind_name(supplier.kind),
        commune=supplier.commune,
        distance_text=distance_text(
            distance, located=supplier.latitude is not None and supplier.longitude is not None
        ),
    )


def _impact(
    data: _Data, start: dt.date, end: dt.date, shop_id: int | None, month: dt.date | None = None
) -> Impact:
    """The figures of [start, end] from the gathered data (`month`: only its lines)."""
    cooperative = data.cooperative
    suppliers = data.suppliers
    local_cache: dict[int, bool] = {}
    organic_cache: dict[tuple, bool] = {}

    def local(supplier_id: int) -> bool:
        if supplier_id not in local_cache:
            supplier = suppliers[supplier_id]
            local_cache[supplier_id] = supplier_is_local(supplier, cooperative)
        return local_cache[supplier_id]

    def organic(line: _Line) -> bool:
        key = (line.product_id, line.supplier_id)
        if key not in organic_cache:
            if line.product_id is None:  # an amount credited on goods: the supplier's labels
                organic_cache[key] = is_organic(suppliers[line.supplier_id].labels)
            else:
                product = Product(
                    pk=line.product_id,
                    labels=line.product_labels,
                    supplier=suppliers[line.product_supplier_id],
                )
                organic_cache[key] = bool(product_is_organic(product))
        return organic_cache[key]

    by_shop, by_supplier = _Sums(), _Sums()
    for line in data.lines:
        if month is not None and line.month != month:
            continue
        if line.kind == FEE:
            by_shop.fees[line.shop_id] += line.amount
            continue
        by_shop.purchases[line.shop_id] += line.amount
        by_supplier.purchases[line.supplier_id] += line.amount
        if local(line.supplier_id):
            by_shop.local[line.shop_id] += line.amount
        if organic(line):
            by_shop.organic[line.shop_id] += line.amount
            by_supplier.organic[line.supplier_id] += line.amount

    savings = invoice_savings(row[1:] for row in data.invoices if start <= row[0] <= end)
    for saving in savings:
        by_shop.savings[saving.shop_id] += saving.total
    volume = sum((saving.volume for saving in savings), ZERO)
    shipping = sum((saving.shipping for saving in savings), ZERO)

    def total(sums: dict) -> Decimal:
        return sum(sums.values(), ZERO)

    purchases, local_amount = total(by_shop.purchases), total(by_shop.local)
    organic_amount = total(by_shop.organic)
    producers = [
        supplier_id
        for supplier_id, amount in by_supplier.purchases.items()
        if suppliers[supplier_id].kind == SupplierKind.PRODUCER and local(supplier_id)
    ]
    supplier_lines = sorted(
        (
            _supplier_line(
                suppliers[supplier_id],
                cooperative,
                local=local(supplier_id),
                purchases=amount,
                organic=by_supplier.organic[supplier_id],
            )
            for supplier_id, amount in by_supplier.purchases.items()
        ),
        key=lambda s: (-s.purchases_excl_vat, s.supplier),
    )

    shops = [
        shop
        for shop in data.shops
        if shop_id is not None
        or _was_member(shop, start, end)
        or shop["id"] in by_shop.purchases
        or shop["id"] in by_shop.savings
    ]
    zone_labels = dict(Shop.Zone.choices)
    shop_lines = [
        ShopImpact(
            shop_id=shop["id"],
            shop=shop["name"],
            zone=shop["zone"],
            inhabitants=shop["inhabitants"],
            purchases_excl_vat=money(by_shop.purchases[shop["id"]]),
            local_excl_vat=money(by_shop.local[shop["id"]]),
            local_share=share(by_shop.local[shop["id"]], by_shop.purchases[shop["id"]]),
            organic_excl_vat=money(by_shop.organic[shop["id"]]),
            organic_share=share(by_shop.organic[shop["id"]], by_shop.purchases[shop["id"]]),
            savings=money(by_shop.savings[shop["id"]]),
            fees=money(by_shop.fees[shop["id"]]),
            zone_label=zone_labels.get(shop["zone"], ""),
        )
        for shop in shops
    ]
    zones = []
    for zone, label in Shop.Zone.choices:
        in_zone = [shop for shop in shops if shop["zone"] == zone]
        if in_zone:
            zones.append(
                ZoneImpact(
                    zone=zone,
                    label=label,
                    shops=len(in_zone),
                    inhabitants=sum(shop["inhabitants"] or 0 for shop in in_zone),
                    shops_without_inhabitants=sum(
                        1 for shop in in_zone if shop["inhabitants"] is None
                    ),
                    purchases_excl_vat=money(
                        sum((by_shop.purchases[shop["id"]] for shop in in_zone), ZERO)
                    ),
                )
            )

    return Impact(
        start=start,
        end=end,
        shop_id=shop_id,
        purchases_excl_vat=money(purchases),
        local_excl_vat=money(local_amount),
        local_share=share(local_amount, purchases),
        organic_excl_vat=money(organic_amount),
        organic_share=share(organic_amount, purchases),
        local_producers=sum(
            1 for supplier_id in producers if by_supplier.purchases[supplier_id] > 0
        ),
        paid_to_local_producers=money(
            sum((by_supplier.purchases[supplier_id] for supplier_id in producers), ZERO)
        ),
        savings=money(volume + shipping),
        savings_volume=money(volume),
        savings_shipping=money(shipping),
        fees=money(total(by_shop.fees)),
        by_supplier=supplier_lines,
        by_zone=zones,
        without_coordinates=sorted(
            s.supplier
            for s in supplier_lines
            if suppliers[s.supplier_id].latitude is None
            or suppliers[s.supplier_id].longitude is None
        ),
        by_shop=shop_lines,
    )


def impact_figures(*, start: dt.date, end: dt.date, shop=None) -> Impact:
    """The impact of [start, end] (issue dates, both included) for the whole cooperative,
    or for `shop` (a Shop or its id) alone: module doc and docs/impact.md."""
    shop_id = _shop_id(shop)
    return _impact(_gather(start, end, shop_id), start, end, shop_id)


def impact_by_month(*, year: int, shop=None) -> list[Impact]:
    """The impact of each of the 12 months of `year` (January first), read at once: the
    same QUERIES queries as one period, each month's figures those impact_figures gives
    for it."""
    shop_id = _shop_id(shop)
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    data = _gather(start, end, shop_id)
    months = [dt.date(year, number, 1) for number in range(1, 13)]
    return [
        _impact(data, month, last_day_of_month(month), shop_id, month=month) for month in months
    ]


# --- The period asked for (API and pages) ---------------------------------------------------


def parse_day(value, *, field: str) -> dt.date:
    """An ISO day (AAAA-MM-JJ) of a sane year, or 400 on `field`."""
    if value is None or value == "":
        raise BadQuery({field: ["Ce paramètre est obligatoire (AAAA-MM-JJ)."]})
    match = DAY_RE.fullmatch(value) if isinstance(value, str) else None
    try:
        day = dt.date(*map(int, match.groups())) if match else None
    except ValueError:
        day = None
    if day is None:
        raise BadQuery({field: ["Date attendue au format AAAA-MM-JJ."]})
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise BadQuery({field: [f"Date entre {FIRST_YEAR} et {LAST_YEAR}."]})
    return day


def impact_period(date_from, date_to) -> tuple[dt.date, dt.date]:
    """[from, to] of a request (both required, ISO days): 400 on the field that is
    wrong, on `to` when it precedes `from` or lies more than MAX_YEARS years after it."""
    start = parse_day(date_from, field="from")
    end = parse_day(date_to, field="to")
    if end < start:
        raise BadQuery({"to": ["La fin de la période (to) précède son début (from)."]})
    limit = dt.date(start.year + MAX_YEARS, start.month, 1) + (start - start.replace(day=1))
    if end >= limit:
        raise BadQuery({"to": [f"Une période de {MAX_YEARS} ans au plus."]})
    return start, end


def impact_years(*, shop=None) -> list[int]:
    """The years the impact pages offer: from the first invoice's (of `shop`, when
    given) to the current one (Paris). One query."""
    invoices = Invoice.objects.all()
    if shop is not None:
        invoices = invoices.filter(shop_id=_shop_id(shop))
    first = invoices.aggregate(first=Min("issued_on"))["first"]
    this_year = paris_today().year
    return list(range(min(first.year if first else this_year, this_year), this_year + 1))
