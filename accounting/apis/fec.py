"""`GET /api/exports/fec/?shop=<id>|coop&year=2026`: the FEC of a ledger's fiscal year,
streamed as an attachment named `<SIREN>FEC<AAAAMMJJ>.txt`, and
`GET /api/exports/fec-description/?shop=&year=`: the text that describes it, for the tax
administration (docs/fec.md)."""

import json

from django.http import HttpResponse, StreamingHttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import renderers, serializers
from rest_framework.views import APIView

from mache.periods import paris_today
from mache.permissions import ALL_ROLES, ActionRoles

from ..fec import fec_description, fec_stream
from ..selectors import ledger_for

FIRST_YEAR = 2000


class FecQuery(serializers.Serializer):
    shop = serializers.CharField(
        max_length=20,
        help_text="Identifiant du commerce, ou « coop » pour les livres de la coopérative",
    )
    year = serializers.IntegerField(help_text="Exercice, désigné par l'année de sa clôture")

    def validate_year(self, value):
        last = paris_today().year + 1
        if not FIRST_YEAR <= value <= last:
            raise serializers.ValidationError(f"Exercice entre {FIRST_YEAR} et {last}.")
        return value


class PlainTextRenderer(renderers.BaseRenderer):
    """Lets a client that asks for text/plain have the file rather than a 406; an error
    then comes as JSON text."""

    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data, ensure_ascii=False).encode("utf-8")


class FecExportView(APIView):
    """The FEC file. Read-only, open to every role: coordinators (any ledger), accountants
    (the exports are theirs) and shopkeepers (their own books, which they may hand to
    their accountant). Tenancy decides, not the role: `ledger_for` answers 404 for a
    ledger the caller may not see, the cooperative's to anyone but a coordinator."""

    permission_classes = [ActionRoles]
    default_roles = ALL_ROLES
    renderer_classes = [renderers.JSONRenderer, PlainTextRenderer]

    @extend_schema(parameters=[FecQuery], responses={(200, "text/plain"): OpenApiTypes.STR})
    def get(self, request):
        query = FecQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        ledger = ledger_for(user=request.user, shop_param=query.validated_data["shop"])
        # fec_stream refuses (409 cooperative_missing) before the first byte.
        filename, chunks = fec_stream(ledger=ledger, year=query.validated_data["year"])
        return fec_response(filename, chunks)


def fec_response(filename: str, chunks) -> StreamingHttpResponse:
    """The FEC as a streamed attachment: its lines are read from a server-side cursor
    while they are sent, in constant memory (docs/fec.md)."""
    response = StreamingHttpResponse(chunks, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def fec_description_response(filename: str, text: str) -> HttpResponse:
    response = HttpResponse(text.encode("utf-8"), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


class FecDescriptionView(APIView):
    """The description of the FEC of the same ledger and year (fields, journals,
    numbering, accounts, lettering, encoding), in French, as text/plain. The export's
    roles and scoping (`ledger_for`)."""

    permission_classes = [ActionRoles]
    default_roles = ALL_ROLES
    renderer_classes = [renderers.JSONRenderer, PlainTextRenderer]

    @extend_schema(parameters=[FecQuery], responses={(200, "text/plain"): OpenApiTypes.STR})
    def get(self, request):
        query = FecQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        ledger = ledger_for(user=request.user, shop_param=query.validated_data["shop"])
        filename, text = fec_description(ledger=ledger, year=query.validated_data["year"])
        return fec_description_response(filename, text)


urlpatterns = [
    path("exports/fec/", FecExportView.as_view(), name="export-fec"),
    path("exports/fec-description/", FecDescriptionView.as_view(), name="export-fec-description"),
]
