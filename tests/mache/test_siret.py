import pytest

from mache.siret import siren_of, siret_ok
from tests.factories import make_siret


@pytest.mark.parametrize("good", ["88364454300000", "90123456700005", "73282932000074"])
def test_real_looking_sirets_pass(good):
    assert siret_ok(good)


@pytest.mark.parametrize(
    "bad", ["88364454300001", "8836445430000", "883644543000000", "8836445430000A", "", None]
)
def test_wrong_length_letters_or_key_fail(bad):
    assert not siret_ok(bad)


def test_generated_sirets_pass_and_give_their_siren():
    siret = make_siret()
    assert siret_ok(siret)
    assert siren_of(siret) == siret[:9]
