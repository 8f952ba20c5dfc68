"""French company identifiers, checked and derived by python-stdnum (docs/e-invoicing.md,
"Identities"): the SIRET (with La Poste's exception to the Luhn key, which stdnum knows),
its SIREN, and the intra-community VAT number (TVA) computed from the SIREN. No
hand-written checksum here: stdnum's modules are the rule."""

from stdnum import luhn
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret
from stdnum.fr import tva as stdnum_tva


def siret_ok(value: str | None) -> bool:
    return stdnum_siret.is_valid(value or "")


def siren_of(siret: str) -> str:
    return stdnum_siret.to_siren(siret)


def vat_number_for(siret: str) -> str:
    """The French VAT number of the company whose SIRET (or SIREN) is given: 'FR', the
    two-digit key stdnum computes, the SIREN. Blank for a number that is not a valid
    SIRET or SIREN (a cooperative not recorded yet)."""
    siren = (siret or "")[:9]
    if not stdnum_siren.is_valid(siren):
        return ""
    return "FR" + stdnum_siren.to_tva(siren)


def vat_number_clean(value: str) -> str:
    """A VAT number as stored: 'FR', key and SIREN, without spaces or dots."""
    return "FR" + stdnum_tva.compact(value) if value else ""


def vat_number_error(vat_number: str, siret: str) -> str | None:
    """Why `vat_number` is not the French VAT number of the company of `siret`, in French;
    None when it is (or when either is blank: nothing to compare)."""
    if not vat_number:
        return None
    if not vat_number.upper().replace(" ", "").startswith("FR") or not stdnum_tva.is_valid(
        vat_number
    ):
        return "Ce numéro de TVA intracommunautaire français n'est pas valide."
    if siret and stdnum_tva.compact(vat_number)[2:] != (siret or "")[:9]:
        return (
            "Ce numéro de TVA ne correspond pas au SIREN "
            f"(attendu : {vat_number_for(siret) or 'un SIREN valide'})."
        )
    return None


def siret_from(number: int, establishment: int = 1) -> str:
    """A valid synthetic SIRET: the SIREN from `number` (8 digits and its Luhn key), the
    establishment number (NIC, 4 digits and the SIRET's key). For demos, factories and
    benchmarks."""
    body = f"{number:08d}"
    siren = body + luhn.calc_check_digit(body)
    nic = f"{siren}{establishment:04d}"
    return nic + luhn.calc_check_digit(nic)


def rcs_mention(rcs: str, siret: str) -> str:
    """The RCS mention of invoices: "RCS Rennes 123 456 789". `rcs` is what the
    cooperative recorded: the registry's city alone ("Rennes"), or with the prefix
    ("RCS Rennes"), or the whole mention with the number; the prefix is never doubled and
    the SIREN (of `siret`) completes a mention that has no number."""
    rcs = rcs.strip()
    if rcs.upper().startswith("RCS"):
        rcs = rcs[3:].strip()
    if not rcs:
        return ""
    if any(char.isdigit() for char in rcs):
        return f"RCS {rcs}"
    siren = "\u00a0".join([siret[:3], siret[3:6], siret[6:9]]) if len(siret) >= 9 else ""
    return " ".join(part for part in ("RCS", rcs, siren) if part)
