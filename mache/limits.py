"""Bounds on what one request may carry, so that no request holds a thread for minutes
or fills Redis: the body's size (413), and for serializers the length of strings and
the number of items in a list (400 on the field).

The body is bounded twice: by its Content-Length before anything reads it, and while it
is read (a chunked body, or one longer than announced, stops at the bound). Django's own
DATA_UPLOAD_MAX_MEMORY_SIZE answers 400 and only once the body is read.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from rest_framework import exceptions
from rest_framework.parsers import MultiPartParser

# Items of any list in a body (order lines, count lines, entry lines, shops...).
MAX_LIST_ITEMS = 5000
# A free text without a bound of its own (a label, a note).
MAX_TEXT_CHARS = 1000
# Passwords: long enough for any passphrase, short of making the hasher a denial of
# service.
MAX_PASSWORD_CHARS = 1024


class BodyTooLarge(exceptions.APIException, RequestDataTooBig):
    """Raised while the body is read: DRF answers it (413, its shape); Django sees a
    SuspiciousOperation (400), which the middleware turns into the 413 page."""

    status_code = 413
    default_code = "request_too_large"


def _megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):g}".replace(".", ",")  # French decimal comma


def too_large_message(limit: int) -> str:
    return f"Requête trop volumineuse : {_megabytes(limit)} Mo au plus."


def upload_page(view):
    """Mark a page's view as an upload endpoint: its body may weigh MAX_UPLOAD_BYTES
    (a supplier's Factur-X PDF). Outermost decorator."""
    view.takes_uploads = True
    return view


def takes_uploads(view) -> bool:
    """An upload endpoint parses nothing but multipart bodies (the CSV imports), or is a
    page marked by `upload_page`."""
    if getattr(view, "takes_uploads", False) is True:
        return True
    view_class = getattr(view, "cls", None)
    if view_class is None:
        return False
    parser_classes = (
        getattr(view, "initkwargs", {}).get("parser_classes") or view_class.parser_classes
    )
    return bool(parser_classes) and all(
        issubclass(parser, MultiPartParser) for parser in parser_classes
    )


def body_limit(request) -> int:
    try:
        view = resolve(request.path_info).func
    except Resolver404:
        return settings.MAX_REQUEST_BYTES
    return settings.MAX_UPLOAD_BYTES if takes_uploads(view) else settings.MAX_REQUEST_BYTES


def announced_length(request) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


class BoundedStream:
    """Reads through to `stream` until `limit` bytes, then raises BodyTooLarge (and flags
    the request, whatever catches the exception)."""

    def __init__(self, stream, *, limit: int, request):
        self._stream = stream
        self._limit = limit
        self._request = request
        self._seen = 0

    def _ask(self, size) -> int:
        room = self._limit - self._seen + 1  # one byte more than allowed: to notice it
        return room if size is None or size < 0 else min(size, room)

    def _count(self, data):
        self._seen += len(data)
        if self._seen > self._limit:
            self._request.body_too_large = True
            raise BodyTooLarge(too_large_message(self._limit))
        return data

    def read(self, size=-1):
        return self._count(self._stream.read(self._ask(size)))

    def readline(self, size=-1):
        return self._count(self._stream.readline(self._ask(size)))

    def seekable(self):
        # Not seekable, so that Django reads the body through `read` rather than asking
        # the underlying stream for its size.
        return False

    def __getattr__(self, name):
        return getattr(self._stream, name)


def too_large(request, limit: int):
    message = too_large_message(limit)
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": message}, status=413)
    return HttpResponse(
        render_to_string(
            "mache/error.html", {"title": "Requête trop volumineuse", "message": message}
        ),
        status=413,
    )


class RequestSizeLimitMiddleware:
    """413 for a body over MAX_REQUEST_BYTES (MAX_UPLOAD_BYTES on upload endpoints)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = body_limit(request)
        length = announced_length(request)
        if length is not None and length > limit:
            return too_large(request, limit)
        request._stream = BoundedStream(request._stream, limit=limit, request=request)
        response = self.get_response(request)
        if getattr(request, "body_too_large", False) and response.status_code != 413:
            return too_large(request, limit)
        return response
