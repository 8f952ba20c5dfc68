"""What every CSV import shares: reading an upload, cell parsers, error shapes.

Imports are all-or-none and list their errors by line number under `file`; the parsers
here return None (or an error text) instead of raising, so that an import can collect
every bad line before answering.
"""

import datetime as dt
import re
from decimal import Decimal

from .errors import InvalidInput

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
        raise file_error("Le fichier doit être encodé en UTF-8 (dans le tableur : "
                         "« CSV UTF-8 »).") from exc
    if not text.strip():
        raise file_error("Le fichier est vide.")
    if "\x00" in text:
        # A spreadsheet's binary format (.xlsx, .ods) saved under a .csv name.
        raise file_error("Le fichier n'est pas un CSV (enregistrez-le au format CSV UTF-8).")
    return text


def parse_decimal(text: str, *, places: int, int_digits: int) -> Decimal | None:
    """"1,2000" or "1.2000" as a Decimal; None if malformed or too precise."""
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
    """"2026-03-14" or "14/03/2026" as a date, or the error (without the line)."""
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


def read_header(reader, *, columns: list[str], optional=frozenset(), aliases=None,
                extra_allowed: bool = False, expected: str = "") -> list[str]:
    """The header line's names (lowercased, aliases resolved), or a 400 on `file` that
    names the missing, unknown and repeated columns and shows the expected header.

    `optional` columns may be left out; with `extra_allowed`, other columns are ignored
    (tills export more than an import needs) instead of refused.
    """
    aliases = aliases or {}
    try:
        names = [aliases.get(cell.strip().lower(), cell.strip().lower())
                 for cell in next(reader)]
    except StopIteration as exc:
        raise file_error("Le fichier est vide.") from exc
    missing = [n for n in columns if n not in names and n not in optional]
    unknown = [] if extra_allowed else sorted({n for n in names if n not in columns})
    repeated = sorted({n for n in names if n and names.count(n) > 1
                       and (n in columns or not extra_allowed)})
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
