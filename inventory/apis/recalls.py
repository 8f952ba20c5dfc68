"""Traceability of a lot and recalls (docs/recalls.md; the HTTP shapes in docs/api.md):

- GET /api/traceability/?product=&lot=: each shop the user may see that received the lot.
- POST /api/recalls/ (coordinator) {"product", "lot", "reason"}: 201, the lot blocked.
- GET /api/recalls/ and /api/recalls/{id}/: the recalls of the user's shops.
- POST /api/recalls/{id}/confirm/ {"shop"}: the shop withdrew its units.
- GET /api/recalls/{id}/pdf/: the traceability report.
"""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from mache.permissions import COORDINATOR_ONLY, ActionRoles
from shops.fields import ShopField

from .. import recalls, selectors
from ..models import Recall
from ..recall_pdf import recall_pdf
from ..traceability import LOT_MAX_LENGTH, lot_trace
from .stock import STOCK_WRITERS, ProductField


class TraceEntryOutput(serializers.Serializer):
    received_at = serializers.DateTimeField()
    quantity = serializers.IntegerField()
    expires_on = serializers.DateField(allow_null=True)
    kind = serializers.CharField()


class ShopTraceOutput(serializers.Serializer):
    shop = serializers.IntegerField(source="shop.pk")
    name = serializers.CharField(source="shop.name")
    received = serializers.IntegerField()
    first_received_at = serializers.DateTimeField()
    entries = TraceEntryOutput(many=True)
    sold = serializers.IntegerField()
    lost = serializers.IntegerField()
    returned = serializers.IntegerField()
    adjusted = serializers.IntegerField()
    recalled = serializers.IntegerField()
    left = serializers.IntegerField()
    sold_or_lost = serializers.IntegerField()
    last_exit_at = serializers.DateTimeField(allow_null=True)


class TraceTotalsOutput(serializers.Serializer):
    received = serializers.IntegerField()
    sold = serializers.IntegerField()
    lost = serializers.IntegerField()
    returned = serializers.IntegerField()
    adjusted = serializers.IntegerField()
    recalled = serializers.IntegerField()
    left = serializers.IntegerField()


class TraceOutput(serializers.Serializer):
    product = serializers.IntegerField(source="product.pk")
    name = serializers.CharField(source="product.name")
    sku = serializers.CharField(source="product.sku")
    supplier = serializers.CharField(source="product.supplier.name")
    lot = serializers.CharField()
    recall = serializers.IntegerField(allow_null=True)
    totals = TraceTotalsOutput()
    shops = ShopTraceOutput(many=True)


def trace_payload(trace, recall_id) -> dict:
    names = ["received", "sold", "lost", "returned", "adjusted", "recalled", "left"]
    return {
        "product": trace.product,
        "lot": trace.lot,
        "recall": recall_id,
        "totals": {name: trace.total(name) for name in names},
        "shops": trace.shops,
    }


class TraceabilityView(APIView):
    """GET ?product=&lot=: what became of a lot in each shop the user may see."""

    @extend_schema(
        parameters=[
            OpenApiParameter("product", int, required=True, description="Identifiant du produit"),
            OpenApiParameter("lot", str, required=True, description="Numéro de lot"),
        ],
        responses=TraceOutput,
    )
    def get(self, request):
        trace = lot_trace(
            user=request.user,
            product=request.query_params.get("product"),
            lot=request.query_params.get("lot"),
        )
        recall_id = (
            Recall.objects.filter(product=trace.product, lot=trace.lot)
            .values_list("pk", flat=True)
            .first()
        )
        return Response(TraceOutput(trace_payload(trace, recall_id)).data)


def _text(label: str, max_length: int):
    return serializers.CharField(
        max_length=max_length,
        error_messages={
            "invalid": f"{label} : un texte est attendu.",
            "required": f"{label} : ce champ est obligatoire.",
            "blank": f"{label} : ce champ est obligatoire.",
            "null": f"{label} : ce champ est obligatoire.",
            "max_length": f"{label} : au plus {max_length} caractères.",
        },
    )


class RecallInput(serializers.Serializer):
    product = ProductField()
    lot = _text("Numéro de lot", LOT_MAX_LENGTH)
    reason = _text("Motif", recalls.REASON_MAX_LENGTH)


class RecallShopOutput(serializers.Serializer):
    shop = serializers.IntegerField(source="shop_id")
    name = serializers.CharField(source="shop.name")
    received = serializers.IntegerField()
    sold_or_lost = serializers.IntegerField()
    left = serializers.IntegerField()
    notified_at = serializers.DateTimeField(allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)
    withdrawn = serializers.SerializerMethodField()

    def get_withdrawn(self, line) -> int | None:
        return recalls.withdrawn(line) if line.confirmed_at else None


class RecallOutput(serializers.Serializer):
    id = serializers.IntegerField()
    product = serializers.IntegerField(source="product_id")
    name = serializers.CharField(source="product.name")
    lot = serializers.CharField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    shops = RecallShopOutput(many=True)


class ConfirmInput(serializers.Serializer):
    shop = ShopField()


class RecallViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = RecallOutput
    permission_classes = [ActionRoles]
    action_roles = {"create": COORDINATOR_ONLY, "confirm": STOCK_WRITERS}
    scoped_model = Recall
    shop_field = "shops__shop"

    def get_queryset(self):
        return selectors.recall_list(user=self.request.user)

    @extend_schema(request=RecallInput, responses={201: RecallOutput})
    def create(self, request):
        serializer = RecallInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        recall = recalls.recall_create(user=request.user, **serializer.validated_data)
        return Response(
            RecallOutput(self.get_queryset().get(pk=recall.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=ConfirmInput, responses=RecallOutput)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        recall = self.get_object()
        serializer = ConfirmInput(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        recalls.recall_confirm(
            recall=recall, shop=serializer.validated_data["shop"], user=request.user
        )
        return Response(RecallOutput(self.get_queryset().get(pk=recall.pk)).data)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        recall = self.get_object()
        response = HttpResponse(
            recall_pdf(recall, user=request.user), content_type="application/pdf"
        )
        response["Content-Disposition"] = (
            f'inline; filename="rappel-{recall.pk}-lot-{_safe(recall.lot)}.pdf"'
        )
        return response


def _safe(code: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in code)
