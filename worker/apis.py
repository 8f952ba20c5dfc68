"""Tasks, monthly reports, the yearly archive of a ledger, the impact figures and the
yearly impact report."""

from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting.apis.fec import FecQuery
from accounting.apis.statements import FormatIsOurs
from accounting.selectors import ledger_for
from mache.documents import document_response
from mache.errors import BusinessRuleError, InvalidInput
from mache.fields import ListField, MoneyField
from mache.periods import FIRST_YEAR, format_month, paris_today, parse_month
from mache.permissions import ALL_ROLES, COORDINATOR_ONLY, ActionRoles
from mache.progress import task_progress
from mache.query import parse_id
from mache.renderers import JSONRenderer
from shops.models import User
from shops.selectors import shop_list, visible_shop

from . import selectors, services
from .archive import CONTENT_TYPE, ArchiveYear, archive_document, archive_stream, archive_year
from .impact import impact_figures, impact_period
from .models import Report, TaskRun
from .reports.impact_pdf import impact_report_pdf

TaskState = inline_serializer(
    "TaskState",
    {
        "state": serializers.CharField(),
        "progress": serializers.DictField(),
        "result": serializers.JSONField(),
    },
)


class TaskView(APIView):
    """Tasks are started by coordinators (consolidations, reports); so are they followed.
    A run of many tasks (a month of reports) answers with its own progress."""

    permission_classes = [ActionRoles]
    default_roles = COORDINATOR_ONLY

    @extend_schema(responses=TaskState)
    def get(self, request, task_id):
        run = TaskRun.objects.filter(pk=task_id).first()
        if run is not None:
            return Response(self._run_state(run))
        return Response(task_progress(task_id).as_json())

    @staticmethod
    def _run_state(run: TaskRun) -> dict:
        reports = list(run.reports.order_by("pk").values_list("pk", flat=True))
        return run.progress(result={"reports": reports, "failed": run.failed}).as_json()


class ReportOutput(serializers.ModelSerializer):
    shop = serializers.SerializerMethodField()
    month = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = ["id", "shop", "month", "status", "generated_at"]

    def get_shop(self, report) -> int | str:
        return report.shop_id or "coop"

    def get_month(self, report) -> str:
        return format_month(report.month)


class GenerateInput(serializers.Serializer):
    month = serializers.CharField(max_length=7)
    shops = ListField(
        child=serializers.IntegerField(min_value=1),
        allow_null=True,
        required=False,
        default=None,
        allow_empty=False,
    )


class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ReportOutput
    permission_classes = [ActionRoles]
    action_roles = {"generate": COORDINATOR_ONLY}
    scoped_model = Report
    shop_field = "shop"

    def get_queryset(self):
        queryset = selectors.report_list(user=self.request.user)
        params = self.request.query_params
        if self.action == "list":
            shop = params.get("shop")
            if shop == "coop":
                queryset = queryset.filter(shop__isnull=True)
            elif shop:
                queryset = queryset.filter(shop_id=parse_id(shop, field="shop"))
            if params.get("month"):
                try:
                    queryset = queryset.filter(month=parse_month(params["month"]))
                except ValueError as exc:
                    raise InvalidInput({"month": [str(exc)]}) from None
        return queryset

    @extend_schema(parameters=[OpenApiParameter("shop", str), OpenApiParameter("month", str)])
    def list(self, request):
        return super().list(request)

    @extend_schema(
        request=GenerateInput,
        responses={202: inline_serializer("ReportsStarted", {"task_id": serializers.CharField()})},
    )
    @action(detail=False, methods=["post"])
    def generate(self, request):
        serializer = GenerateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = services.reports_generate(
            month=serializer.validated_data["month"], shop_ids=serializer.validated_data["shops"]
        )
        return Response({"task_id": run.pk}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        """The report as built (docs/documents.md): its stored document's checked bytes,
        with their ETag; a report built before documents were stored, from its file."""
        report = self.get_object()
        if report.status != Report.Status.READY or not report.file:
            raise BusinessRuleError("Ce rapport n'est pas encore prêt.", code="report_not_ready")
        if report.document is not None:
            return document_response(report.document, request)
        who = report.shop.name if report.shop_id else "cooperative"
        return FileResponse(
            report.file.open("rb"),
            content_type="application/pdf",
            filename=f"rapport-{who}-{format_month(report.month)}.pdf",
        )


class ArchiveView(APIView):
    """`GET /api/exports/archive/?shop=<id>|coop&year=2025`: the yearly archive of a
    ledger, a ZIP (docs/archive.md). The FEC's parameters. Tenancy decides first
    (`ledger_for`: 404 for a ledger the caller may not see), then the role
    (`archive_year`: 403 for a shopkeeper), then the year (404 for one the ledger never
    had). Errors come as JSON whatever the client accepts."""

    permission_classes = [ActionRoles]
    default_roles = ALL_ROLES  # the role is judged after the tenancy, by archive_year
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FormatIsOurs

    @extend_schema(
        parameters=[FecQuery],
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
        description="Archive annuelle d'un livre : FEC et sa description, balance, grand "
        "livre et journal (PDF, CSV), factures et avoirs de l'exercice (PDF, XML), "
        "manifest.json (SHA-256 et taille de chaque fichier).",
    )
    def get(self, request):
        query = FecQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        ledger = ledger_for(user=request.user, shop_param=query.validated_data["shop"])
        target = archive_year(user=request.user, ledger=ledger, year=query.validated_data["year"])
        return archive_response(target, request)


def archive_response(target: ArchiveYear, request):
    """A closed year: its stored archive (the same bytes every time, an ETag, 304 when
    the client has them). An open year: built while it is streamed."""
    if target.closed:
        return document_response(archive_document(target), request, attachment=True)
    filename, chunks = archive_stream(target)
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Impact (docs/impact.md) ----------------------------------------------------------------


class Total(MoneyField):
    """An amount summed over a period of the whole cooperative: room past a line's 10
    digits."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=17, **kwargs)


class Share(serializers.DecimalField):
    """A share in per cent, 2 decimals ("42.17")."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=12, decimal_places=2, coerce_to_string=True, **kwargs)


class ImpactSupplierOutput(serializers.Serializer):
    supplier = serializers.CharField()
    kind = serializers.CharField()
    local = serializers.BooleanField()
    distance_km = serializers.DecimalField(
        max_digits=7, decimal_places=1, coerce_to_string=True, allow_null=True
    )
    purchases_excl_vat = Total()


class ImpactZoneOutput(serializers.Serializer):
    zone = serializers.CharField()
    label = serializers.CharField()
    shops = serializers.IntegerField()
    inhabitants = serializers.IntegerField()
    shops_without_inhabitants = serializers.IntegerField()
    purchases_excl_vat = Total()


class ImpactOutput(serializers.Serializer):
    """GET /api/impact/ (docs/api.md): the contract's keys, then the extra ones."""

    date_from = serializers.DateField(source="start")
    date_to = serializers.DateField(source="end")
    purchases_excl_vat = Total()
    local_excl_vat = Total()
    local_share = Share()
    organic_excl_vat = Total()
    organic_share = Share()
    local_producers = serializers.IntegerField()
    paid_to_local_producers = Total()
    savings = Total()
    fees = Total()
    by_supplier = ImpactSupplierOutput(many=True)
    savings_volume = Total()
    savings_shipping = Total()
    by_zone = ImpactZoneOutput(many=True)
    without_coordinates = serializers.ListField(child=serializers.CharField())
    shop = serializers.IntegerField(source="shop_id", allow_null=True)

    def get_fields(self):
        names = {"date_from": "from", "date_to": "to"}  # Python keywords
        return {names.get(name, name): field for name, field in super().get_fields().items()}


class ImpactView(APIView):
    """The impact of a period (docs/impact.md): the cooperative's for a coordinator who
    names no shop; a shop's for its shopkeepers and accountants (read-only) and the
    coordinator; another shop: 404. Reads only."""

    permission_classes = [ActionRoles]

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, required=True),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True),
            OpenApiParameter(
                "shop",
                int,
                description="Identifiant du commerce ; sans lui, toute la coopérative "
                "(coordinateur) ou le seul commerce de l'utilisateur.",
            ),
        ],
        responses=ImpactOutput,
    )
    def get(self, request):
        params = request.query_params
        start, end = impact_period(params.get("from"), params.get("to"))
        shop = impact_shop(request.user, params.get("shop"))
        return Response(ImpactOutput(impact_figures(start=start, end=end, shop=shop)).data)


def impact_shop(user, value):
    """The shop of ?shop= (one the user may see, else 404); none named: the whole
    cooperative for a coordinator, else the user's only shop (400 when they have several)."""
    if value is not None:
        parse_id(value, field="shop")
        shop = visible_shop(user=user, shop_id=value)
        if shop is None:
            raise Http404
        return shop
    if user.effective_role == User.Role.COORDINATOR:
        return None
    shops = list(shop_list(user=user)[:2])
    if len(shops) != 1:
        raise InvalidInput({"shop": ["Précisez le commerce (?shop=)."]})
    return shops[0]


class ImpactReportQuery(serializers.Serializer):
    year = serializers.IntegerField(help_text="L'année du rapport (1er janvier - 31 décembre)")
    shop = serializers.CharField(
        required=False,
        max_length=20,
        help_text="Identifiant du commerce ; sans lui, toute la coopérative (coordinateur) "
        "ou le seul commerce de l'utilisateur.",
    )

    def validate_year(self, value):
        last = paris_today().year
        if not FIRST_YEAR <= value <= last:
            raise serializers.ValidationError(f"Année entre {FIRST_YEAR} et {last}.")
        return value


class ImpactReportView(APIView):
    """The yearly impact report as PDF (docs/impact.md, "The yearly impact report"): the
    cooperative's for a coordinator who names no shop; a shop's for its shopkeepers and
    accountants and the coordinator (`impact_shop`: another shop 404). Reads only: it is
    drawn on each request from the figures of GET /api/impact/ for the same year."""

    permission_classes = [ActionRoles]

    @extend_schema(
        parameters=[ImpactReportQuery],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def get(self, request):
        query = ImpactReportQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        shop = impact_shop(request.user, request.query_params.get("shop"))
        year = query.validated_data["year"]
        pdf = impact_report_pdf(year, shop=shop)
        who = f"-{slugify(shop.name)}" if shop is not None else ""
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="rapport-impact-{year}{who}.pdf"'
        return response
