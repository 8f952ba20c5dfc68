"""The FEC validator (accounting.fec.fec_violations) and its command, on hand-made files.

GOOD is a lawful file: the AN entry, one sale, one purchase. Each test breaks one rule
and expects the violation at its line (the header is line 1, GOOD[0] is line 2).
"""

import io

import pytest
from django.core.management import call_command

from accounting.fec import FIELDS, fec_violations, format_violation

NAME = "123456789FEC20261231.txt"


def good_rows() -> list[list[str]]:
    def line(
        journal,
        label,
        num,
        day,
        account,
        account_label,
        debit,
        credit,
        valid,
        aux=("", ""),
        piece=None,
    ):
        return [
            journal,
            label,
            num,
            day,
            account,
            account_label,
            aux[0],
            aux[1],
            piece or f"{journal}-{day}",
            day,
            f"{label} du {day}",
            debit,
            credit,
            "",
            "",
            valid,
            "",
            "",
        ]

    return [
        line(
            "AN",
            "À-nouveaux",
            "AN-2026-000001",
            "20260101",
            "512000",
            "Banque",
            "1000,00",
            "0,00",
            "20260101",
        ),
        line(
            "AN",
            "À-nouveaux",
            "AN-2026-000001",
            "20260101",
            "101300",
            "Capital",
            "0,00",
            "1000,00",
            "20260101",
        ),
        line(
            "VTE",
            "Ventes",
            "VTE-2026-000001",
            "20260105",
            "530000",
            "Caisse",
            "120,00",
            "0,00",
            "20260106",
        ),
        line(
            "VTE",
            "Ventes",
            "VTE-2026-000001",
            "20260105",
            "707000",
            "Ventes",
            "0,00",
            "100,00",
            "20260106",
        ),
        line(
            "VTE",
            "Ventes",
            "VTE-2026-000001",
            "20260105",
            "445710",
            "TVA collectée",
            "0,00",
            "20,00",
            "20260106",
        ),
        line(
            "ACH",
            "Achats",
            "ACH-2026-000001",
            "20260107",
            "607000",
            "Achats",
            "50,00",
            "0,00",
            "20260108",
        ),
        line(
            "ACH",
            "Achats",
            "ACH-2026-000001",
            "20260107",
            "401000",
            "Fournisseurs",
            "0,00",
            "50,00",
            "20260108",
            aux=("COOP", "Coopérative MACHE"),
        ),
    ]


def fec(rows, header=FIELDS, separator="\t", eol="\r\n") -> str:
    return "".join(separator.join(values) + eol for values in [list(header), *rows])


def test_a_lawful_file_has_no_violation():
    assert fec_violations(fec(good_rows()), NAME) == []


def test_pipes_lf_iso_8859_15_and_a_header_alone_are_lawful_too():
    assert fec_violations(fec(good_rows(), separator="|", eol="\n"), NAME) == []
    latin = fec(good_rows()).replace("Coopérative", "Coopérative œuf €").encode("iso8859_15")
    assert fec_violations(latin, NAME) == []
    assert fec_violations(fec([]).encode("utf-8"), NAME) == []


def test_an_unbalanced_entry_is_reported_at_its_first_line():
    rows = good_rows()
    rows[3][12] = "90,00"
    assert fec_violations(fec(rows)) == [
        (4, "écriture VTE-2026-000001 déséquilibrée : débit 120,00 ≠ crédit 110,00")
    ]


def test_a_date_that_does_not_exist():
    rows = good_rows()
    for row in rows[2:5]:
        row[3] = "20261331"
    assert fec_violations(fec(rows)) == [
        (line, "EcritureDate « 20261331 » : date invalide (AAAAMMJJ attendu)") for line in (4, 5, 6)
    ]


def test_a_dot_as_decimal_separator():
    rows = good_rows()
    rows[5][11] = "12.50"
    assert (
        7,
        "montant « 12.50 » : la virgule est le séparateur décimal (Debit)",
    ) in fec_violations(fec(rows))


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        ("1 050,00", "pas de séparateur de milliers"),
        ("1.050,00", "pas de séparateur de milliers"),
        ("50,001", "deux décimales au plus"),
        ("50€", "des chiffres et une virgule décimale attendus"),
    ],
)
def test_amounts_are_digits_and_a_comma(amount, problem):
    rows = good_rows()
    rows[5][11] = amount
    assert fec_violations(fec(rows)) == [(7, f"montant « {amount} » : {problem} (Debit)")]


def test_17_and_19_fields():
    rows = good_rows()
    rows[2] = rows[2][:17]
    rows[4] = [*rows[4], "en trop"]
    violations = fec_violations(fec(rows))
    assert (4, "17 champs au lieu de 18") in violations
    assert (6, "19 champs au lieu de 18") in violations


def test_a_gap_in_the_numbering_of_a_journal():
    rows = good_rows()
    second_sale = [row.copy() for row in rows[2:5]]
    for row in second_sale:
        row[2] = "VTE-2026-000003"
    rows[5:5] = second_sale
    assert fec_violations(fec(rows)) == [
        (7, "écriture VTE-2026-000003 : trou dans la numérotation du journal VTE (n° 2 attendu)")
    ]


def test_numbers_that_go_back_and_entries_cut_in_two():
    rows = good_rows()
    rows[6][2] = rows[5][2] = "ACH-2026-000002"
    rows.append(rows[3].copy())  # a line of VTE-2026-000001 after ACH-2026-000002
    rows[2][12] = rows[4][12] = "0,00"
    rows[4][11] = "20,00"  # VTE-2026-000001 stays balanced over its two parts
    rows[-1][11], rows[-1][12] = "0,00", "100,00"
    rows[3][11], rows[3][12] = "0,00", "0,00"
    violations = fec_violations(fec(rows))
    assert (
        7,
        "écriture ACH-2026-000002 : trou dans la numérotation du journal ACH (n° 1 attendu)",
    ) in violations
    assert (
        9,
        "écriture VTE-2026-000001 reprise après d'autres (ligne 4) : ses lignes se "
        "suivent et son numéro est unique",
    ) in violations


def test_a_debit_and_a_credit_on_one_line_and_a_line_of_zeros():
    rows = good_rows()
    rows[2][12] = "10,00"
    rows[3][12] = "0,00"
    violations = fec_violations(fec(rows))
    assert (4, "un débit et un crédit sur la même ligne") in violations
    assert (5, "débit et crédit nuls") in violations


def test_a_wrong_header():
    header = [*FIELDS]
    header[16] = "MontantEnDevise"  # another case alone is tolerated (test_fec_check_a47)
    assert fec_violations(fec(good_rows(), header=header)) == [
        (1, "en-tête : champ 17 « MontantEnDevise » au lieu de « Montantdevise »")
    ]
    assert fec_violations(fec(good_rows(), header=FIELDS[:-1]))[0] == (
        1,
        "en-tête : 17 champs au lieu de 18",
    )
    assert fec_violations("Journal;Libellé\r\n") == [
        (1, "en-tête : ni tabulation ni « | » : le séparateur est l'un ou l'autre")
    ]


def test_mixed_separators():
    text = fec(good_rows()).splitlines(keepends=True)
    text[3] = text[3].replace("\t", "|")
    violations = fec_violations("".join(text))
    assert violations[:2] == [
        (4, "séparateurs mêlés : « | » dans un fichier séparé par la tabulation"),
        (4, "1 champ au lieu de 18"),
    ]


def test_a_class_6_account_in_the_opening_entry():
    rows = good_rows()
    rows[1][4], rows[1][5] = "658000", "Charges diverses"
    assert fec_violations(fec(rows)) == [
        (
            3,
            "compte 658000 de classe 6 dans les à-nouveaux : les charges et les produits "
            "ne se reportent pas",
        )
    ]


def test_opening_entries_come_first():
    rows = good_rows()
    rows = rows[2:5] + rows[:2] + rows[5:]
    assert fec_violations(fec(rows)) == [
        (
            5,
            "écriture AN-2026-000001 : les à-nouveaux (journal AN) ouvrent le fichier, avant "
            "toute autre écriture",
        ),
        (
            5,
            "ValidDate 20260101 antérieure à celle de la ligne 4 (20260106) : les écritures "
            "suivent l'ordre de leur validation",
        ),
        (
            6,
            "ValidDate 20260101 antérieure à celle de la ligne 4 (20260106) : les écritures "
            "suivent l'ordre de leur validation",
        ),
    ]


def test_valid_date_going_backwards():
    rows = good_rows()
    for row in rows[5:]:
        row[15] = "20260104"
    assert fec_violations(fec(rows)) == [
        (
            line,
            "ValidDate 20260104 antérieure à celle de la ligne 6 (20260106) : les "
            "écritures suivent l'ordre de leur validation",
        )
        for line in (7, 8)
    ]


def test_one_journal_one_date_one_piece_and_two_lines_per_entry():
    rows = good_rows()
    rows[3][0] = "CAI"
    rows[4][3] = "20260104"
    rows[4][8] = "Z-autre"
    del rows[6]
    violations = fec_violations(fec(rows))
    assert (
        5,
        "écriture VTE-2026-000001 : JournalCode « CAI » différent de celui de sa ligne 4 (« VTE »)",
    ) in violations
    assert (
        6,
        "écriture VTE-2026-000001 : EcritureDate « 20260104 » différent de celui de "
        "sa ligne 4 (« 20260105 »)",
    ) in violations
    assert (
        6,
        "écriture VTE-2026-000001 : PieceRef « Z-autre » différent de celui de sa "
        "ligne 4 (« VTE-20260105 »)",
    ) in violations
    assert (7, "écriture ACH-2026-000001 : une seule ligne (deux au moins)") in violations


def test_fields_of_a_line():
    rows = good_rows()
    rows[2][4] = "9120"
    rows[3][7] = ""
    rows[3][6] = "CLI01"
    rows[4][10] = ""
    rows[5][14] = "20260230"
    rows[6][10] = "Facture\rF-12"
    assert fec_violations(fec(rows)) == [
        (
            4,
            "compte « 9120 » : un numéro de compte commence par trois chiffres du PCG "
            "(classes 1 à 8)",
        ),
        (5, "CompAuxNum et CompAuxLib : remplis tous deux ou vides tous deux"),
        (6, "champ EcritureLib vide"),
        (7, "DateLet « 20260230 » : date invalide (AAAAMMJJ attendu)"),
        (8, "retour chariot (CR) dans un champ"),
    ]


def test_the_file_name_and_the_closing_date():
    assert fec_violations(fec(good_rows()), "exports/FEC2026.txt") == [
        (0, "nom « FEC2026.txt » : <SIREN>FEC<AAAAMMJJ>.txt attendu")
    ]
    assert fec_violations(fec(good_rows()), "123456789FEC20261332.txt") == [
        (0, "nom « 123456789FEC20261332.txt » : date de clôture « 20261332 » invalide")
    ]
    assert fec_violations(fec(good_rows()), "123456789FEC20251231.txt")[0] == (
        2,
        "EcritureDate 20260101 après la clôture de l'exercice (20251231)",
    )


def test_encoding_line_ends_and_empty_files():
    windows = fec(good_rows()).replace("Ventes du", "Ventes “du”").encode("cp1252")
    assert fec_violations(windows) == [
        (
            line,
            "caractère de contrôle (0x80 à 0x9F) : le fichier n'est ni en UTF-8 ni en ISO 8859-15",
        )
        for line in (4, 5, 6)
    ]
    assert fec_violations(fec(good_rows()).removesuffix("\r\n")) == [
        (8, "dernière ligne sans fin de ligne (CR LF ou LF)")
    ]
    assert fec_violations(b"") == [(1, "fichier vide : l'en-tête manque")]
    assert fec_violations(fec(good_rows()) + "\r\n") == [(9, "ligne vide")]


def test_violations_read_in_french_with_their_line():
    assert format_violation(7, "débit et crédit nuls") == "ligne 7 : débit et crédit nuls"
    assert format_violation(0, "nom « x » : …") == "fichier : nom « x » : …"


# --- The command ----------------------------------------------------------------------


def test_the_command_passes_a_lawful_file(tmp_path):
    path = tmp_path / NAME
    path.write_bytes(fec(good_rows()).encode("utf-8"))
    out = io.StringIO()
    call_command("fec_check", str(path), stdout=out)
    assert out.getvalue() == "FEC conforme : 7 lignes, 3 écritures\n"


def test_the_command_lists_every_violation_by_line_and_exits_1(tmp_path):
    rows = good_rows()
    rows[5][11] = "12.50"
    rows[3][12] = "90,00"
    path = tmp_path / "fec.txt"
    path.write_bytes(fec(rows).encode("utf-8"))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("fec_check", str(path), stdout=out, stderr=err)
    assert exit_.value.code == 1
    assert out.getvalue() == ""
    assert err.getvalue().splitlines() == [
        "fichier : nom « fec.txt » : <SIREN>FEC<AAAAMMJJ>.txt attendu",
        "ligne 4 : écriture VTE-2026-000001 déséquilibrée : débit 120,00 ≠ crédit 110,00",
        "ligne 7 : montant « 12.50 » : la virgule est le séparateur décimal (Debit)",
        "FEC non conforme : 3 anomalies.",
    ]


def test_the_command_checks_another_name_or_none(tmp_path):
    path = tmp_path / "export.txt"
    path.write_bytes(fec(good_rows()).encode("utf-8"))
    call_command("fec_check", str(path), "--name", NAME, stdout=io.StringIO())
    call_command("fec_check", str(path), "--no-name", stdout=io.StringIO())
    with pytest.raises(SystemExit):
        call_command(
            "fec_check",
            str(path),
            "--name",
            "123456789FEC2026.txt",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
