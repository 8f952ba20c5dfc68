"""Auxiliary accounts: the third party named under a collective account (401 suppliers,
411 customers), and how a manual entry's `aux` is judged (docs/postings.md, "Auxiliary
accounts" and "Manual entries").

The codes are the automatic postings' own: `COOP` the cooperative (a shop's supplier),
`F000045` supplier 45 of the catalogue, `C000123` shop 123 (a customer of the
cooperative). A manual line names either an auxiliary account the ledger already has
under the same account, or one of these third parties that really exists (the supplier
or the shop is read from the database); a made-up code is refused, so that every
401/411 line of the FEC carries a `CompAuxNum` somebody can be asked about.
"""

import re
from dataclasses import dataclass

COOP_AUX = ("COOP", "Coopérative MACHE")
SUPPLIER_PREFIX = "401"
CUSTOMER_PREFIX = "411"
CODE_RE = re.compile(r"^(?P<kind>[CF])(?P<id>[0-9]{6,9})$")


def shop_aux(shop_id: int, name: str) -> tuple[str, str]:
    return (f"C{shop_id:06d}", name)


def supplier_aux(supplier_id: int, name: str) -> tuple[str, str]:
    return (f"F{supplier_id:06d}", name)


def needs_aux(account: str) -> bool:
    """A collective account: every line on it names its third party."""
    return account.startswith((SUPPLIER_PREFIX, CUSTOMER_PREFIX))


@dataclass(frozen=True)
class ThirdParty:
    """What an aux code names, before the database says whether it exists."""

    kind: str  # "coop", "supplier", "shop"
    id: int | None = None


def third_party_of(code: str) -> ThirdParty | None:
    """The third party an aux code names by the postings' convention, or None."""
    if code == COOP_AUX[0]:
        return ThirdParty("coop")
    match = CODE_RE.match(code)
    # Only the code as the postings spell it: "F0000045" would open a second account
    # for supplier 45 beside "F000045".
    if not match or code != f"{match['kind']}{int(match['id']):06d}":
        return None
    return ThirdParty("supplier" if match["kind"] == "F" else "shop", int(match["id"]))


def fits(party: ThirdParty, *, account: str, shop_ledger: bool) -> bool:
    """Whether such a third party may stand under `account` in this kind of ledger: the
    cooperative and suppliers under 401 (the cooperative in a shop's books only), the
    shops under 411 in the cooperative's books."""
    if party.kind == "coop":
        return shop_ledger and account.startswith(SUPPLIER_PREFIX)
    if party.kind == "supplier":
        return account.startswith(SUPPLIER_PREFIX)
    return not shop_ledger and account.startswith(CUSTOMER_PREFIX)


def expected(account: str, *, shop_ledger: bool) -> str:
    """The codes a 401/411 line of this ledger accepts, said in French."""
    if account.startswith(SUPPLIER_PREFIX):
        return (
            "la coopérative (COOP) ou un fournisseur (F000045)"
            if shop_ledger
            else "un fournisseur (F000045)"
        )
    if shop_ledger:
        return "un compte auxiliaire client déjà ouvert dans ce livre"
    return "un commerce (C000123)"
