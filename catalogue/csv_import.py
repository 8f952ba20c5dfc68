"""CSV import of one supplier's catalogue: every row is written, or none.

The file is parsed and judged whole before the database is touched, so a coordinator
gets the list of every bad line at once (numbered as in a spreadsheet: the header is
line 1) instead of fixing them one upload at a time. Rows upsert by SKU within the
supplier; an imported product's price tiers are replaced by those of its row.

French spreadsheets export CSV with `;` between cells and a comma before decimals,
often with a byte order mark: all three are accepted, the delimiter being read from
the header line (column names contain neither `;` nor `,`).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from mache import csvfiles
from mache.csvfiles import file_error, parse_decimal, parse_whole, quoted, read_text
from mache.errors import InvalidInput

from .cache import catalogue_changed
from .labels import labels_clean
from .models import MAX_UNITS, PriceTier, Product, Supplier, VatRate
from .services import check_price_tiers

COLUMNS = [
    "sku",
    "name",
    "unit_label",
    "case_size",
    "unit_price",
    "vat_rate",
    "price_tiers",
    "active",
    "origin",
    "labels",
]
# A column left out leaves the products' values as they are (new ones: the defaults).
# origin and labels: the product's own (docs/local-producers.md); labels separated by |.
OPTIONAL_COLUMNS = {"active", "origin", "labels"}
MAX_ROWS = 10_000
BATCH_SIZE = 1_000  # rows per INSERT/UPDATE statement: bounded statements, few of them

LAWFUL_VAT_RATES = frozenset(Decimal(value) for value in VatRate.values)
ACTIVE_WORDS = {"1": True, "oui": True, "true": True, "0": False, "non": False, "false": False}
# Digits, then at most one decimal separator (dot or comma) and its digits.

_PRICE = Product._meta.get_field("unit_price")
_PRICE_PLACES = _PRICE.decimal_places
_PRICE_INT_DIGITS = _PRICE.max_digits - _PRICE.decimal_places
_MAX_LENGTHS = {
    name: Product._meta.get_field(name).max_length
    for name in ("sku", "name", "unit_label", "origin")
}
_DEFAULT_UNIT_LABEL = Product._meta.get_field("unit_label").default


@dataclass
class Row:
    """One valid line of the file, ready to be written."""

    line: int
    sku: str
    name: str
    unit_label: str
    case_size: int
    unit_price: Decimal
    vat_rate: Decimal
    active: bool
    tiers: list[dict] = field(default_factory=list)
    origin: str | None = None  # None: no such column in the file
    labels: list[str] | None = None


def parse_price(text: str) -> Decimal | None:
    """A unit price > 0 with at most four decimals (the model's precision)."""
    value = parse_decimal(text, places=_PRICE_PLACES, int_digits=_PRICE_INT_DIGITS)
    return value if value is not None and value > 0 else None


def parse_count(text: str) -> int | None:
    """A whole number between 1 and MAX_UNITS."""
    return parse_whole(text, low=1, high=MAX_UNITS)


def parse_tiers(text: str) -> tuple[list[dict], list[str]]:
    """ "5:1,1000|10:1,0000" as [{"min_cases", "unit_price"}], and the errors found."""
    tiers, errors = [], []
    if not text:
        return tiers, errors
    for part in filter(None, (part.strip() for part in text.split("|"))):
        min_cases, colon, price = (piece.strip() for piece in part.partition(":"))
        tier = {"min_cases": parse_count(min_cases), "unit_price": parse_price(price)}
        if not colon or None in tier.values():
            errors.append(f"palier « {part} » invalide (attendu colis:prix, par exemple 5:1,1000).")
        else:
            tiers.append(tier)
    return tiers, errors


def parse_labels(text: str) -> tuple[list[str], str | None]:
    """ "AB|Label Rouge" as codes (catalogue.labels.labels_clean), and the error found."""
    try:
        return labels_clean([part.strip() for part in text.split("|")]), None
    except ValidationError as exc:
        message = " ".join(exc.messages)
        return [], f"labels (labels) : {message[:1].lower() + message[1:]}"


def parse_row(cells: dict[str, str]) -> tuple[dict, list[str]]:
    """The values of one line, and what is wrong with it (messages without the line)."""
    errors = []
    values = {
        "sku": cells["sku"],
        "name": cells["name"],
        "unit_label": cells["unit_label"] or _DEFAULT_UNIT_LABEL,
    }
    for name, label in (("sku", "référence"), ("name", "désignation"), ("unit_label", "unité")):
        if not values[name]:
            errors.append(f"{label} ({name}) manquante.")
        elif len(values[name]) > _MAX_LENGTHS[name]:
            errors.append(
                f"{label} ({name}) trop longue ({_MAX_LENGTHS[name]} caractères au plus)."
            )

    values["case_size"] = parse_count(cells["case_size"])
    if values["case_size"] is None:
        errors.append(
            f"unités par colis {quoted(cells['case_size'])} invalide "
            f"(nombre entier de 1 à {MAX_UNITS})."
        )

    values["unit_price"] = parse_price(cells["unit_price"])
    if values["unit_price"] is None:
        errors.append(f"prix unitaire {quoted(cells['unit_price'])} invalide.")

    # Compared as Decimals: "5,5" and "5.50" are the same rate, "5.499" is none of them.
    rate = parse_decimal(cells["vat_rate"].removesuffix("%").strip(), places=10, int_digits=2)
    if rate is None or rate not in LAWFUL_VAT_RATES:
        errors.append(
            f"taux de TVA {quoted(cells['vat_rate'])} non permis (0, 2,1, 5,5, 10 ou 20)."
        )
    else:
        values["vat_rate"] = rate.quantize(Decimal("0.01"))

    active = cells.get("active", "").lower()
    if active and active not in ACTIVE_WORDS:
        errors.append(f"actif {quoted(cells['active'])} invalide (1, 0, oui, non, true ou false).")
    values["active"] = ACTIVE_WORDS.get(active, True)

    if "origin" in cells:
        values["origin"] = cells["origin"]
        if len(values["origin"]) > _MAX_LENGTHS["origin"]:
            errors.append(
                f"origine (origin) trop longue ({_MAX_LENGTHS['origin']} caractères au plus)."
            )
    if "labels" in cells:
        values["labels"], label_error = parse_labels(cells["labels"])
        if label_error:
            errors.append(label_error)

    values["tiers"], tier_errors = parse_tiers(cells["price_tiers"])
    errors.extend(tier_errors)
    if values["unit_price"] is not None and not tier_errors:
        try:
            values["tiers"] = check_price_tiers(values["tiers"], values["unit_price"])
        except InvalidInput as exc:
            errors.extend(
                message[:1].lower() + message[1:] for message in exc.errors["price_tiers"]
            )
    return values, errors


def parse_catalogue(text: str) -> list[Row]:
    """Every row of the file, or InvalidInput on `file` listing every bad line."""
    records = csvfiles.CsvRecords(
        text,
        columns=COLUMNS,
        optional=OPTIONAL_COLUMNS,
        expected=f"{';'.join(COLUMNS)} (active, origin et labels sont facultatives)",
        max_rows=MAX_ROWS,
        what="produits",
    )
    rows: list[Row] = []
    first_line_of_sku: dict[str, int] = {}
    for line, cells in records:
        values, line_errors = parse_row(cells)
        sku = values["sku"]
        if sku in first_line_of_sku:
            line_errors.append(
                f"la référence « {sku} » figure déjà ligne {first_line_of_sku[sku]}."
            )
        elif sku:
            first_line_of_sku[sku] = line
        if line_errors:
            records.errors.extend((line, message) for message in line_errors)
        else:
            rows.append(Row(line=line, **values))
    if records.errors:
        raise InvalidInput({"file": records.messages()})
    if not rows:
        raise file_error("Le fichier ne contient aucun produit.")
    return rows


def catalogue_import(*, supplier: Supplier, file) -> dict:
    """Create or update `supplier`'s products from a CSV file: {"created": n, "updated": m}.

    The query count does not depend on the number of rows (up to BATCH_SIZE per statement).
    """
    rows = parse_catalogue(read_text(file))
    fields = ["name", "unit_label", "case_size", "unit_price", "vat_rate", "active"]
    # The optional columns the file has (every row has the same).
    fields += [name for name in ("origin", "labels") if getattr(rows[0], name) is not None]
    try:
        with transaction.atomic():
            # Two imports for one supplier run one after the other, never interleaved.
            supplier = Supplier.objects.select_for_update().get(pk=supplier.pk)
            existing = {
                product.sku: product
                for product in Product.objects.select_for_update()
                .filter(supplier=supplier, sku__in=[row.sku for row in rows])
                .order_by("pk")
            }
            created, updated = [], []
            for row in rows:
                product = existing.get(row.sku)
                if product is None:
                    product = Product(supplier=supplier, sku=row.sku)
                    created.append(product)
                else:
                    updated.append(product)
                for name in fields:
                    setattr(product, name, getattr(row, name))
            Product.objects.bulk_create(created, batch_size=BATCH_SIZE)
            if updated:
                Product.objects.bulk_update(updated, fields, batch_size=BATCH_SIZE)
                PriceTier.objects.filter(product__in=updated).delete()
            products = {product.sku: product for product in [*created, *updated]}
            # Bulk writes send no signal (catalogue/cache.py).
            catalogue_changed(supplier.pk)
            PriceTier.objects.bulk_create(
                (
                    PriceTier(product=products[row.sku], **tier)
                    for row in rows
                    for tier in row.tiers
                ),
                batch_size=BATCH_SIZE,
            )
    except IntegrityError as exc:
        # Only a product created meanwhile by someone else can collide (the file's own
        # SKUs are distinct): the coordinator simply sends the file again.
        raise file_error(
            "Le catalogue de ce fournisseur a changé pendant l'import ; "
            "envoyez le fichier à nouveau."
        ) from exc
    return {"created": len(created), "updated": len(updated)}
