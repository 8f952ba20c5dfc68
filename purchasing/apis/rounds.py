"""Rounds: creation, live fill, consolidation, cancellation; supplier orders."""

from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from mache.documents import document_response
from mache.outbox import enqueue_on_commit
from mache.permissions import COORDINATOR_ONLY, ActionRoles
from mache.renderers import JSONRenderer

from .. import selectors
from ..documents import purchase_order_document, purchase_order_issued
from ..models import Round, RoundSchedule, SupplierOrder
from ..pdf import purchase_order_pdf
from ..services import consolidation, lifecycle, orders, receipt, rounds
from ..tasks import consolidate_round
from .serializers import (
    AllocationSerializer,
    FillSerializer,
    InvoiceSerializer,
    MissingShopSerializer,
    ReceiptInput,
    RoundCloneInput,
    RoundScheduleSerializer,
    RoundSerializer,
    RoundUpdateInput,
    SupplierOrderSerializer,
)

TaskSerializer = inline_serializer("TaskStarted", {"task_id": serializers.CharField()})


class RoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = RoundSerializer
    permission_classes = [ActionRoles]
    action_roles = {
        "create": COORDINATOR_ONLY,
        "partial_update": COORDINATOR_ONLY,
        "clone": COORDINATOR_ONLY,
        "missing_shops": COORDINATOR_ONLY,
        "consolidate": COORDINATOR_ONLY,
        "cancel": COORDINATOR_ONLY,
    }
    scoped_model = Round
    shop_field = None  # rounds are open to every member
    filterset_fields = ["status", "supplier"]

    def get_queryset(self):
        return selectors.round_list(user=self.request.user)

    def create(self, request):
        serializer = RoundSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        round_ = orders.round_create(user=request.user, **serializer.validated_data)
        return Response(RoundSerializer(round_).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RoundUpdateInput, responses=RoundSerializer)
    def partial_update(self, request, pk=None):
        """The deadline and the delivery day of an open round (docs/rounds.md)."""
        round_ = self.get_object()
        serializer = RoundUpdateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        round_ = rounds.round_update(round_id=round_.pk, **serializer.validated_data)
        return Response(RoundSerializer(round_).data)

    @extend_schema(request=RoundCloneInput, responses={201: RoundSerializer})
    @action(detail=True, methods=["post"])
    def clone(self, request, pk=None):
        """A new open round of the same supplier, with the dates given."""
        source = self.get_object()
        serializer = RoundCloneInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        round_ = rounds.round_clone(
            round_id=source.pk, user=request.user, **serializer.validated_data
        )
        return Response(RoundSerializer(round_).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=MissingShopSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="missing-shops")
    def missing_shops(self, request, pk=None):
        """The active shops with no order in the round yet."""
        shops = selectors.round_missing_shops(round_=self.get_object())
        page = self.paginate_queryset(shops)
        return self.get_paginated_response(MissingShopSerializer(page, many=True).data)

    @extend_schema(responses=FillSerializer)
    @action(detail=True, methods=["get"])
    def fill(self, request, pk=None):
        """The group's totals; shopkeepers poll it while they order. Computed at most once
        a second per round, a write making the next copy (docs/consolidation.md). Every
        member sees every round (selectors.round_list): a copy serves them all, and a
        cached round is one that exists, so a copy needs no query of the round."""

        def compute():
            # The copy is the JSON answer itself: a poll neither unpickles 300 rows nor
            # encodes them again (issue 18: under 5 ms of CPU a request).
            data = FillSerializer(selectors.round_fill(round_=self.get_object())).data
            return JSONRenderer().render(data)

        if not (str(pk).isascii() and str(pk).isdigit()):
            body = compute()
        else:
            body = selectors.round_fill_cached(int(pk), compute)
        return HttpResponse(body, content_type="application/json")

    @extend_schema(request=None, responses={202: TaskSerializer})
    @action(detail=True, methods=["post"])
    def consolidate(self, request, pk=None):
        # The round closes and its task is recorded in one transaction (docs/tasks.md):
        # with the broker down the task waits in the outbox, and the id answered now is
        # the one the drained task will run under.
        with transaction.atomic():
            round_ = consolidation.round_close_now(round_id=self.get_object().pk)
            task_id = enqueue_on_commit(consolidate_round, round_.pk)
        return Response({"task_id": task_id}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses=inline_serializer(
            "Consolidation",
            {
                "supplier_order": serializers.IntegerField(),
                "status": serializers.CharField(),
                "total_excl_vat": serializers.CharField(),
                "shipping": serializers.CharField(),
                "warnings": serializers.ListField(child=serializers.CharField()),
                "lines": serializers.ListField(),
                "allocations": AllocationSerializer(many=True),
            },
        )
    )
    @action(detail=True, methods=["get"])
    def consolidation(self, request, pk=None):
        round_ = self.get_object()
        supplier_order = selectors.round_supplier_order(round_=round_)
        if supplier_order is None:
            raise consolidation.NotConsolidated()
        body = SupplierOrderSerializer(supplier_order).data
        return Response(
            {
                "supplier_order": supplier_order.pk,
                "status": body["status"],
                "total_excl_vat": body["total_excl_vat"],
                "shipping": body["shipping"],
                "warnings": body["warnings"],
                "lines": body["lines"],
                "allocations": AllocationSerializer(
                    selectors.allocation_list(user=request.user, supplier_order=supplier_order),
                    many=True,
                ).data,
            }
        )

    @extend_schema(request=None, responses=RoundSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        round_ = lifecycle.round_cancel(round_id=self.get_object().pk)
        return Response(RoundSerializer(round_).data)


class SupplierOrderViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = SupplierOrderSerializer
    permission_classes = [ActionRoles]
    default_roles = COORDINATOR_ONLY
    scoped_model = SupplierOrder
    shop_field = "allocations__shop"

    def get_queryset(self):
        return selectors.supplier_order_list(user=self.request.user)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        """The purchase order as sent to the supplier, stored when issued (confirmed;
        docs/documents.md); a draft in review or a cancelled order's is drawn as it is."""
        supplier_order = self.get_object()
        if purchase_order_issued(supplier_order):
            return document_response(purchase_order_document(supplier_order), request)
        response = HttpResponse(purchase_order_pdf(supplier_order), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'inline; filename="bon-de-commande-{supplier_order.pk}.pdf"'
        )
        return response

    @extend_schema(request=None, responses=SupplierOrderSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        supplier_order = lifecycle.supplier_order_confirm(supplier_order_id=self.get_object().pk)
        return Response(SupplierOrderSerializer(self.get_queryset().get(pk=supplier_order.pk)).data)

    @extend_schema(request=ReceiptInput, responses=InvoiceSerializer(many=True))
    @action(detail=True, methods=["post"])
    def receipt(self, request, pk=None):
        supplier_order = self.get_object()
        serializer = ReceiptInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        lines = serializer.validated_data["lines"]
        invoices = receipt.supplier_order_receive(
            supplier_order_id=supplier_order.pk,
            received={
                ln["product"]: ln["received_units"] for ln in lines if "received_units" in ln
            },
            lots={
                ln["product"]: (ln["lot"], ln["expires_on"])
                for ln in lines
                if ln["lot"] or ln["expires_on"]
            },
            received_on=serializer.validated_data["received_on"],
        )
        invoices = (
            selectors.invoice_list(user=request.user)
            .filter(pk__in=[i.pk for i in invoices])
            .order_by("sequence")
        )
        return Response(
            {
                "supplier_order": supplier_order.pk,
                "invoices": InvoiceSerializer(invoices, many=True).data,
            },
            status=status.HTTP_201_CREATED,
        )


class RoundScheduleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Weekly rounds opened by the beat sweep (docs/rounds.md). Not deleted: a schedule
    no longer wanted is made inactive (`active: false`), its past rounds keep its name."""

    serializer_class = RoundScheduleSerializer
    permission_classes = [ActionRoles]
    default_roles = COORDINATOR_ONLY
    scoped_model = RoundSchedule
    shop_field = None  # the cooperative's, not a shop's
    filterset_fields = ["supplier", "active"]

    def get_queryset(self):
        return selectors.round_schedule_list(user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = rounds.round_schedule_save(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = rounds.round_schedule_save(
            schedule=serializer.instance, **serializer.validated_data
        )
