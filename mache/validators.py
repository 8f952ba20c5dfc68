"""Model field validators shared by every app, with French messages."""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from .identifiers import siret_ok, vat_number_clean, vat_number_error

SIRET_RE = re.compile(r"^\d{14}$")


def validate_siret(value: str) -> None:
    """14 digits whose keys python-stdnum accepts (stdnum.fr.siret: the Luhn keys of the
    SIRET and of its SIREN, or La Poste's rule for its establishments)."""
    if not SIRET_RE.match(value or ""):
        raise ValidationError("Le SIRET doit comporter exactement 14 chiffres.", code="format")
    if not siret_ok(value):
        raise ValidationError("Ce SIRET n'est pas valide (clé de contrôle).", code="luhn")


validate_postcode = RegexValidator(
    r"^\d{5}$", "Le code postal doit comporter 5 chiffres.", code="postcode"
)


# Bank and tax identifiers (docs/sepa.md): checked by the field's own libraries,
# schwifty (IBAN checksum and each country's format, BIC) and python-stdnum (VAT numbers,
# the SEPA creditor identifier), not by hand-written rules.


def validate_iban(value: str) -> None:
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        IBAN(value)
    except SchwiftyException as error:
        raise ValidationError(
            "Cet IBAN n'est pas valide (clé de contrôle ou format du pays).", code="iban"
        ) from error


def validate_bic(value: str) -> None:
    from schwifty import BIC
    from schwifty.exceptions import SchwiftyException

    try:
        BIC(value, allow_invalid=False)
    except SchwiftyException as error:
        raise ValidationError("Ce BIC n'est pas valide.", code="bic") from error


def validate_vat_number(value: str) -> None:
    from stdnum.eu import vat

    if not vat.is_valid(value or ""):
        raise ValidationError(
            "Ce numéro de TVA intracommunautaire n'est pas valide.", code="vat_number"
        )


def vat_number_check(instance) -> None:
    """A model's `vat_number` beside its `siret` (the cooperative, a shop): blank, or the
    French VAT number of that SIREN (docs/e-invoicing.md, "Identities"). Stored compact
    ('FR' + key + SIREN). Call from the model's clean()."""
    error = vat_number_error(
        instance.vat_number, instance.siret if siret_ok(instance.siret) else ""
    )
    if error:
        raise ValidationError({"vat_number": ValidationError(error, code="vat_number")})
    instance.vat_number = vat_number_clean(instance.vat_number)


def validate_sepa_creditor_id(value: str) -> None:
    """The SEPA creditor identifier (ICS): country, 2 check digits, business code, national
    identifier; the check digits are ISO 7064 MOD 97-10 over the national part."""
    from stdnum.eu import at_02

    if not at_02.is_valid(value or ""):
        raise ValidationError(
            "Cet identifiant de créancier SEPA (ICS) n'est pas valide.", code="sepa_creditor_id"
        )


def validate_latitude(value) -> None:
    """A latitude in degrees, as typed by the coordinator (docs/distribution.md)."""
    if value is not None and not -90 <= value <= 90:
        raise ValidationError("Une latitude est comprise entre -90 et 90 degrés.")


def validate_longitude(value) -> None:
    """A longitude in degrees, as typed by the coordinator (docs/distribution.md)."""
    if value is not None and not -180 <= value <= 180:
        raise ValidationError("Une longitude est comprise entre -180 et 180 degrés.")


def coordinates_error(latitude, longitude) -> str | None:
    """Both coordinates or neither: one alone places nothing on the map."""
    if (latitude is None) != (longitude is None):
        return "Saisissez la latitude et la longitude, ou aucune des deux."
    return None


OUTSIDE_FRANCE = (
    "Ces coordonnées sont hors de France métropolitaine et d'outre-mer : vérifiez le signe "
    "et l'ordre (latitude puis longitude, en degrés décimaux)."
)


def place_error(latitude, longitude) -> str | None:
    """A place typed by the coordinator (a supplier, the hub: docs/local-producers.md):
    both coordinates or neither, and within one of France's boxes, metropolitan or
    overseas (mache.geo.FRANCE_BOXES): a dropped sign or swapped coordinates land
    outside every one."""
    from .geo import in_france

    if error := coordinates_error(latitude, longitude):
        return error
    if latitude is not None and not in_france(latitude, longitude):
        return OUTSIDE_FRANCE
    return None


def place_check(instance, latitude: str, longitude: str) -> None:
    """A model's place (a supplier, the cooperative's hub), from its clean(): place_error
    said on the latitude field. Values already refused by the fields' own validators (not
    a number, out of range) are left to them: one message each."""
    lat, lon = getattr(instance, latitude), getattr(instance, longitude)
    for value, limit in ((lat, 90), (lon, 180)):
        if value is not None and (not isinstance(value, Decimal) or not -limit <= value <= limit):
            return
    if error := place_error(lat, lon):
        raise ValidationError({latitude: ValidationError(error, code="place")})
