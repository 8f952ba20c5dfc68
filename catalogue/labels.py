"""The quality labels a supplier or a product may carry (docs/local-producers.md): their
codes (what the API and the database hold), their French names, and which of them say
that the food is organic."""

from django.core.exceptions import ValidationError

LABELS = {
    "AB": "Agriculture biologique (AB)",
    "BIO_COHERENCE": "Bio Cohérence",
    "DEMETER": "Demeter",
    "NATURE_PROGRES": "Nature & Progrès",
    "HVE": "Haute valeur environnementale (HVE)",
    "LABEL_ROUGE": "Label Rouge",
    "AOP": "Appellation d'origine protégée (AOP)",
    "IGP": "Indication géographique protégée (IGP)",
    "STG": "Spécialité traditionnelle garantie (STG)",
    "BLEU_BLANC_COEUR": "Bleu-Blanc-Cœur",
    "COMMERCE_EQUITABLE": "Commerce équitable",
    "MSC": "Pêche durable (MSC)",
}

# What a badge says where room is short (the order form's product cards): the acronym
# when there is one, else the name.
SHORT_NAMES = {
    "AB": "AB",
    "BIO_COHERENCE": "Bio Cohérence",
    "DEMETER": "Demeter",
    "NATURE_PROGRES": "Nature & Progrès",
    "HVE": "HVE",
    "LABEL_ROUGE": "Label Rouge",
    "AOP": "AOP",
    "IGP": "IGP",
    "STG": "STG",
    "BLEU_BLANC_COEUR": "Bleu-Blanc-Cœur",
    "COMMERCE_EQUITABLE": "Équitable",
    "MSC": "MSC",
}

# Labels that certify organic farming under the EU regulation (AB, and the private
# labels that require it): a product carrying one counts in the organic share.
ORGANIC = frozenset({"AB", "BIO_COHERENCE", "DEMETER"})


def label_code(text: str) -> str:
    """The code of a label as typed: case, spaces and hyphens ignored ("Label Rouge",
    "label-rouge" -> "LABEL_ROUGE"). Unknown codes are returned as normalised, for the
    validator to refuse."""
    return "_".join(str(text).replace("-", " ").replace("&", " ").upper().split())


def validate_labels(value) -> None:
    """A list of known label codes, each once."""
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise ValidationError("Les labels sont une liste de codes.")
    unknown = [code for code in value if code not in LABELS]
    if unknown:
        raise ValidationError(
            f"Label inconnu : {', '.join(unknown)}. Labels possibles : {', '.join(LABELS)}."
        )
    if len(set(value)) != len(value):
        raise ValidationError("Chaque label n'est donné qu'une fois.")


def is_organic(labels) -> bool:
    return bool(ORGANIC.intersection(labels or ()))


def labels_clean(values) -> list[str]:
    """Labels as typed or sent (codes or names: "ab", "Label Rouge"), normalised by
    label_code, each once in the order given, then validated (ValidationError naming the
    known codes when one is unknown)."""
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise ValidationError("Les labels sont une liste de codes.")
    codes = list(dict.fromkeys(label_code(value) for value in values if str(value).strip()))
    validate_labels(codes)
    return codes
