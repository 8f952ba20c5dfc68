"""SIRET and SIREN: pure checks (14 digits whose Luhn sum is a multiple of 10)."""

import re

SIRET_RE = re.compile(r"^\d{14}$")


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def luhn_key(body: str) -> str:
    """The digit that, appended to `body`, makes a number that passes `luhn_ok`."""
    for key in "0123456789":
        if luhn_ok(body + key):
            return key
    raise AssertionError("unreachable: one key digit always fits")


def siret_ok(value: str) -> bool:
    return bool(SIRET_RE.match(value or "")) and luhn_ok(value)


def siren_of(siret: str) -> str:
    return siret[:9]
