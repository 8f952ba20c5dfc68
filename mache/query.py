"""Values of the query string and the path, checked once before any view sees them.

PostgreSQL refuses a NUL in text: `?journal=%00` or `/api/tasks/%00/` reached the
database and answered 500. No control character has a meaning in a query value or a
path, so the middleware refuses them all (400, on the field for the API). Ids named in a
query value go through `parse_id`: ASCII digits only (`"²".isdigit()` is true, and
`int("٣")` is 3).
"""

import re

from django.http import HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string

from .errors import BadQuery

CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
ID_RE = re.compile(r"[0-9]{1,18}")  # a bigint, written in ASCII digits
CONTROL_MESSAGE = "Caractère de contrôle interdit."


def is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def bad_request_page(request, message: str):
    """The French 400 page (not an API's)."""
    return HttpResponseBadRequest(
        render_to_string("mache/error.html", {"title": "Requête incorrecte", "message": message})
    )


class QueryValueMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        errors = {}
        if CONTROL_RE.search(request.path_info):
            errors["detail"] = f"{CONTROL_MESSAGE[:-1]} dans l'adresse."
        for name, values in request.GET.lists():
            if CONTROL_RE.search(name) or any(CONTROL_RE.search(value) for value in values):
                errors[CONTROL_RE.sub("?", name)] = [CONTROL_MESSAGE]
        if not errors:
            return self.get_response(request)
        if is_api(request):
            return JsonResponse(errors, status=400)
        return bad_request_page(request, "L'adresse contient un caractère de contrôle.")


def as_id(value) -> int | None:
    """An id from a query or path value ("12"), None if it is not one. Ints pass."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and ID_RE.fullmatch(value):
        return int(value)
    return None


def parse_id(value, *, field: str) -> int:
    """`as_id`, or 400 on `field` (API and pages alike)."""
    parsed = as_id(value)
    if parsed is None:
        raise BadQuery({field: ["Identifiant attendu (chiffres 0 à 9)."]})
    return parsed
