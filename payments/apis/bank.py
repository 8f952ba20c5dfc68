"""Bank statements: `POST /api/bank/statements/` (a CAMT.053 or CFONB 120 file),
`GET /api/bank/lines/?status=`, `POST /api/bank/lines/{id}/match/` (docs/bank.md).

The cooperative's bank account: coordinators only (403 for the other roles).
"""

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from mache.errors import BadQuery
from mache.fields import MoneyField
from mache.limits import MAX_LIST_ITEMS
from mache.permissions import COORDINATOR_ONLY, ActionRoles
from mache.query import parse_id
from shops.fields import ShopField

from ..models import BankLine
from ..selectors import bank_line_list, bank_statement_list
from ..services.bank import bank_line_match, statement_import


class BankStatementImportInput(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False)


class BankStatementOutput(serializers.Serializer):
    id = serializers.IntegerField()
    account_iban = serializers.CharField()
    lines = serializers.IntegerField(source="line_count")
    matched = serializers.IntegerField(source="matched_count")

    def get_fields(self):
        # "from" is a Python keyword: the two dates are added here.
        fields = super().get_fields()
        fields["from"] = serializers.DateField(source="from_date")
        fields["to"] = serializers.DateField(source="to_date")
        return fields


class BankStatementImportView(APIView):
    """POST multipart {file}: a CAMT.053 or CFONB 120 statement, imported once; its
    lines matched to direct-debit batches, invoices, mandates, shops."""

    permission_classes = [ActionRoles]
    default_roles = COORDINATOR_ONLY
    # Multipart only: the request may weigh MAX_UPLOAD_BYTES (mache.limits), like the
    # CSV imports.
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": BankStatementImportInput},
        responses={201: BankStatementOutput},
    )
    def post(self, request):
        serializer = BankStatementImportInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        statement = statement_import(data=upload.read(), file_name=upload.name, user=request.user)
        counted = bank_statement_list(user=request.user).get(pk=statement.pk)
        return Response(BankStatementOutput(counted).data, status=status.HTTP_201_CREATED)


class BankLineOutput(serializers.ModelSerializer):
    amount = MoneyField()
    payments = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = BankLine
        fields = [
            "id",
            "statement",
            "position",
            "booked_on",
            "value_on",
            "amount",
            "text",
            "end_to_end_id",
            "mandate_reference",
            "batch_reference",
            "return_reason",
            "counterparty",
            "status",
            "payments",
            "direct_debit_batch",
            "credit_transfer_batch",
        ]


class BankLineListView(generics.ListAPIView):
    """GET the statements' lines, latest first; ?status=matched|unmatched|ignored."""

    serializer_class = BankLineOutput
    permission_classes = [ActionRoles]
    default_roles = COORDINATOR_ONLY
    filter_backends = []

    def get_queryset(self):
        wanted = self.request.query_params.get("status") or None
        if wanted is not None and wanted not in BankLine.Status.values:
            raise BadQuery({"status": ["Statut attendu : matched, unmatched ou ignored."]})
        return bank_line_list(user=self.request.user, status=wanted)

    @extend_schema(
        parameters=[OpenApiParameter("status", enum=BankLine.Status.values, required=False)]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class BankLineMatchInput(serializers.Serializer):
    shop = ShopField()
    invoices = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        max_length=MAX_LIST_ITEMS,
    )


class BankLineMatchView(APIView):
    """POST {shop, invoices}: the coordinator matches a credit line by hand: a payment
    of the shop for the line's amount, allocated to those invoices (oldest first when
    none). A debit or a line already matched: 409."""

    permission_classes = [ActionRoles]
    default_roles = COORDINATOR_ONLY

    @extend_schema(request=BankLineMatchInput, responses={200: BankLineOutput})
    def post(self, request, pk):
        line_id = parse_id(pk, field="id")
        get_object_or_404(bank_line_list(user=request.user), pk=line_id)
        serializer = BankLineMatchInput(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        line = bank_line_match(
            line_id=line_id,
            shop=serializer.validated_data["shop"],
            invoices=serializer.validated_data["invoices"],
            user=request.user,
        )
        line = bank_line_list(user=request.user).get(pk=line.pk)
        return Response(BankLineOutput(line).data)


# --- bank routes: payments/urls.py includes them ---
urlpatterns = [
    path("bank/statements/", BankStatementImportView.as_view(), name="bank-statements"),
    path("bank/lines/", BankLineListView.as_view(), name="bank-lines"),
    path("bank/lines/<str:pk>/match/", BankLineMatchView.as_view(), name="bank-line-match"),
]
