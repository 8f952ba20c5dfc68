"""Model field validators shared by every app, with French messages."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from .siret import SIRET_RE, luhn_ok


def validate_siret(value: str) -> None:
    if not SIRET_RE.match(value or ""):
        raise ValidationError("Le SIRET doit comporter exactement 14 chiffres.", code="format")
    if not luhn_ok(value):
        raise ValidationError("Ce SIRET n'est pas valide (clé de contrôle).", code="luhn")


validate_postcode = RegexValidator(
    r"^\d{5}$", "Le code postal doit comporter 5 chiffres.", code="postcode"
)
