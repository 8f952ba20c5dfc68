"""fec_check against article A47 A-1, second wave (docs/fec.md, "Tolerated and refused").

Each test starts from a lawful file written by the export (`fec_export`) and changes one
thing: a tolerance (signed amounts, the Montant/Sens variant, extra fields after the
18th, header names in another case, a split file, a trailing separator) gives a warning
and the file is accepted (the command exits 0); a breach (two PieceDates in one entry,
a date outside the fiscal year) refuses it (exit 1).
"""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from accounting.fec import FIELDS, fec_export, fec_inspect, year_start
from accounting.services import LineIn, entry_post
from tests.factories import ShopFactory

D = Decimal
PIECE_DATE, ECRITURE_DATE, DEBIT, CREDIT = 9, 3, 11, 12


def post(ledger, journal, day, piece, *lines):
    entry_post(
        ledger=ledger,
        journal=journal,
        date=day,
        label=piece,
        piece_ref=piece,
        lines=list(lines),
    )


@pytest.fixture
def exported(db) -> tuple[str, list[str], list[list[str]]]:
    """(file name, header, rows) of a lawful FEC of 2026 written by the export: the
    opening entry (from 2025), a sale of three lines, a purchase."""
    ledger = ShopFactory().ledger
    post(
        ledger,
        "BQ",
        dt.date(2025, 6, 1),
        "Apport",
        LineIn("512000", debit=D("1000.00")),
        LineIn("101300", credit=D("1000.00")),
    )
    post(
        ledger,
        "VTE",
        dt.date(2026, 1, 5),
        "Z-20260105",
        LineIn("530000", debit=D("120.00")),
        LineIn("707000", credit=D("100.00")),
        LineIn("445710", credit=D("20.00")),
    )
    post(
        ledger,
        "ACH",
        dt.date(2026, 1, 7),
        "F-1",
        LineIn("607000", debit=D("50.00")),
        LineIn("401000", credit=D("50.00"), auxiliary=("COOP", "Coopérative MACHE")),
    )
    name, content = fec_export(ledger=ledger, year=2026)
    report = fec_inspect(content, name)
    assert (report.violations, report.warnings, report.lines) == ([], [], 7)
    header, *rows = (line.split("\t") for line in content.decode().split("\r\n")[:-1])
    assert [row[2] for row in rows] == ["AN-2026-000001"] * 2 + ["VTE-2026-000001"] * 3 + [
        "ACH-2026-000001"
    ] * 2
    return name, header, rows


def text(header, rows, separator="\t", end="") -> str:
    return "".join(separator.join(values) + end + "\r\n" for values in [header, *rows])


def accepted_with(name, content, *warnings):
    report = fec_inspect(content, name)
    assert report.violations == []
    assert report.warnings == list(warnings)


# --- Tolerated: a warning, the file accepted ---------------------------------------------


def test_a_signed_amount_is_tolerated(exported):
    name, header, rows = exported
    rows[3][DEBIT], rows[3][CREDIT] = "-100,00", "0,00"  # the sale's 707000 credit
    accepted_with(
        name,
        text(header, rows),
        (5, "montant signé « -100,00 » (Debit) : toléré, compté en négatif dans sa colonne"),
    )


def test_the_montant_and_sens_variant_is_tolerated(exported):
    name, header, rows = exported
    header[DEBIT], header[CREDIT] = "Montant", "Sens"
    for row in rows:
        debit = row[DEBIT] != "0,00"
        row[DEBIT], row[CREDIT] = (row[DEBIT] if debit else row[CREDIT]), ("D" if debit else "C")
    accepted_with(
        name,
        text(header, rows),
        (
            1,
            "en-tête : Montant et Sens au lieu de Debit et Credit : variante tolérée "
            "(montant et sens)",
        ),
    )
    sense, rows[0][CREDIT] = rows[0][CREDIT], "X"
    assert fec_inspect(text(header, rows), name).violations == [
        (2, "Sens « X » : D ou C (ou +1 ou -1) attendu")
    ]
    rows[0][CREDIT] = {"D": "+1", "C": "-1"}[sense]
    rows[3][CREDIT] = "D"  # the variant still balances its entries
    assert (
        "écriture VTE-2026-000001 déséquilibrée"
        in fec_inspect(text(header, rows), name).violations[0][1]
    )


def test_extra_fields_after_the_18th_are_tolerated(exported):
    name, header, rows = exported
    for values in (header, *rows):
        values.append("Analytique" if values is header else "A1")
    accepted_with(
        name,
        text(header, rows),
        (1, "en-tête : 1 champ après le 18e (« Analytique ») : toléré, non contrôlés"),
    )


def test_header_names_in_another_case_are_tolerated(exported):
    name, header, rows = exported
    header[0] = "journalcode"
    accepted_with(
        name,
        text(header, rows),
        (1, "en-tête : champ 1 « journalcode » au lieu de « JournalCode » : casse tolérée"),
    )


def test_a_file_split_in_parts_is_tolerated(exported):
    name, header, rows = exported
    first, second = name.replace(".txt", "_1.txt"), name.replace(".txt", "_2.txt")
    accepted_with(
        first,
        text(header, rows[:5]),
        (
            0,
            "fichier scindé, partie 1 : toléré ; les règles entre les lignes se lisent "
            "partie par partie",
        ),
    )
    # The second part goes on with the numbers of the first: ACH-2026-000001 here, but
    # a part 2 may start at any number of its journals.
    rows[5][2] = rows[6][2] = "ACH-2026-000007"
    accepted_with(
        second,
        text(header, rows[5:]),
        (
            0,
            "fichier scindé, partie 2 : toléré ; les règles entre les lignes se lisent "
            "partie par partie",
        ),
    )
    assert fec_inspect(text(header, rows[5:]), name).violations == [
        (2, "écriture ACH-2026-000007 : trou dans la numérotation du journal ACH (n° 1 attendu)")
    ]


def test_a_trailing_separator_is_tolerated(exported):
    name, header, rows = exported
    accepted_with(
        name,
        text(header, rows, end="\t"),
        (1, "séparateur en fin de ligne : toléré, champ vide ignoré (8 lignes)"),
    )
    pipes = text(header, rows, separator="|", end="|")
    assert fec_inspect(pipes, name).violations == []


# --- Refused ------------------------------------------------------------------------------


def test_two_piece_dates_in_one_entry_are_refused(exported):
    name, header, rows = exported
    rows[4][PIECE_DATE] = "20260104"
    assert fec_inspect(text(header, rows), name).violations == [
        (
            6,
            "écriture VTE-2026-000001 : PieceDate « 20260104 » différent de celui de sa "
            "ligne 4 (« 20260105 »)",
        )
    ]


def test_a_date_before_the_fiscal_year_is_refused(exported):
    name, header, rows = exported
    for row in rows[2:5]:
        row[ECRITURE_DATE] = "20251231"  # the whole sale: one date per entry still
    assert fec_inspect(text(header, rows), name).violations == [
        (line, "EcritureDate 20251231 avant l'ouverture de l'exercice (20260101)")
        for line in (4, 5, 6)
    ]


def test_without_an_opening_entry_the_year_runs_twelve_months_unless_told(exported):
    name, header, rows = exported
    rows = rows[2:]  # no AN: a first year
    assert year_start(dt.date(2026, 12, 31)) == dt.date(2026, 1, 1)
    assert year_start(dt.date(2024, 2, 29)) == dt.date(2023, 3, 1)
    rows[0][ECRITURE_DATE] = rows[1][ECRITURE_DATE] = rows[2][ECRITURE_DATE] = "20250905"
    content = text(header, rows)
    assert fec_inspect(content, name).violations == [
        (
            line,
            "EcritureDate 20250905 avant l'ouverture de l'exercice (20260101) ; exercice "
            "d'une autre durée : donnez son début",
        )
        for line in (2, 3, 4)
    ]
    # A long first year, from 1 September 2025: lawful once its start is given.
    assert fec_inspect(content, name, start=dt.date(2025, 9, 1)).violations == []


def test_a_date_after_the_fiscal_year_is_refused(exported):
    name, header, rows = exported
    for row in rows[5:]:
        row[ECRITURE_DATE] = "20270102"
    assert fec_inspect(text(header, rows), name).violations == [
        (line, "EcritureDate 20270102 après la clôture de l'exercice (20261231)") for line in (7, 8)
    ]


# --- The command ----------------------------------------------------------------------


def test_the_command_prints_warnings_and_accepts(exported, tmp_path):
    name, header, rows = exported
    header[0] = "JOURNALCODE"
    path = tmp_path / name.replace(".txt", "_1.txt")
    path.write_text(text(header, rows, end="\t"), encoding="utf-8")
    out = io.StringIO()
    call_command("fec_check", str(path), stdout=out)
    assert out.getvalue().splitlines() == [
        "avertissement, fichier : fichier scindé, partie 1 : toléré ; les règles entre "
        "les lignes se lisent partie par partie",
        "avertissement, ligne 1 : en-tête : champ 1 « JOURNALCODE » au lieu de "
        "« JournalCode » : casse tolérée",
        "avertissement, ligne 1 : séparateur en fin de ligne : toléré, champ vide ignoré "
        "(8 lignes)",
        "FEC conforme : 7 lignes, 3 écritures (3 avertissements)",
    ]


def test_the_command_refuses_and_takes_the_year_s_start(exported, tmp_path):
    name, header, rows = exported
    rows = rows[2:]
    for row in rows[:3]:
        row[ECRITURE_DATE] = "20251001"
    path = tmp_path / name
    path.write_text(text(header, rows), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("fec_check", str(path), stdout=io.StringIO(), stderr=err)
    assert exit_.value.code == 1
    assert "avant l'ouverture de l'exercice (20260101)" in err.getvalue()
    out = io.StringIO()
    call_command("fec_check", str(path), "--start", "20250901", stdout=out)
    assert out.getvalue() == "FEC conforme : 5 lignes, 2 écritures\n"
    assert FIELDS[PIECE_DATE] == "PieceDate"
