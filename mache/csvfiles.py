"""What every CSV import shares: reading an upload, cell parsers, error shapes.

Imports are all-or-none and list their errors by line number under `file`; the parsers
here return None (or an error text) instead of raising, so that an import can collect
every bad line before answering. `CsvRecords` is the loop every import shares: the
header, then each record with its line number, the malformed ones set aside as errors.
"""

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from decimal import Decimal

from .errors import InvalidInput
from .formats import plural

MAX_FILE_BYTES = 2 * 1024 * 1024
DECIMAL_RE = re.compile(r"^(\d+)(?:[.,](\d+))?$")
INTEGER_RE = re.compile(r"^\d+$")
ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
FRENCH_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def quoted(text: str) -> str:
    return f"« {text} »" if text else "(vide)"


def file_error(message: str) -> InvalidInput:
    return InvalidInput({"file": [message]})


def read_text(file) -> str:
    """The file's text (UTF-8, with or without BOM), at most MAX_FILE_BYTES of it."""
    too_big = f"Le fichier dépasse {MAX_FILE_BYTES // (1024 * 1024)} Mo."
    if (getattr(file, "size", None) or 0) > MAX_FILE_BYTES:
        raise file_error(too_big)
    raw = file.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise file_error(too_big)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise file_error(
            "Le fichier doit être encodé en UTF-8 (dans le tableur : « CSV UTF-8 »)."
        ) from exc
    if not text.strip():
        raise file_error("Le fichier est vide.")
    if "\x00" in text:
        # A spreadsheet's binary format (.xlsx, .ods) saved under a .csv name.
        raise file_error("Le fichier n'est pas un CSV (enregistrez-le au format CSV UTF-8).")
    return text


def parse_decimal(text: str, *, places: int, int_digits: int) -> Decimal | None:
    """ "1,2000" or "1.2000" as a Decimal; None if malformed or too precise."""
    match = DECIMAL_RE.match(text)
    if match is None:
        return None
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > places or len(whole.lstrip("0")) > int_digits:
        return None
    return Decimal(f"{whole}.{fraction or '0'}")


def parse_whole(text: str, *, low: int, high: int) -> int | None:
    """A whole number between `low` and `high`; None otherwise."""
    if not INTEGER_RE.match(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def parse_day(text: str) -> tuple[dt.date | None, str | None]:
    """ "2026-03-14" or "14/03/2026" as a date, or the error (without the line)."""
    if match := ISO_DATE_RE.match(text):
        year, month, day = match.groups()
    elif match := FRENCH_DATE_RE.match(text):
        day, month, year = match.groups()
    else:
        return None, f"date {quoted(text)} invalide (attendu AAAA-MM-JJ ou JJ/MM/AAAA)."
    try:
        return dt.date(int(year), int(month), int(day)), None
    except ValueError:  # the right shape, but no such day: 31/02/2026
        return None, f"date {quoted(text)} invalide."


def read_header(
    reader,
    *,
    columns: list[str],
    optional=frozenset(),
    aliases=None,
    extra_allowed: bool = False,
    expected: str = "",
) -> list[str]:
    """The header line's names (lowercased, aliases resolved), or a 400 on `file` that
    names the missing, unknown and repeated columns and shows the expected header.

    `optional` columns may be left out; with `extra_allowed`, other columns are ignored
    (tills export more than an import needs) instead of refused.
    """
    aliases = aliases or {}
    try:
        names = [aliases.get(cell.strip().lower(), cell.strip().lower()) for cell in next(reader)]
    except StopIteration as exc:
        raise file_error("Le fichier est vide.") from exc
    missing = [n for n in columns if n not in names and n not in optional]
    unknown = [] if extra_allowed else sorted({n for n in names if n not in columns})
    repeated = sorted(
        {n for n in names if n and names.count(n) > 1 and (n in columns or not extra_allowed)}
    )
    errors = []
    if missing:
        errors.append(f"Ligne 1 : colonnes manquantes : {', '.join(missing)}.")
    if unknown:
        errors.append(f"Ligne 1 : colonnes inconnues : {', '.join(unknown)}.")
    if repeated:
        errors.append(f"Ligne 1 : colonnes en double : {', '.join(repeated)}.")
    if errors:
        errors.append(f"L'en-tête attendu est : {expected or ';'.join(columns)}.")
        raise InvalidInput({"file": errors})
    return names


class CsvRecords:
    """The records of a CSV text, for an import that judges the whole file first.

    The delimiter is taken from the header line (`;` if it holds one, else `,`; a column
    name holds neither), the header is checked by `read_header` (same arguments). Iterate
    to get `(line, cells)` for each record: `line` numbers it as a spreadsheet does (the
    header is line 1; a record spanning lines, with a quoted newline, is named by its
    first), `cells` maps each column of the header to its stripped text. Blank records
    are skipped; a record with too few cells (or, unless `extra_allowed`, too many) is
    not given out but added to `errors`, as is an unreadable line (which ends the
    reading). The caller adds its own `(line, message)` to `errors` as it goes, so they
    stay in line order. More than `max_rows` records: a 400 on `file` at once.
    """

    def __init__(
        self,
        text: str,
        *,
        columns: list[str],
        max_rows: int,
        what: str = "lignes",
        optional=frozenset(),
        aliases=None,
        extra_allowed: bool = False,
        expected: str = "",
    ):
        first_line = text.split("\n", 1)[0]
        self.delimiter = ";" if ";" in first_line else ","
        self._reader = csv.reader(
            io.StringIO(text, newline=""), delimiter=self.delimiter, strict=True
        )
        self.names = read_header(
            self._reader,
            columns=columns,
            optional=optional,
            aliases=aliases,
            extra_allowed=extra_allowed,
            expected=expected,
        )
        self.positions = {name: index for index, name in enumerate(self.names) if name in columns}
        self.extra_allowed = extra_allowed
        self.width = max(self.positions.values()) + 1 if extra_allowed else len(self.names)
        self.max_rows, self.what = max_rows, what
        self.errors: list[tuple[int, str]] = []

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        reader = self._reader
        count = 0
        last_line = reader.line_num
        try:
            for record in reader:
                # A record may span lines (a quoted newline): it is named by its first one.
                line, last_line = last_line + 1, reader.line_num
                cells = [cell.strip() for cell in record]
                if not any(cells):
                    continue  # blank lines, or `;;;;` left by a spreadsheet
                count += 1
                if count > self.max_rows:
                    raise file_error(
                        f"Le fichier compte plus de {self.max_rows:,} "
                        f"{self.what} : découpez-le.".replace(",", " ")
                    )
                if error := self._width_error(cells):
                    self.errors.append((line, error))
                    continue
                yield line, {name: cells[index] for name, index in self.positions.items()}
        except csv.Error as exc:
            self.errors.append((reader.line_num, f"ligne illisible ({exc})."))

    def _width_error(self, cells: list[str]) -> str | None:
        width = self.width
        if self.extra_allowed:
            if len(cells) < width:
                return f"{plural(len(cells), 'colonne', 'colonnes')} au lieu d'au moins {width}."
            return None
        if len(cells) < width or any(cells[width:]):
            hint = (
                " (un nombre à virgule doit être entre guillemets quand le séparateur "
                "est la virgule)"
                if self.delimiter == "," and len(cells) > width
                else ""
            )
            return f"{plural(len(cells), 'colonne', 'colonnes')} au lieu de {width}{hint}."
        return None

    def messages(self) -> list[str]:
        """The errors as an import lists them under `file`, by line (a line's own
        messages in the order they were found)."""
        return [
            f"Ligne {line} : {message}"
            for line, message in sorted(self.errors, key=lambda error: error[0])
        ]
