"""The record loop every CSV import shares (mache.csvfiles.CsvRecords)."""

import pytest

from mache.csvfiles import CsvRecords
from mache.errors import InvalidInput


def test_records_come_with_their_line_and_malformed_ones_become_errors():
    text = 'a;b\n1;2\n\n;;\n3\n"4\n4";5\n6;7;8\n'
    records = CsvRecords(text, columns=["a", "b"], max_rows=10)
    assert list(records) == [(2, {"a": "1", "b": "2"}), (6, {"a": "4\n4", "b": "5"})]
    assert records.messages() == [
        "Ligne 5 : 1 colonne au lieu de 2.",
        "Ligne 8 : 3 colonnes au lieu de 2.",
    ]


def test_extra_columns_are_ignored_when_allowed_and_errors_stay_in_line_order():
    records = CsvRecords(
        "x,Quantité,sku\n,2,A\n3\n",
        columns=["sku", "quantity"],
        aliases={"quantité": "quantity"},
        extra_allowed=True,
        max_rows=10,
    )
    for line, cells in records:
        assert cells == {"quantity": "2", "sku": "A"}
        records.errors.append((line, "vu."))
    assert records.messages() == ["Ligne 2 : vu.", "Ligne 3 : 1 colonne au lieu d'au moins 3."]


def test_too_many_records_are_refused_at_once():
    with pytest.raises(InvalidInput) as refused:
        list(CsvRecords("a\n1\n2\n3\n", columns=["a"], max_rows=2, what="jours"))
    assert refused.value.errors == {"file": ["Le fichier compte plus de 2 jours : découpez-le."]}
