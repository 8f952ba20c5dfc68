"""Suppliers and products: everyone reads, coordinators write."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from mache.permissions import COORDINATOR_ONLY, ActionRoles

from .. import selectors
from ..models import Product, Supplier
from ..services import catalogue
from ..services.catalogue_import import catalogue_import
from .serializers import ProductSerializer, SupplierSerializer

WRITES = {"create": COORDINATOR_ONLY, "update": COORDINATOR_ONLY,
          "partial_update": COORDINATOR_ONLY, "import_catalogue": COORDINATOR_ONLY}


class CatalogueImportInput(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False)


class CatalogueImportOutput(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


class SupplierViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
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
        supplier = catalogue.supplier_create(data=serializer.validated_data)
        return Response(SupplierSerializer(supplier).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        supplier = self.get_object()
        serializer = SupplierSerializer(supplier, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        supplier = catalogue.supplier_update(supplier=supplier, data=serializer.validated_data)
        return Response(SupplierSerializer(supplier).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    @extend_schema(request={"multipart/form-data": CatalogueImportInput},
                   responses=CatalogueImportOutput)
    @action(detail=True, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_catalogue(self, request, pk=None):
        """CSV of the supplier's catalogue (sku;name;unit_label;case_size;unit_price;vat_rate;
        price_tiers;active): every row is created or updated by SKU, or none is."""
        supplier = self.get_object()
        serializer = CatalogueImportInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = catalogue_import(supplier=supplier, file=serializer.validated_data["file"])
        return Response(CatalogueImportOutput(result).data)


class ProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                     viewsets.GenericViewSet):
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
        product = catalogue.product_save(product=None, data=serializer.validated_data)
        return Response(ProductSerializer(self.get_queryset().get(pk=product.pk)).data,
                        status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        product = self.get_object()
        serializer = ProductSerializer(product, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        product = catalogue.product_save(product=product, data=serializer.validated_data)
        return Response(ProductSerializer(self.get_queryset().get(pk=product.pk)).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)
