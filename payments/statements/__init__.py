"""Bank statements read from their files (docs/bank.md): CAMT.053 (ISO 20022 XML) and
CFONB 120 (the French fixed-width format). `parse` tells one from the other; anything
else is a `StatementFormatError`. Pure functions: the import service does the rest."""

from . import camt053, cfonb120
from .base import NOT_A_STATEMENT, ParsedLine, ParsedStatement, StatementFormatError

__all__ = [
    "NOT_A_STATEMENT",
    "ParsedLine",
    "ParsedStatement",
    "StatementFormatError",
    "parse",
]


def parse(data: bytes) -> ParsedStatement:
    """The statement in `data` (the file's bytes), whichever of the two formats it is."""
    if not data or not data.strip():
        raise StatementFormatError("Le fichier est vide.")
    if camt053.looks_like(data):
        return camt053.parse(data)
    if cfonb120.looks_like(data):
        return cfonb120.parse(data)
    raise StatementFormatError(NOT_A_STATEMENT)
