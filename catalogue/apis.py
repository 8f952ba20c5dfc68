"""Suppliers and products: everyone reads, coordinators write."""

from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from mache.fields import MoneyField, UnitPriceField, VatRateField
from mache.limits import MAX_LIST_ITEMS
from mache.permissions import COORDINATOR_ONLY, ActionRoles

from . import local, selectors, services
from .csv_import import catalogue_import
from .labels import LABELS, labels_clean
from .models import MAX_UNITS, Product, Supplier

WRITES = {
    "create": COORDINATOR_ONLY,
    "update": COORDINATOR_ONLY,
    "partial_update": COORDINATOR_ONLY,
    "import_catalogue": COORDINATOR_ONLY,
}


def _local_settings(serializer):
    """The cooperative's hub and radius, read once per response (the root serializer's
    context is shared by every row of a list): catalogue.local."""
    context = serializer.context
    if "local" not in context:
        context["local"] = local.local_settings()
    return context["local"]


class LabelsField(serializers.ListField):
    """Label codes (catalogue.labels): names and codes as typed are accepted ("ab",
    "Label Rouge"), normalised, each kept once; codes always come back."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.CharField(max_length=60))
        kwargs.setdefault("max_length", len(LABELS))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, list) and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        values = super().to_internal_value(data)
        try:
            return labels_clean(values)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


class SupplierSerializer(serializers.ModelSerializer):
    min_order_amount = MoneyField(min_value=Decimal("0"))
    free_shipping_threshold = MoneyField(min_value=Decimal("0"), allow_null=True, required=False)
    shipping_fee = MoneyField(min_value=Decimal("0"))
    # Where it produces (docs/local-producers.md): decimal degrees, both or neither, in
    # France (the model's clean, through the service: 400 on `latitude`).
    latitude = serializers.DecimalField(
        max_digits=8, decimal_places=5, allow_null=True, required=False
    )
    longitude = serializers.DecimalField(
        max_digits=8, decimal_places=5, allow_null=True, required=False
    )
    labels = LabelsField()
    distance_km = serializers.SerializerMethodField()
    local = serializers.SerializerMethodField()

    class Meta:
        model = Supplier
        fields = [
            "id",
            "name",
            "siret",
            "email",
            "address",
            "min_order_amount",
            "free_shipping_threshold",
            "shipping_fee",
            "kind",
            "commune",
            "latitude",
            "longitude",
            "labels",
            "distance_km",
            "local",
        ]

    # "12.4" (one decimal), or null without the supplier's or the hub's coordinates.
    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_distance_km(self, supplier) -> str | None:
        distance = local.supplier_distance_km(supplier, _local_settings(self))
        return None if distance is None else f"{distance:.1f}"

    def get_local(self, supplier) -> bool:
        return local.supplier_is_local(supplier, _local_settings(self))


class TierSerializer(serializers.Serializer):
    min_cases = serializers.IntegerField(min_value=1, max_value=MAX_UNITS)
    unit_price = UnitPriceField(min_value=Decimal("0.0001"))


class ProductSerializer(serializers.ModelSerializer):
    supplier = serializers.PrimaryKeyRelatedField(queryset=Supplier.objects.all())
    case_size = serializers.IntegerField(min_value=1, max_value=MAX_UNITS)
    unit_price = UnitPriceField(min_value=Decimal("0.0001"))
    vat_rate = VatRateField()
    price_tiers = TierSerializer(many=True, required=False, max_length=MAX_LIST_ITEMS)
    # The product's own labels (empty: its supplier's apply); `organic` and `local` are
    # the effective ones (catalogue.local, docs/local-producers.md).
    labels = LabelsField()
    organic = serializers.SerializerMethodField()
    local = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "id",
            "supplier",
            "sku",
            "name",
            "unit_label",
            "case_size",
            "unit_price",
            "vat_rate",
            "price_tiers",
            "active",
            "origin",
            "labels",
            "organic",
            "local",
        ]
        validators = []  # (supplier, sku) uniqueness is judged by the service, on `sku`

    def get_organic(self, product) -> bool:
        return local.product_is_organic(product)

    def get_local(self, product) -> bool:
        return local.product_is_local(product, _local_settings(self))


class CatalogueImportInput(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False)


class CatalogueImportOutput(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


class SupplierViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = SupplierSerializer
    permission_classes = [ActionRoles]
    action_roles = WRITES
    scoped_model = Supplier
    shop_field = None  # the cooperative's catalogue: shared by every member

    def get_queryset(self):
        return selectors.supplier_list(user=self.request.user)

    def create(self, request):
        serializer = SupplierSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        supplier = services.supplier_create(data=serializer.validated_data)
        return Response(SupplierSerializer(supplier).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        supplier = self.get_object()
        serializer = SupplierSerializer(supplier, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        supplier = services.supplier_update(supplier=supplier, data=serializer.validated_data)
        return Response(SupplierSerializer(supplier).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    @extend_schema(
        request={"multipart/form-data": CatalogueImportInput}, responses=CatalogueImportOutput
    )
    @action(detail=True, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_catalogue(self, request, pk=None):
        """CSV of the supplier's catalogue (sku;name;unit_label;case_size;unit_price;vat_rate;
        price_tiers;active): every row is created or updated by SKU, or none is."""
        supplier = self.get_object()
        serializer = CatalogueImportInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = catalogue_import(supplier=supplier, file=serializer.validated_data["file"])
        return Response(CatalogueImportOutput(result).data)


class ProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ProductSerializer
    permission_classes = [ActionRoles]
    action_roles = WRITES
    scoped_model = Product
    shop_field = None
    filterset_fields = ["supplier", "active"]

    def get_queryset(self):
        return selectors.product_list(user=self.request.user)

    def create(self, request):
        serializer = ProductSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = services.product_save(product=None, data=serializer.validated_data)
        return Response(
            ProductSerializer(self.get_queryset().get(pk=product.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def update(self, request, pk=None, partial=False):
        product = self.get_object()
        serializer = ProductSerializer(product, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        product = services.product_save(product=product, data=serializer.validated_data)
        return Response(ProductSerializer(self.get_queryset().get(pk=product.pk)).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)
