"""The one JSON parser of the API: what it hands to serializers is a tree of bounded
depth whose strings are all encodable, or the request is refused (400, DRF's shape).

JSON nested 100,000 deep exhausted the recursion of the decoder (500), and a lone
surrogate ("\\ud800", legal in JSON's escapes, not in UTF-8) crashed whatever echoed it.
"""

import json
import re

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Lone UTF-16 surrogates cannot be encoded in UTF-8 (nor stored by PostgreSQL).
SURROGATE_RE = re.compile("[\ud800-\udfff]")

# Deep enough for any body of the contract (an entry's lines are 3 levels deep).
MAX_DEPTH = 64


def _no_constant(name):
    raise ValueError(f"{name} n'est pas une valeur JSON.")


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise ParseError(f"Le corps de la requête n'est pas du texte {encoding}.") from None
        try:
            data = json.loads(text, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            raise ParseError(f"JSON invalide (ligne {exc.lineno}, colonne {exc.colno}).") from None
        except ValueError as exc:  # NaN, Infinity
            raise ParseError(f"JSON invalide : {exc}") from None
        except RecursionError:
            raise ParseError(f"JSON trop imbriqué ({MAX_DEPTH} niveaux au plus).") from None
        check_tree(data)
        return data


def check_tree(data) -> None:
    """ParseError unless `data` nests at most MAX_DEPTH levels and holds no lone surrogate
    (in keys or values). Iterative: the tree may be as deep as the decoder allowed."""
    stack = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            if SURROGATE_RE.search(node):
                raise ParseError("Le JSON contient un caractère invalide (substitut UTF-16 isolé).")
        elif isinstance(node, dict | list):
            if depth >= MAX_DEPTH:
                raise ParseError(f"JSON trop imbriqué ({MAX_DEPTH} niveaux au plus).")
            children = node.items() if isinstance(node, dict) else ((None, v) for v in node)
            for key, value in children:
                if key is not None:
                    stack.append((key, depth + 1))
                stack.append((value, depth + 1))
