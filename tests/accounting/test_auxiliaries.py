"""The aux codes a manual line may name (accounting.auxiliaries, pure rules; issue 13,
point 3): the postings' own spelling only, each third party under its own account."""

import pytest

from accounting.auxiliaries import ThirdParty, fits, needs_aux, third_party_of


@pytest.mark.parametrize(
    ("code", "party"),
    [
        ("COOP", ThirdParty("coop")),
        ("F000045", ThirdParty("supplier", 45)),
        ("C000123", ThirdParty("shop", 123)),
        ("C1234567", ThirdParty("shop", 1234567)),
        ("F0000045", None),  # another spelling of supplier 45: a second account
        ("F45", None),
        ("coop", None),
        ("DUPONT", None),
        ("X000001", None),
    ],
)
def test_only_the_postings_spelling_names_a_third_party(code, party):
    assert third_party_of(code) == party


def test_collective_accounts_need_an_auxiliary():
    assert needs_aux("401000") and needs_aux("411000") and needs_aux("40110000")
    assert not needs_aux("658000") and not needs_aux("512000") and not needs_aux("404000")


def test_each_third_party_stands_under_its_own_account():
    coop, supplier, shop = ThirdParty("coop"), ThirdParty("supplier", 1), ThirdParty("shop", 2)
    assert fits(coop, account="401000", shop_ledger=True)
    assert not fits(coop, account="401000", shop_ledger=False)  # not its own supplier
    assert not fits(coop, account="411000", shop_ledger=True)
    assert fits(supplier, account="401000", shop_ledger=False)
    assert fits(supplier, account="401000", shop_ledger=True)
    assert not fits(supplier, account="411000", shop_ledger=False)
    assert fits(shop, account="411000", shop_ledger=False)
    assert not fits(shop, account="411000", shop_ledger=True)
    assert not fits(shop, account="401000", shop_ledger=False)
