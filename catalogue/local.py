"""Who supplies what, from where (docs/local-producers.md): a supplier's distance to the
cooperative's hub and whether it is local, a product's effective labels and whether it is
organic or local. Computed when read from the coordinates typed by the coordinator
(mache.geo) and the label codes (catalogue.labels), never stored: moving a supplier or
changing the radius changes them at once.

The functions take the cooperative as read once per request (`local_settings()`): any
object with `hub_latitude`, `hub_longitude` and `local_radius_km` will do, so that a list
of suppliers or products costs no query per row. `None` stands for "no cooperative
recorded": no hub, nothing local.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from mache.formats import NBSP
from mache.geo import distance_km
from shops.models import Cooperative

from .labels import LABELS, ORGANIC, SHORT_NAMES, is_organic
from .models import SupplierKind

DEFAULT_RADIUS_KM = 80  # shops.Cooperative.local_radius_km's default


def local_settings():
    """The cooperative's hub and radius, in one query: what every function below reads
    (an unsaved stand-in without a hub when no cooperative is recorded)."""
    cooperative = Cooperative.objects.only(
        "hub_latitude", "hub_longitude", "local_radius_km"
    ).first()
    return cooperative or Cooperative(local_radius_km=DEFAULT_RADIUS_KM)


def _hub(cooperative) -> tuple[Decimal, Decimal] | None:
    if cooperative is None:
        return None
    latitude = getattr(cooperative, "hub_latitude", None)
    longitude = getattr(cooperative, "hub_longitude", None)
    if latitude is None or longitude is None:
        return None
    return latitude, longitude


def _radius(cooperative) -> int:
    radius = getattr(cooperative, "local_radius_km", None)
    return DEFAULT_RADIUS_KM if radius is None else radius


def supplier_distance_km(supplier, cooperative) -> Decimal | None:
    """The great-circle distance from the supplier to the hub, to one decimal; None when
    the supplier or the hub has no coordinates."""
    hub = _hub(cooperative)
    if hub is None or supplier.latitude is None or supplier.longitude is None:
        return None
    return distance_km(supplier.latitude, supplier.longitude, *hub)


def distance_is_local(distance: Decimal | None, cooperative) -> bool:
    """A known distance within the cooperative's radius (the radius itself included)."""
    return distance is not None and distance <= _radius(cooperative)


def supplier_is_local(supplier, cooperative) -> bool:
    """Local: the distance to the hub is known and within the cooperative's radius. A
    supplier without coordinates (or a hub without them) is not local."""
    return distance_is_local(supplier_distance_km(supplier, cooperative), cooperative)


def local_supplier_ids(suppliers, cooperative) -> set[int]:
    """The ids of the local suppliers among `suppliers` (an iterable of suppliers with
    their coordinates, or a queryset: read once)."""
    return {supplier.pk for supplier in suppliers if supplier_is_local(supplier, cooperative)}


def product_labels(product) -> list[str]:
    """The product's own labels when it has any, else its supplier's (read
    product.supplier: select it with the products)."""
    return list(product.labels or product.supplier.labels or [])


def product_is_organic(product) -> bool:
    """One of catalogue.labels.ORGANIC among the product's effective labels."""
    return is_organic(product_labels(product))


def product_is_local(product, cooperative) -> bool:
    """A product is local when its supplier is."""
    return supplier_is_local(product.supplier, cooperative)


def organic_q(prefix: str = "") -> Q:
    """The products whose effective labels are organic, as a filter on Product (or on a
    model reaching products through `prefix`, e.g. "product__"): their own labels when
    they have any, else their supplier's."""
    codes = sorted(ORGANIC)
    own = Q(**{f"{prefix}labels__has_any_keys": codes})
    inherited = Q(**{f"{prefix}labels": []}) & Q(
        **{f"{prefix}supplier__labels__has_any_keys": codes}
    )
    return own | inherited


# --- What the pages show --------------------------------------------------------------


def label_names(codes) -> list[str]:
    """The French names of label codes, in the order given (unknown codes as they are)."""
    return [LABELS.get(code, code) for code in codes or ()]


def short_label(code: str) -> str:
    """AB -> "AB", LABEL_ROUGE -> "Label Rouge": a label where room is short."""
    return SHORT_NAMES.get(code) or LABELS.get(code, code)


def kind_name(kind: str) -> str:
    """producer -> "Producteur" (catalogue.models.SupplierKind)."""
    try:
        return SupplierKind(kind).label
    except ValueError:
        return kind


def distance_text(distance: Decimal | None, *, located: bool = False) -> str:
    """Decimal("12.4") -> "à 12,4 km" (French, no-break spaces); None -> "sans
    coordonnées", or, for a supplier `located` while the hub is not, "distance
    inconnue"."""
    if distance is None:
        return "distance inconnue" if located else "sans coordonnées"
    text = f"{distance:f}".replace(".", ",")
    if text.endswith(",0"):
        text = text[:-2]
    return f"à{NBSP}{text}{NBSP}km"


@dataclass(frozen=True)
class SupplierPlace:
    """What the pages show of a supplier: its kind, commune, distance, labels, local."""

    kind: str
    kind_name: str
    commune: str
    located: bool  # the supplier has coordinates
    distance_km: Decimal | None
    distance_text: str
    local: bool
    labels: tuple[str, ...]
    label_names: tuple[str, ...]
    organic: bool


def supplier_place(supplier, cooperative) -> SupplierPlace:
    """What the pages show of a supplier (computed, no query)."""
    distance = supplier_distance_km(supplier, cooperative)
    located = supplier.latitude is not None and supplier.longitude is not None
    labels = tuple(supplier.labels or ())
    return SupplierPlace(
        kind=supplier.kind,
        kind_name=kind_name(supplier.kind),
        commune=supplier.commune,
        located=located,
        distance_km=distance,
        distance_text=distance_text(distance, located=located),
        local=distance_is_local(distance, cooperative),
        labels=labels,
        label_names=tuple(label_names(labels)),
        organic=is_organic(labels),
    )
