"""SIRET, SIREN and VAT numbers through python-stdnum (mache/identifiers.py)."""

import pytest
from django.core.exceptions import ValidationError
from stdnum import luhn

from mache.identifiers import siren_of, siret_ok, vat_number_error, vat_number_for
from mache.validators import validate_siret
from tests.factories import make_siret

# A La Poste establishment: SIREN 356 000 000, its SIRETs' digits add up to a multiple of
# 5 instead of passing Luhn (stdnum.fr.siret knows the exception).
LA_POSTE = "35600000010000"


@pytest.mark.parametrize("good", ["88364454400008", "90123456700005", "73282932000074"])
def test_real_looking_sirets_pass(good):
    assert siret_ok(good)
    validate_siret(good)


@pytest.mark.parametrize(
    "bad", ["88364454400009", "8836445440000", "883644544000080", "8836445440000A", "", None]
)
def test_wrong_length_letters_or_key_fail(bad):
    assert not siret_ok(bad)


def test_a_luhn_key_on_a_siren_that_has_none_is_refused():
    # 88364454300000 passes Luhn as 14 digits, but its SIREN 883644543 does not.
    assert luhn.is_valid("88364454300000")
    assert not siret_ok("88364454300000")
    with pytest.raises(ValidationError) as error:
        validate_siret("88364454300000")
    assert error.value.code == "luhn"


def test_a_la_poste_siret_is_accepted_though_luhn_refuses_it():
    assert not luhn.is_valid(LA_POSTE)
    assert siret_ok(LA_POSTE)
    validate_siret(LA_POSTE)
    assert vat_number_for(LA_POSTE) == "FR39356000000"


def test_a_wrong_la_poste_siret_is_refused():
    wrong = LA_POSTE[:-1] + "1"  # its digits no longer add up to a multiple of 5
    assert not siret_ok(wrong)
    with pytest.raises(ValidationError):
        validate_siret(wrong)


def test_generated_sirets_pass_and_give_their_siren():
    siret = make_siret()
    assert siret_ok(siret)
    assert siren_of(siret) == siret[:9]


def test_the_vat_number_is_derived_from_the_siren():
    # The key is (SIREN * 100 + 12) mod 97, as python-stdnum computes it.
    assert vat_number_for("73282932000074") == "FR44732829320"
    assert vat_number_for("") == ""
    assert vat_number_for("12345678901234") == ""  # no valid SIREN: nothing derived


def test_a_vat_number_must_be_french_valid_and_the_companys_own():
    siret = "73282932000074"
    assert vat_number_error("FR44732829320", siret) is None
    assert vat_number_error("FR 44 732 829 320", siret) is None
    assert vat_number_error("", siret) is None
    assert "ne correspond pas" in vat_number_error(vat_number_for("90123456700005"), siret)
    assert "pas valide" in vat_number_error("FR45732829320", siret)  # wrong key
    assert "pas valide" in vat_number_error("DE136695976", siret)  # valid, not French
