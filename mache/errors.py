"""Typed domain errors and the one DRF exception handler that maps them to the contract.

Services raise `BusinessRuleError` subclasses (409 with a code) or `InvalidInput`
(400 with DRF's field shape); views never build error responses themselves.
"""

from django.core.exceptions import BadRequest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .parsers import SURROGATE_RE


class DomainError(Exception):
    """Base of every error a service raises on purpose."""


class BusinessRuleError(DomainError):
    """A business rule refused the request: 409 {"detail", "code"}."""

    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    default_detail = "Opération refusée."

    def __init__(self, detail: str | None = None, *, code: str | None = None, **extra):
        self.detail = detail or self.default_detail
        if code:
            self.code = code
        self.extra = extra
        super().__init__(self.detail)


class NotAllowed(DomainError):
    """The caller may see the object but not do this: 403."""

    def __init__(self, detail: str = "Votre rôle ne permet pas cette action."):
        self.detail = detail
        super().__init__(detail)


class InvalidInput(DomainError):
    """Input that only a service can judge (it needs the database): 400 naming the field."""

    def __init__(self, errors: dict[str, list[str] | str]):
        self.errors = {
            field: messages if isinstance(messages, list | dict) else [messages]
            for field, messages in errors.items()
        }
        super().__init__(str(self.errors))


class BadQuery(InvalidInput, BadRequest):
    """A malformed value in the query string or the path (an id in other digits than
    0-9...): 400 naming the parameter, on the API (DRF shape) as on the pages (Django
    answers BadRequest with the 400 page)."""


class Throttled(exceptions.Throttled):
    default_detail = "Trop de tentatives. Réessayez plus tard."
    extra_detail_singular = "Réessayez dans {wait} seconde."
    extra_detail_plural = "Réessayez dans {wait} secondes."


def printable(data):
    """`data` with every lone surrogate in its strings replaced by U+FFFD (the rest,
    error codes included, unchanged)."""
    if isinstance(data, exceptions.ErrorDetail):
        if SURROGATE_RE.search(data):
            return exceptions.ErrorDetail(SURROGATE_RE.sub("\ufffd", data), code=data.code)
        return data
    if isinstance(data, str):
        return SURROGATE_RE.sub("\ufffd", data)
    if isinstance(data, dict):
        return {printable(key): printable(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [printable(value) for value in data]
    return data


def exception_handler(exc, context):
    response = _response_for(exc, context)
    if response is not None:
        response.data = printable(response.data)
    return response


def _response_for(exc, context):
    if isinstance(exc, BusinessRuleError):
        return Response(
            {"detail": exc.detail, "code": exc.code, **exc.extra}, status=exc.status_code
        )
    if isinstance(exc, InvalidInput):
        return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, NotAllowed):
        exc = exceptions.PermissionDenied(exc.detail)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound("Introuvable.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)


# Django's own answers, for what no view answered (an id that does not match the route,
# a request Django refused): JSON in DRF's shape under /api/, the French pages elsewhere.


def not_found(request, exception):
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "Introuvable."}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request, exception):
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "Requête invalide."}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "Votre rôle ne permet pas cette action."}, status=403)
    return defaults.permission_denied(request, exception)


def server_error(request):
    """500: the French page (templates/500.html, drawn without context) or, under /api/,
    JSON in DRF's shape; the error itself is logged by Django."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "Erreur du serveur."}, status=500)
    return defaults.server_error(request)
