"""Payments of the shops (docs/api.md, "Money"; docs/settlement.md, "Payments").

GET  /api/payments/?shop=&from=&to=      scoped: a shop's users and accountant see
                                         its payments, the coordinator all
POST /api/payments/                      coordinator: record and allocate
POST /api/payments/{id}/cancel/          coordinator: reverse (a cheque returned)
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from mache.errors import InvalidInput
from mache.fields import ListField, MoneyField
from mache.permissions import COORDINATOR_ONLY, ActionRoles
from shops.selectors import shop_list

from .. import selectors
from ..models import Payment
from ..services.payments import payment_cancel, payment_record


class PaymentInput(serializers.Serializer):
    shop = serializers.IntegerField(min_value=1)
    date = serializers.DateField(input_formats=["%Y-%m-%d"])
    amount = MoneyField(min_value=0)
    method = serializers.ChoiceField(choices=Payment.Method.values)
    reference = serializers.CharField(max_length=140, required=False, allow_blank=True, default="")
    invoices = ListField(
        child=serializers.IntegerField(min_value=1), required=False, allow_null=True, default=None
    )

    def validate_amount(self, value):
        if value <= 0:
            raise serializers.ValidationError("Le montant doit être positif.")
        return value


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    date = serializers.DateField(input_formats=["%Y-%m-%d"], required=False, allow_null=True)


class AllocationOutput(serializers.Serializer):
    invoice = serializers.IntegerField(source="settlement.invoice_id")
    amount = MoneyField(source="settlement.amount")


class PaymentOutput(serializers.ModelSerializer):
    amount = MoneyField()
    unallocated = MoneyField()
    allocations = AllocationOutput(many=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "shop",
            "date",
            "amount",
            "method",
            "reference",
            "allocations",
            "unallocated",
            "cancelled_at",
        ]


class PaymentFilter(serializers.Serializer):
    shop = serializers.IntegerField(min_value=1, required=False)
    date_from = serializers.DateField(input_formats=["%Y-%m-%d"], required=False)
    date_to = serializers.DateField(input_formats=["%Y-%m-%d"], required=False)

    def to_internal_value(self, data):
        # The contract's names, `from` and `to`, are Python keywords.
        data = {
            "shop": data.get("shop"),
            "date_from": data.get("from"),
            "date_to": data.get("to"),
        }
        try:
            return super().to_internal_value({k: v for k, v in data.items() if v})
        except serializers.ValidationError as exc:
            names = {"date_from": "from", "date_to": "to"}
            raise serializers.ValidationError(
                {names.get(key, key): value for key, value in exc.detail.items()}
            ) from exc


@extend_schema(
    parameters=[
        OpenApiParameter("shop", int, description="Un commerce."),
        OpenApiParameter("from", str, description="Réglés à partir du (AAAA-MM-JJ)."),
        OpenApiParameter("to", str, description="Réglés jusqu'au (AAAA-MM-JJ)."),
    ]
)
class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PaymentOutput
    permission_classes = [ActionRoles]
    action_roles = {"create": COORDINATOR_ONLY, "cancel": COORDINATOR_ONLY}
    scoped_model = Payment
    shop_field = "shop"

    def get_queryset(self):
        payments = selectors.payment_list(user=self.request.user)
        if self.action != "list":
            return payments
        query = PaymentFilter(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data
        if "shop" in wanted:
            payments = payments.filter(shop_id=wanted["shop"])
        if "date_from" in wanted:
            payments = payments.filter(date__gte=wanted["date_from"])
        if "date_to" in wanted:
            payments = payments.filter(date__lte=wanted["date_to"])
        return payments

    @extend_schema(request=PaymentInput, responses={201: PaymentOutput})
    def create(self, request):
        serializer = PaymentInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        shop = shop_list(user=request.user).filter(pk=data["shop"]).first()
        if shop is None:
            raise InvalidInput({"shop": ["Commerce inconnu."]})
        payment = payment_record(
            shop=shop,
            date=data["date"],
            amount=data["amount"],
            method=data["method"],
            reference=data["reference"],
            invoices=data["invoices"] or None,
            user=request.user,
        )
        return Response(
            PaymentOutput(self.get_queryset().get(pk=payment.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=CancelInput, responses=PaymentOutput)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        payment = self.get_object()
        serializer = CancelInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        payment_cancel(
            payment=payment, date=data.get("date"), reason=data["reason"], user=request.user
        )
        return Response(PaymentOutput(get_object_or_404(self.get_queryset(), pk=payment.pk)).data)
