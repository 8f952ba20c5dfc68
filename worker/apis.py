"""Tasks, monthly reports and the yearly archive of a ledger."""

from django.http import FileResponse, StreamingHttpResponse
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
from mache.fields import ListField
from mache.periods import format_month, parse_month
from mache.permissions import ALL_ROLES, COORDINATOR_ONLY, ActionRoles
from mache.progress import task_progress
from mache.query import parse_id
from mache.renderers import JSONRenderer

from . import selectors, services
from .archive import CONTENT_TYPE, ArchiveYear, archive_document, archive_stream, archive_year
from .models import Report, TaskRun

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
