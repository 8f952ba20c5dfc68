"""SEPA API (docs/sepa.md): a shop's mandate, direct-debit batches and credit-transfer
batches with their files. Views parse, call one service or selector, serialize."""

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from mache.fields import ListField, MoneyField
from mache.permissions import COORDINATOR_ONLY, ActionRoles, sees_all_shops
from mache.validators import validate_bic, validate_iban
from shops.models import Shop
from shops.selectors import visible_shop

from .. import selectors
from ..models import CreditTransferBatch, DirectDebitBatch, Mandate
from ..sepa import mask_iban
from ..services.credit_transfers import (
    credit_transfer_batch_file,
    credit_transfer_batch_prepare,
)
from ..services.direct_debits import direct_debit_batch_file, direct_debit_batch_prepare
from ..services.mandates import mandate_save

# --- Mandates ---------------------------------------------------------------------------


class MandateInput(serializers.Serializer):
    iban = serializers.CharField(max_length=34, validators=[validate_iban])
    bic = serializers.CharField(max_length=11, validators=[validate_bic])
    reference = serializers.CharField(max_length=35)
    signed_on = serializers.DateField()
    scheme = serializers.ChoiceField(choices=Mandate.Scheme.choices)
    prenotification_days = serializers.IntegerField(
        min_value=1, max_value=60, required=False, allow_null=True
    )


class MandateOutput(serializers.Serializer):
    shop = serializers.IntegerField(source="shop_id")
    iban = serializers.SerializerMethodField()
    bic = serializers.CharField()
    reference = serializers.CharField()
    signed_on = serializers.DateField()
    scheme = serializers.CharField()
    prenotification_days = serializers.IntegerField(allow_null=True)
    first_collected_on = serializers.DateField(allow_null=True)

    def get_iban(self, mandate) -> str:
        # The whole IBAN for coordinators only; the others see its last 4 characters.
        if sees_all_shops(self.context["request"].user):
            return mandate.iban
        return mask_iban(mandate.iban)


class ShopMandateView(APIView):
    """`/api/shops/{id}/mandate/`: the shop's SEPA mandate; a shop the user may not see
    is not found (404), only a coordinator records one (PUT)."""

    permission_classes = [ActionRoles]
    action_roles = {"put": COORDINATOR_ONLY}
    scoped_model = Shop
    shop_field = "pk"

    def _shop(self, request, pk) -> Shop:
        shop = visible_shop(user=request.user, shop_id=pk)
        if shop is None:
            raise Http404
        return shop

    @extend_schema(responses=MandateOutput)
    def get(self, request, pk):
        shop = self._shop(request, pk)
        mandate = selectors.mandate_list(user=request.user).filter(shop=shop).first()
        if mandate is None:
            raise Http404
        return Response(MandateOutput(mandate, context={"request": request}).data)

    @extend_schema(request=MandateInput, responses=MandateOutput)
    def put(self, request, pk):
        shop = self._shop(request, pk)
        serializer = MandateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        mandate = mandate_save(shop=shop, **serializer.validated_data)
        return Response(MandateOutput(mandate, context={"request": request}).data)


# --- Direct-debit batches ---------------------------------------------------------------


class DirectDebitInput(serializers.Serializer):
    collection_date = serializers.DateField()
    invoices = ListField(
        child=serializers.IntegerField(min_value=1), required=False, allow_null=True
    )


class DirectDebitItemOutput(serializers.Serializer):
    shop = serializers.IntegerField(source="shop_id")
    invoices = serializers.SerializerMethodField()
    amount = MoneyField()
    mandate = serializers.CharField(source="mandate.reference")
    sequence_type = serializers.CharField()
    end_to_end_id = serializers.CharField()
    status = serializers.CharField()

    def get_invoices(self, item) -> list[int]:
        return sorted(invoice.pk for invoice in item.invoices.all())


class DirectDebitOutput(serializers.Serializer):
    id = serializers.IntegerField()
    collection_date = serializers.DateField()
    status = serializers.CharField()
    message_id = serializers.CharField()
    count = serializers.IntegerField()
    total = MoneyField()
    items = DirectDebitItemOutput(many=True, source="item_rows")


def _with_items(batches, items_of):
    """The batches with their items read in one go (`item_rows`), not one query each."""
    batches = list(batches)
    rows = {}
    for item in items_of([batch.pk for batch in batches]):
        rows.setdefault(item.batch_id, []).append(item)
    for batch in batches:
        batch.item_rows = rows.get(batch.pk, [])
    return batches


class DirectDebitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DirectDebitOutput
    permission_classes = [ActionRoles]
    default_roles = COORDINATOR_ONLY
    scoped_model = DirectDebitBatch
    shop_field = None  # the cooperative's batches; coordinators only

    def get_queryset(self):
        return selectors.direct_debit_batch_list(user=self.request.user)

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        batches = _with_items(page, selectors.direct_debit_items)
        return self.get_paginated_response(DirectDebitOutput(batches, many=True).data)

    def retrieve(self, request, pk=None):
        (batch,) = _with_items([self.get_object()], selectors.direct_debit_items)
        return Response(DirectDebitOutput(batch).data)

    @extend_schema(request=DirectDebitInput, responses={201: DirectDebitOutput})
    def create(self, request):
        serializer = DirectDebitInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        batch = direct_debit_batch_prepare(
            collection_date=data["collection_date"],
            invoice_ids=data.get("invoices"),
            user=request.user,
        )
        (batch,) = _with_items([batch], selectors.direct_debit_items)
        return Response(DirectDebitOutput(batch).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/xml"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def xml(self, request, pk=None):
        """The pain.008.001.02 file to upload to the bank (the batch is then `sent`)."""
        batch = self.get_object()
        response = HttpResponse(
            direct_debit_batch_file(batch=batch), content_type="application/xml"
        )
        response["Content-Disposition"] = f'attachment; filename="{batch.message_id}.xml"'
        return response


# --- Credit-transfer batches ------------------------------------------------------------


class CreditTransferInput(serializers.Serializer):
    execution_date = serializers.DateField()
    supplier_invoices = ListField(child=serializers.IntegerField(min_value=1))


class CreditTransferItemOutput(serializers.Serializer):
    supplier = serializers.IntegerField(source="supplier_id")
    supplier_invoice = serializers.IntegerField(source="supplier_invoice_id", allow_null=True)
    amount = MoneyField()
    end_to_end_id = serializers.CharField()
    posted = serializers.SerializerMethodField()

    def get_posted(self, item) -> bool:
        return item.entry_id is not None


class CreditTransferOutput(serializers.Serializer):
    id = serializers.IntegerField()
    execution_date = serializers.DateField()
    status = serializers.CharField()
    message_id = serializers.CharField()
    count = serializers.IntegerField()
    total = MoneyField()
    items = CreditTransferItemOutput(many=True, source="item_rows")


class CreditTransferViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = CreditTransferOutput
    permission_classes = [ActionRoles]
    default_roles = COORDINATOR_ONLY
    scoped_model = CreditTransferBatch
    shop_field = None  # the cooperative's payments to its suppliers; coordinators only

    def get_queryset(self):
        return selectors.credit_transfer_batch_list(user=self.request.user)

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        batches = _with_items(page, selectors.credit_transfer_items)
        return self.get_paginated_response(CreditTransferOutput(batches, many=True).data)

    def retrieve(self, request, pk=None):
        (batch,) = _with_items([self.get_object()], selectors.credit_transfer_items)
        return Response(CreditTransferOutput(batch).data)

    @extend_schema(request=CreditTransferInput, responses={201: CreditTransferOutput})
    def create(self, request):
        serializer = CreditTransferInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        batch = credit_transfer_batch_prepare(
            execution_date=data["execution_date"],
            supplier_invoice_ids=data["supplier_invoices"],
            user=request.user,
        )
        (batch,) = _with_items([batch], selectors.credit_transfer_items)
        return Response(CreditTransferOutput(batch).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/xml"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def xml(self, request, pk=None):
        """The pain.001.001.03 file to upload to the bank (the batch is then `sent`)."""
        batch = self.get_object()
        response = HttpResponse(
            credit_transfer_batch_file(batch=batch), content_type="application/xml"
        )
        response["Content-Disposition"] = f'attachment; filename="{batch.message_id}.xml"'
        return response
