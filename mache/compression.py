"""gzip for the text responses only (pages, JSON, CSV, scripts), not for PDFs, images or
archives, which are compressed already (docs/security.md, "Compression").

Django's GZipMiddleware does the work, BREACH mitigation included: since Django 4.2 it
pads each compressed response with a random number of bytes ("Heal The Breach"), and the
CSRF token of every page is masked afresh per response.
"""

from django.middleware.gzip import GZipMiddleware

TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml")


class TextGZipMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        content_type = response.get("Content-Type", "")
        if not content_type.startswith(TEXT_TYPES) and "+json" not in content_type:
            return response
        return super().process_response(request, response)
