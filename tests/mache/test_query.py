import pytest

from mache.errors import BadQuery
from mache.query import as_id, parse_id


@pytest.mark.parametrize("value, expected", [("12", 12), (12, 12), ("0012", 12)])
def test_ids_are_ascii_digits(value, expected):
    assert as_id(value) == expected


@pytest.mark.parametrize(
    "value", ["²", "٣", "１２", " 12", "12 ", "1_2", "-1", "", "1" * 19, None, True, "12\n"]
)
def test_anything_else_is_no_id_and_400_on_the_field(value):
    assert as_id(value) is None
    with pytest.raises(BadQuery) as error:
        parse_id(value, field="shop")
    assert list(error.value.errors) == ["shop"]
