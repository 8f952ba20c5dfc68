"""Places typed by the coordinator (no geocoding service: the machines have no network):
the great-circle distance between two points, and whether a point lies in France,
metropolitan or overseas (docs/local-producers.md)."""

import math
from decimal import Decimal

EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)

# (name, south, north, west, east) in decimal degrees: generous boxes around each part
# of France, so that a typo (a sign, swapped coordinates) lands outside every one.
FRANCE_BOXES = (
    ("France métropolitaine et Corse", 41.2, 51.2, -5.3, 9.7),
    ("Guadeloupe", 15.8, 16.6, -61.9, -60.9),
    ("Martinique", 14.3, 15.0, -61.3, -60.7),
    ("Guyane", 2.0, 5.9, -54.7, -51.5),
    ("La Réunion", -21.45, -20.8, 55.15, 55.9),
    ("Mayotte", -13.1, -12.55, 44.95, 45.35),
    ("Saint-Pierre-et-Miquelon", 46.7, 47.2, -56.5, -56.0),
    ("Saint-Barthélemy et Saint-Martin", 17.85, 18.15, -63.2, -62.75),
    ("Wallis-et-Futuna", -14.4, -13.1, -178.3, -176.0),
    ("Polynésie française", -28.0, -7.8, -154.8, -134.4),
    ("Nouvelle-Calédonie", -22.8, -19.5, 163.5, 168.2),
)


def in_france(latitude, longitude) -> bool:
    """Whether the point lies in one of FRANCE_BOXES. Decimals, floats or strings."""
    lat, lon = float(latitude), float(longitude)
    return any(s <= lat <= n and w <= lon <= e for _, s, n, w, e in FRANCE_BOXES)


def great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The great-circle distance between two (latitude, longitude) points in decimal
    degrees (haversine), in km. A distance is no money: floats are fine."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def distance_km(lat1, lon1, lat2, lon2) -> Decimal:
    """great_circle_km between two points given as Decimals or strings, to one decimal
    (half up), as the API and the pages show it."""
    km = great_circle_km((float(lat1), float(lon1)), (float(lat2), float(lon2)))
    return Decimal(repr(km)).quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")
