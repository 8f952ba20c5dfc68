"""The cooperative as the SEPA files name it (docs/sepa.md): its name, IBAN, BIC and,
for direct debits, its creditor identifier (ICS); refused while one is missing."""

from mache.errors import BusinessRuleError
from shops.models import Cooperative

from ..sepa import Creditor


class BankDetailsMissing(BusinessRuleError):
    code = "cooperative_bank_details_missing"


def cooperative_party(*, direct_debit: bool) -> Creditor:
    """The cooperative's bank details, or 409 naming what is missing (set on the page
    « La coopérative »)."""
    coop = Cooperative.current()
    missing = [
        label
        for label, value, needed in (
            ("l'IBAN", coop.iban, True),
            ("le BIC", coop.bic, True),
            ("l'identifiant de créancier SEPA (ICS)", coop.sepa_creditor_id, direct_debit),
        )
        if needed and not value
    ]
    if missing:
        raise BankDetailsMissing(
            "Renseignez d'abord "
            + _joined(missing)
            + " de la coopérative (page « La coopérative »)."
        )
    return Creditor(
        name=coop.legal_name or coop.name,
        iban=coop.iban,
        bic=coop.bic,
        creditor_id=coop.sepa_creditor_id,
    )


def _joined(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " et " + parts[-1]
