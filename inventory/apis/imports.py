"""Stock fed by the till: the till export import."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from mache.permissions import ActionRoles
from shops.fields import ShopField

from ..till_export import sales_import
from .stock import STOCK_WRITERS


class SalesImportInput(serializers.Serializer):
    shop = ShopField()
    file = serializers.FileField(allow_empty_file=False)


class SalesImportOutput(serializers.Serializer):
    movements = serializers.IntegerField()
    units = serializers.IntegerField()


class SalesImportView(APIView):
    """POST multipart {shop, file}: the sales of a till export (CSV date;sku;quantity)."""

    permission_classes = [ActionRoles]
    default_roles = STOCK_WRITERS
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": SalesImportInput}, responses={201: SalesImportOutput}
    )
    def post(self, request):
        serializer = SalesImportInput(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        result = sales_import(user=request.user, **serializer.validated_data)
        return Response(SalesImportOutput(result).data, status=status.HTTP_201_CREATED)
