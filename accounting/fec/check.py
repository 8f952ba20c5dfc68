"""FEC validation: every rule of docs/fec.md, each violation with its line number. Pure.

Article A47 A-1 of the LPF, as docs/fec.md reads it: what it forbids is a violation (the
file is refused); what it tolerates but MACHE never writes (signed amounts, the
Montant/Sens variant, extra fields after the 18th, header names in another case, a file
split in parts, a trailing separator) is a warning: reported once per kind, with its
first line and count, and the file is accepted."""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath

from mache.formats import plural

from .format import (
    COLUMN,
    FIELDS,
    OPENING_JOURNAL,
    RESULT_CLASSES,
    SEPARATOR,
    ZERO,
    fec_amount,
    fec_date,
)

MANDATORY = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "ValidDate",
)
DATE_FIELDS = ("EcritureDate", "PieceDate", "DateLet", "ValidDate")
PAIRS = (("CompAuxNum", "CompAuxLib"), ("Montantdevise", "Idevise"))
FILENAME_RE = re.compile(r"(\d{9})FEC(\d{8})(?:_(\d+))?\.txt")
DATE_RE = re.compile(r"\d{8}")
AMOUNT_RE = re.compile(r"\d+(,\d{1,2})?")
ACCOUNT_RE = re.compile(r"[1-8]\d{2}")
TRAILING_NUMBER_RE = re.compile(r"(\d+)$")
C1_CONTROLS_RE = re.compile(r"[\x80-\x9f]")
SEPARATOR_NAMES = {"\t": "la tabulation", "|": "« | »"}
# The variant of A47 A-1 with one amount and its direction instead of Debit and Credit.
VARIANT_FIELDS = ("Montant", "Sens")
DEBIT_SENSES, CREDIT_SENSES = ("D", "+1", "1", "+"), ("C", "-1", "-")


@dataclass
class FecReport:
    violations: list[tuple[int, str]] = field(default_factory=list)  # line 0: the file
    warnings: list[tuple[int, str]] = field(default_factory=list)  # tolerated: accepted
    lines: int = 0  # entry lines, the header not counted
    entries: int = 0


def format_violation(line: int, message: str) -> str:
    return f"fichier : {message}" if line == 0 else f"ligne {line} : {message}"


def format_warning(line: int, message: str) -> str:
    return f"avertissement, {format_violation(line, message)}"


def parse_fec_date(text: str) -> dt.date | None:
    if not DATE_RE.fullmatch(text):
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def amount_problem(text: str) -> str | None:
    """Why `text` is not a FEC amount ("1234,50"), or None when it is one."""
    if AMOUNT_RE.fullmatch(text):
        return None
    if text.startswith("-"):
        return "un montant n'est jamais négatif (la colonne donne le sens)"
    if ("." in text and "," in text) or text.count(",") > 1 or re.search(r"[\s']", text):
        return "pas de séparateur de milliers"
    if "." in text:
        return "la virgule est le séparateur décimal"
    if re.fullmatch(r"\d+,\d{3,}", text):
        return "deux décimales au plus"
    return "des chiffres et une virgule décimale attendus"


def signed_amount_problem(text: str) -> str | None:
    """`amount_problem` of an amount that may carry a minus sign (tolerated)."""
    return amount_problem(text.removeprefix("-"))


def parse_fec_amount(text: str) -> Decimal:
    """A Decimal from an amount `signed_amount_problem` accepts ("-12,50" included)."""
    return Decimal(text.replace(",", "."))


def split_part(name: str) -> int | None:
    """The part number of a split file ("..._2.txt" -> 2), None for a whole file."""
    match = FILENAME_RE.fullmatch(PurePath(name).name)
    return int(match.group(3)) if match and match.group(3) else None


def filename_problems(name: str) -> tuple[list[str], dt.date | None]:
    """The problems of a FEC file's name, and the closing date it gives. A split file's
    part (`<SIREN>FEC<AAAAMMJJ>_1.txt`) is lawful; `split_part` reads it."""
    base = PurePath(name).name
    match = FILENAME_RE.fullmatch(base)
    if not match:
        return [f"nom « {base} » : <SIREN>FEC<AAAAMMJJ>.txt attendu"], None
    closing = parse_fec_date(match.group(2))
    if closing is None:
        return [f"nom « {base} » : date de clôture « {match.group(2)} » invalide"], None
    return [], closing


def year_start(closing: dt.date) -> dt.date:
    """The first day of a twelve-month fiscal year closing on `closing`."""
    try:
        before = closing.replace(year=closing.year - 1)
    except ValueError:  # 29 February
        before = closing.replace(year=closing.year - 1, day=28)
    return before + dt.timedelta(days=1)


def line_problems(values: list[str]) -> list[str]:
    """The problems of one line's 18 fields taken alone."""
    problems = [f"champ {name} vide" for name in MANDATORY if not values[COLUMN[name]].strip()]
    if any("\r" in value for value in values):
        problems.append("retour chariot (CR) dans un champ")
    for name in DATE_FIELDS:
        value = values[COLUMN[name]]
        if value and parse_fec_date(value) is None:
            problems.append(f"{name} « {value} » : date invalide (AAAAMMJJ attendu)")
    account = values[COLUMN["CompteNum"]]
    if account and not ACCOUNT_RE.match(account):
        problems.append(
            f"compte « {account} » : un numéro de compte commence par trois "
            "chiffres du PCG (classes 1 à 8)"
        )
    amounts = {}
    for name in ("Debit", "Credit"):
        value = values[COLUMN[name]]
        # A minus sign is tolerated (a warning, `_Checker.line`), not a violation.
        problem = signed_amount_problem(value) if value else None
        if problem:
            problems.append(f"montant « {value} » : {problem} ({name})")
        elif value:
            amounts[name] = parse_fec_amount(value)
    if len(amounts) == 2:
        if amounts["Debit"] and amounts["Credit"]:
            problems.append("un débit et un crédit sur la même ligne")
        elif not amounts["Debit"] and not amounts["Credit"]:
            problems.append("débit et crédit nuls")
    currency_amount = values[COLUMN["Montantdevise"]]
    problem = signed_amount_problem(currency_amount) if currency_amount else None
    if problem:
        problems.append(f"montant « {currency_amount} » : {problem} (Montantdevise)")
    for first, second in PAIRS:
        if bool(values[COLUMN[first]]) != bool(values[COLUMN[second]]):
            problems.append(f"{first} et {second} : remplis tous deux ou vides tous deux")
    return problems


def _fields(count: int) -> str:
    return plural(count, "champ", "champs")


@dataclass
class _Entry:
    first_line: int
    journal: str
    date: str
    piece_ref: str
    piece_date: str
    lines: int = 0
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    amounts_ok: bool = True


class _Checker:
    """Walks the lines once, keeping what the rules across lines need."""

    def __init__(
        self, closing: dt.date | None, *, start: dt.date | None = None, part: int | None = None
    ):
        self.report = FecReport()
        self.closing = closing
        # The fiscal year's first day: given, else the opening entry's date, else twelve
        # months before the closing (docs/fec.md, "Dates outside the fiscal year").
        self.start = start
        self.start_guessed = False  # twelve months before the closing: said so
        self.part = part
        self.separator = SEPARATOR
        self.width = len(FIELDS)  # fields a line holds: 18, or more named in the header
        self.variant = False  # Montant and Sens instead of Debit and Credit
        self.entries: dict[str, _Entry] = {}
        self.current = None
        self.last_valid: tuple[int, dt.date] | None = None
        self.last_numbers: dict[str, int] = {}
        self.other_seen = False
        self.first_line_seen = False
        self.warned: dict[str, list] = {}  # kind -> [first line, count, message]

    def add(self, line: int, message: str):
        self.report.violations.append((line, message))

    def warn(self, kind: str, line: int, message: str):
        """A tolerated departure: reported once per kind, at its first line, counted."""
        if kind in self.warned:
            self.warned[kind][1] += 1
        else:
            self.warned[kind] = [line, 1, message]

    def header(self, names_line: str) -> bool:
        """Finds the separator; False when there is none (nothing else can be read)."""
        if "\t" in names_line:
            self.separator = "\t"
            if "|" in names_line:
                self.add(1, "en-tête : séparateurs mêlés (tabulation et « | »)")
        elif "|" in names_line:
            self.separator = "|"
        else:
            self.add(1, "en-tête : ni tabulation ni « | » : le séparateur est l'un ou l'autre")
            return False
        names = names_line.split(self.separator)
        if len(names) > len(FIELDS) and names[-1] == "":
            names.pop()
            self.warn("trailing", 1, "séparateur en fin de ligne : toléré, champ vide ignoré")
        if len(names) < len(FIELDS):
            self.add(1, f"en-tête : {_fields(len(names))} au lieu de {len(FIELDS)}")
            return True
        self.width = len(names)
        if len(names) > len(FIELDS):
            extra = ", ".join(f"« {name} »" for name in names[len(FIELDS) :])
            self.warn(
                "extra",
                1,
                f"en-tête : {_fields(len(names) - len(FIELDS))} après le 18e ({extra}) : "
                "toléré, non contrôlés",
            )
        variant = [name.lower() for name in names[11:13]] == [n.lower() for n in VARIANT_FIELDS]
        if variant:
            self.variant = True
            self.warn(
                "variant",
                1,
                "en-tête : Montant et Sens au lieu de Debit et Credit : variante tolérée "
                "(montant et sens)",
            )
        for position, (name, expected) in enumerate(zip(names, FIELDS, strict=False), 1):
            if variant and position in (12, 13):
                expected = VARIANT_FIELDS[position - 12]
            if name == expected:
                continue
            if name.lower() == expected.lower():
                self.warn(
                    "case",
                    1,
                    f"en-tête : champ {position} « {name} » au lieu de « {expected} » : "
                    "casse tolérée",
                )
            else:
                self.add(1, f"en-tête : champ {position} « {name} » au lieu de « {expected} »")
        return True

    def line(self, number: int, text: str):
        self.report.lines += 1
        if not text:
            self.add(number, "ligne vide")
            return
        other = "|" if self.separator == "\t" else "\t"
        if other in text:
            self.add(
                number,
                f"séparateurs mêlés : {SEPARATOR_NAMES[other]} dans un fichier "
                f"séparé par {SEPARATOR_NAMES[self.separator]}",
            )
        values = text.split(self.separator)
        if len(values) == self.width + 1 and values[-1] == "":
            values.pop()
            self.warn("trailing", number, "séparateur en fin de ligne : toléré, champ vide ignoré")
        if len(values) != self.width:
            self.add(number, f"{_fields(len(values))} au lieu de {self.width}")
            return
        values = values[: len(FIELDS)]
        if self.variant and not self.debit_credit(number, values):
            self.follow(number, values)  # its entry's other rules; its amount unknown
            return
        for name in ("Debit", "Credit"):
            if values[COLUMN[name]].startswith("-"):
                self.warn(
                    "signed",
                    number,
                    f"montant signé « {values[COLUMN[name]]} » ({name}) : toléré, compté "
                    "en négatif dans sa colonne",
                )
        for problem in line_problems(values):
            self.add(number, problem)
        self.follow(number, values)

    def debit_credit(self, number: int, values: list[str]) -> bool:
        """Montant and Sens rewritten in place as Debit and Credit; False if Sens is
        neither a debit nor a credit (reported)."""
        amount, sense = values[COLUMN["Debit"]], values[COLUMN["Credit"]].strip().upper()
        if sense in DEBIT_SENSES:
            values[COLUMN["Credit"]] = "0,00"
        elif sense in CREDIT_SENSES:
            values[COLUMN["Debit"]], values[COLUMN["Credit"]] = "0,00", amount
        else:
            self.add(number, f"Sens « {values[COLUMN['Credit']]} » : D ou C (ou +1 ou -1) attendu")
            values[COLUMN["Credit"]] = "?"  # no balance checked for its entry
            return False
        return True

    def follow(self, number: int, values: list[str]):
        """The rules across lines: entries, numbering, order of validation, AN, dates."""
        num, journal, date, piece_ref, piece_date, account = (
            values[COLUMN[name]]
            for name in (
                "EcritureNum",
                "JournalCode",
                "EcritureDate",
                "PieceRef",
                "PieceDate",
                "CompteNum",
            )
        )
        if not self.first_line_seen:
            self.first_line_seen = True
            if self.start is None:
                opening = parse_fec_date(date) if journal == OPENING_JOURNAL else None
                if opening is None and self.closing:
                    opening, self.start_guessed = year_start(self.closing), True
                self.start = opening
        entry = self.entries.get(num)
        if num != self.current:
            self.current = num
            if entry is not None:
                self.add(
                    number,
                    f"écriture {num} reprise après d'autres (ligne "
                    f"{entry.first_line}) : ses lignes se suivent et son numéro "
                    "est unique",
                )
            else:
                entry = self.entries[num] = _Entry(number, journal, date, piece_ref, piece_date)
                self.entry_start(number, num, journal)
        for name, value, expected in (
            ("JournalCode", journal, entry.journal),
            ("EcritureDate", date, entry.date),
            ("PieceRef", piece_ref, entry.piece_ref),
            ("PieceDate", piece_date, entry.piece_date),
        ):
            if value != expected:
                self.add(
                    number,
                    f"écriture {num} : {name} « {value} » différent de celui de "
                    f"sa ligne {entry.first_line} (« {expected} »)",
                )
        entry.lines += 1
        debit, credit = values[COLUMN["Debit"]], values[COLUMN["Credit"]]
        if signed_amount_problem(debit) is None and signed_amount_problem(credit) is None:
            entry.debit += parse_fec_amount(debit)
            entry.credit += parse_fec_amount(credit)
        else:
            entry.amounts_ok = False
        if journal == OPENING_JOURNAL and account and account[0] in RESULT_CLASSES:
            self.add(
                number,
                f"compte {account} de classe {account[0]} dans les à-nouveaux : "
                "les charges et les produits ne se reportent pas",
            )
        valid = parse_fec_date(values[COLUMN["ValidDate"]])
        if valid is not None:
            if self.last_valid and valid < self.last_valid[1]:
                self.add(
                    number,
                    f"ValidDate {fec_date(valid)} antérieure à celle de la ligne "
                    f"{self.last_valid[0]} ({fec_date(self.last_valid[1])}) : les "
                    "écritures suivent l'ordre de leur validation",
                )
            else:
                self.last_valid = (number, valid)
        day = parse_fec_date(date)
        if self.closing and day and day > self.closing:
            self.add(
                number,
                f"EcritureDate {date} après la clôture de l'exercice ({fec_date(self.closing)})",
            )
        if self.start and day and day < self.start:
            source = (
                " ; exercice d'une autre durée : donnez son début" if self.start_guessed else ""
            )
            self.add(
                number,
                f"EcritureDate {date} avant l'ouverture de l'exercice "
                f"({fec_date(self.start)}){source}",
            )

    def entry_start(self, number: int, num: str, journal: str):
        if journal == OPENING_JOURNAL:
            if self.other_seen:
                self.add(
                    number,
                    f"écriture {num} : les à-nouveaux (journal AN) ouvrent le "
                    "fichier, avant toute autre écriture",
                )
        else:
            self.other_seen = True
        match = TRAILING_NUMBER_RE.search(num)
        if match is None:
            self.add(number, f"EcritureNum « {num} » : un numéro d'ordre le termine")
            return
        order = int(match.group(1))
        if journal not in self.last_numbers and self.part and self.part > 1:
            # A later part of a split file goes on with the numbers of the one before.
            self.last_numbers[journal] = order - 1
        last = self.last_numbers.get(journal, 0)
        if order > last + 1:
            self.add(
                number,
                f"écriture {num} : trou dans la numérotation du journal "
                f"{journal} (n° {last + 1} attendu)",
            )
        elif order <= last:
            self.add(
                number,
                f"écriture {num} : n° {order} après le n° {last} dans le journal "
                f"{journal} : la numérotation croît sans trou",
            )
        self.last_numbers[journal] = max(last, order)

    def finish(self):
        for num, entry in self.entries.items():
            if entry.lines < 2:
                self.add(entry.first_line, f"écriture {num} : une seule ligne (deux au moins)")
            if entry.amounts_ok and entry.debit != entry.credit:
                self.add(
                    entry.first_line,
                    f"écriture {num} déséquilibrée : débit "
                    f"{_amount(entry.debit)} ≠ crédit "
                    f"{_amount(entry.credit)}",
                )
        self.report.entries = len(self.entries)
        self.report.violations.sort(key=lambda violation: violation[0])
        self.report.warnings = sorted(
            (line, message if count == 1 else f"{message} ({plural(count, 'ligne', 'lignes')})")
            for line, count, message in self.warned.values()
        )


def _amount(value: Decimal) -> str:
    return fec_amount(value) if value >= 0 else "-" + fec_amount(-value)


def _decode(data: str | bytes) -> tuple[str, bool]:
    """The text, and whether it was read as ISO 8859-15 (not being UTF-8)."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff"), False
    try:
        return data.decode("utf-8").removeprefix("\ufeff"), False
    except UnicodeDecodeError:
        # ISO 8859-15 maps every byte: what betrays another encoding (Windows-1252 most
        # often) is a C1 control character, looked for line by line below.
        return data.decode("iso8859_15"), True


def fec_inspect(
    data: str | bytes, filename: str | None = None, *, start: dt.date | None = None
) -> FecReport:
    """Check a FEC file (its content, and its name when given) against every rule of
    docs/fec.md; see `fec_violations`. Also counts its lines and entries, and lists
    the tolerated departures as warnings. `start`: the fiscal year's first day, when
    the year does not run twelve months and the file has no opening entry."""
    closing = None
    problems = []
    part = None
    if filename is not None:
        problems, closing = filename_problems(filename)
        part = split_part(filename)
    checker = _Checker(closing, start=start, part=part)
    if part is not None:
        checker.warn(
            "split",
            0,
            f"fichier scindé, partie {part} : toléré ; les règles entre les lignes se "
            "lisent partie par partie",
        )
    for problem in problems:
        checker.add(0, problem)
    text, latin = _decode(data)
    lines = text.split("\n")
    if lines[-1]:
        checker.add(len(lines), "dernière ligne sans fin de ligne (CR LF ou LF)")
    else:
        lines.pop()
    lines = [line.removesuffix("\r") for line in lines]
    if latin:
        for number, line in enumerate(lines, 1):
            if C1_CONTROLS_RE.search(line):
                checker.add(
                    number,
                    "caractère de contrôle (0x80 à 0x9F) : le fichier n'est "
                    "ni en UTF-8 ni en ISO 8859-15",
                )
    if not lines:
        checker.add(1, "fichier vide : l'en-tête manque")
    elif checker.header(lines[0]):
        for number, line in enumerate(lines[1:], 2):
            checker.line(number, line)
    checker.finish()
    return checker.report


def fec_violations(
    data: str | bytes, filename: str | None = None, *, start: dt.date | None = None
) -> list[tuple[int, str]]:
    """Every breach of the FEC rules, as (line number, message) sorted by line; line 0
    stands for the file itself (its name). Bytes are read as UTF-8, else ISO 8859-15.
    The tolerated departures are not breaches (`fec_inspect` lists them)."""
    return fec_inspect(data, filename, start=start).violations
