"""The B2C e-reporting of a shop (docs/e-reporting.md):

    GET /api/e-reporting/?shop=<id>&from=YYYY-MM-DD&to=YYYY-MM-DD&format=json|csv

Every day of the span with a standing Z ticket: its category, its number of sales (null
when the ticket did not give it) and its base and VAT per rate, as the ticket's entry
posted them. The shop's own people, its accountant and the coordinators read it; another
shop answers 404, as if it did not exist. At most MAX_DAYS days at a time.
"""

from django.http import Http404, HttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from mache.fields import MoneyField
from mache.permissions import ActionRoles
from mache.query import ID_RE
from shops.selectors import visible_shop

from ..ereporting.selectors import e_reporting
from ..renderers import FORMATS
from .statements import ContractNames, FormatIsOurs

# A year and a day: a leap year's whole span, never an unbounded read.
MAX_DAYS = 366
CSV = FORMATS["csv"]


class EReportingQuery(ContractNames, serializers.Serializer):
    """?shop=<id>&from=YYYY-MM-DD&to=YYYY-MM-DD&format=json|csv"""

    shop = serializers.RegexField(
        ID_RE.pattern,
        max_length=18,
        help_text="Identifiant du commerce.",
        error_messages={"invalid": "L'identifiant d'un commerce, en chiffres."},
    )
    date_from = serializers.DateField(
        source="date_from",
        input_formats=["%Y-%m-%d"],
        help_text="Premier jour (AAAA-MM-JJ).",
    )
    date_to = serializers.DateField(
        source="date_to",
        input_formats=["%Y-%m-%d"],
        help_text="Dernier jour (AAAA-MM-JJ).",
    )
    format = serializers.ChoiceField(choices=["json", "csv"], default="json")

    def validate(self, data):
        if data["date_from"] > data["date_to"]:
            raise serializers.ValidationError(
                {"from": ["La date de début (from) suit la date de fin (to)."]}
            )
        if (data["date_to"] - data["date_from"]).days >= MAX_DAYS:
            raise serializers.ValidationError(
                {"to": [f"{MAX_DAYS} jours au plus entre from et to."]}
            )
        return data


class RateOutput(serializers.Serializer):
    rate = serializers.DecimalField(max_digits=4, decimal_places=2)
    base = MoneyField(help_text="Ventes hors taxe à ce taux.")
    vat = MoneyField(help_text="TVA collectée à ce taux.")


class DayOutput(serializers.Serializer):
    date = serializers.DateField()
    category = serializers.CharField(help_text="« goods » : ventes de marchandises.")
    transactions = serializers.IntegerField(
        allow_null=True, help_text="Nombre de ventes du jour ; null si le ticket Z ne le dit pas."
    )
    by_rate = RateOutput(many=True)


class EReportingView(APIView):
    permission_classes = [ActionRoles]  # every role; the shop's scope does the rest
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FormatIsOurs  # `format` is ours: json or csv

    @extend_schema(
        parameters=[EReportingQuery],
        responses={
            (200, "application/json"): DayOutput(many=True),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.BINARY, description="Une ligne par jour et par taux."
            ),
        },
        description="Les ventes aux particuliers d'un commerce, jour par jour (e-reporting).",
    )
    def get(self, request):
        query = EReportingQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        shop = visible_shop(user=request.user, shop_id=params["shop"])
        if shop is None:
            raise Http404
        report = e_reporting(shop=shop, date_from=params["date_from"], date_to=params["date_to"])
        if params["format"] == "json":
            return Response(DayOutput(report.days, many=True).data)
        return e_reporting_file(report)


def e_reporting_file(report) -> HttpResponse:
    """The CSV of a shop's days (French spreadsheet conventions, as the statements')."""
    response = HttpResponse(CSV.render(report.table()), content_type=CSV.content_type)
    name = f"e-reporting-{report.shop.pk}-{report.date_from:%Y-%m-%d}-{report.date_to:%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


urlpatterns = [path("e-reporting/", EReportingView.as_view(), name="e-reporting")]
