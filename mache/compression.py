"""gzip for the text responses only (pages, JSON, CSV, scripts), not for PDFs, images or
archives, which are compressed already (docs/security.md, "Compression").

Django's GZipMiddleware does the work, BREACH mitigation included: since Django 4.2 it
pads each compressed response with a random number of bytes ("Heal The Breach"), and the
CSRF token of every page is masked afresh per response.
"""

from functools import wraps

from django.middleware.gzip import GZipMiddleware

TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml")


def uncompressed(view):
    """For a page that shows a secret other than the CSRF token (the TOTP key while the
    second factor is being set up): never compressed (docs/security.md, BREACH)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.uncompressed = True
        return response

    return wrapped


class TextGZipMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        if getattr(response, "uncompressed", False):
            return response
        content_type = response.get("Content-Type", "")
        if not content_type.startswith(TEXT_TYPES) and "+json" not in content_type:
            return response
        return super().process_response(request, response)
