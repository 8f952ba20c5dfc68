"""Suppliers' e-invoices: `/api/supplier-invoices/` (docs/supplier-invoices.md), the
coordinator's only (a supplier bills the cooperative, not a shop).

POST multipart `file` (Factur-X / ZUGFeRD PDF, CII XML, UBL 2.1 XML): 201 with the
invoice as read and matched; 400 naming why the file is not a valid e-invoice or the
supplier is unknown; 409 `supplier_invoice_exists`, `supplier_order_invoiced`.
POST .../approve/ posts the purchase from the invoice; POST .../reject/ {"reason"}.
"""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from mache.fields import MoneyField
from mache.permissions import COORDINATOR_ONLY, ActionRoles

from .. import selectors
from ..models import SupplierInvoice
from ..services.supplier_invoices import (
    MAX_REASON,
    supplier_invoice_approve,
    supplier_invoice_receive,
    supplier_invoice_reject,
)

# The bodies of approve and reject: the project's parsers (JSON, a form, multipart):
# not an upload endpoint, bounded by MAX_REQUEST_BYTES (mache.limits.takes_uploads).
BODY_PARSERS = api_settings.DEFAULT_PARSER_CLASSES


class SupplierInvoiceInput(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False)


class SupplierInvoiceRejectInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=MAX_REASON,
        error_messages={
            "required": "Indiquez le motif du rejet.",
            "blank": "Indiquez le motif du rejet.",
            "null": "Indiquez le motif du rejet.",
            "invalid": "Le motif du rejet est un texte.",
            "max_length": f"{MAX_REASON} caractères au plus.",
        },
    )


class DifferenceOutput(serializers.Serializer):
    product = serializers.IntegerField(allow_null=True)
    field = serializers.ChoiceField(
        choices=["units", "unit_price", "amount", "vat_rate", "missing", "unexpected"]
        + ["shipping", "order"]
    )
    expected = serializers.CharField()
    invoiced = serializers.CharField()


class SupplierInvoiceOutput(serializers.ModelSerializer):
    total_excl_vat = MoneyField()
    total_vat = MoneyField()
    total_incl_vat = MoneyField()
    # BT-115, what a transfer pays (null: recorded before it was kept).
    amount_due = MoneyField(allow_null=True)
    differences = DifferenceOutput(many=True)

    class Meta:
        model = SupplierInvoice
        fields = [
            "id",
            "supplier",
            "number",
            "issued_on",
            "total_excl_vat",
            "total_vat",
            "total_incl_vat",
            "amount_due",
            "supplier_order",
            "status",
            "differences",
        ]


class SupplierInvoiceViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = SupplierInvoiceOutput
    permission_classes = [ActionRoles]
    default_roles = COORDINATOR_ONLY
    # Not a shop's: the cooperative's, its coordinator's only.
    scoped_model = SupplierInvoice
    shop_field = None
    # Multipart only on the collection (the file): the request may weigh
    # MAX_UPLOAD_BYTES (mache.limits, docs/security.md); approve and reject take the
    # usual bodies, bounded by MAX_REQUEST_BYTES.
    parser_classes = [MultiPartParser]
    filterset_fields = ["status", "supplier", "supplier_order"]

    def get_queryset(self):
        return selectors.supplier_invoice_list(user=self.request.user)

    @extend_schema(
        request={"multipart/form-data": SupplierInvoiceInput},
        responses={201: SupplierInvoiceOutput},
    )
    def create(self, request):
        serializer = SupplierInvoiceInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        invoice = supplier_invoice_receive(
            data=upload.read(), filename=upload.name or "", source="api", user=request.user
        )
        return Response(SupplierInvoiceOutput(invoice).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=SupplierInvoiceOutput)
    @action(detail=True, methods=["post"], parser_classes=BODY_PARSERS)
    def approve(self, request, pk=None):
        invoice = supplier_invoice_approve(
            supplier_invoice_id=self.get_object().pk, user=request.user
        )
        return Response(SupplierInvoiceOutput(invoice).data)

    @extend_schema(request=SupplierInvoiceRejectInput, responses=SupplierInvoiceOutput)
    @action(detail=True, methods=["post"], parser_classes=BODY_PARSERS)
    def reject(self, request, pk=None):
        invoice = self.get_object()
        serializer = SupplierInvoiceRejectInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        invoice = supplier_invoice_reject(
            supplier_invoice_id=invoice.pk,
            reason=serializer.validated_data["reason"],
            user=request.user,
        )
        return Response(SupplierInvoiceOutput(invoice).data)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def file(self, request, pk=None):
        """The file exactly as received."""
        invoice = self.get_object()
        content_type = (
            "application/pdf"
            if invoice.format == SupplierInvoice.Format.FACTURX
            else "application/xml"
        )
        response = HttpResponse(bytes(invoice.original), content_type=content_type)
        name = "".join(c for c in invoice.file_name if c.isalnum() or c in "._-") or "facture"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
