"""Stock fed by the till, and orders fed by the stock: the till export import and the
suggested order of a round."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from mache.fields import ShopField
from mache.permissions import ActionRoles
from purchasing.models import Round
from purchasing.selectors import round_list

from ..suggestion import check_round_suggestible, round_suggestion
from ..till_export import sales_import
from .stock import SHOP_PARAM, STOCK_WRITERS, shop_from_query


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

    @extend_schema(request={"multipart/form-data": SalesImportInput},
                   responses={201: SalesImportOutput})
    def post(self, request):
        serializer = SalesImportInput(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        result = sales_import(user=request.user, **serializer.validated_data)
        return Response(SalesImportOutput(result).data, status=status.HTTP_201_CREATED)


class SuggestionLineOutput(serializers.Serializer):
    product = serializers.IntegerField()
    name = serializers.CharField()
    sku = serializers.CharField()
    case_size = serializers.IntegerField()
    on_hand = serializers.IntegerField()
    sold_28_days = serializers.IntegerField()
    average_daily_sales = serializers.DecimalField(max_digits=12, decimal_places=2)
    horizon_days = serializers.IntegerField()
    covers_until = serializers.DateField()
    suggested_quantity = serializers.IntegerField()


class SuggestionOutput(serializers.Serializer):
    round = serializers.IntegerField()
    shop = serializers.IntegerField()
    delivery_date = serializers.DateField()
    covers_until = serializers.DateField()
    horizon_days = serializers.IntegerField()
    products = SuggestionLineOutput(many=True)


class RoundSuggestionView(APIView):
    """GET ?shop=: the suggested order of a shop in an open round (a read: every role)."""

    # Rounds are the cooperative's (every member sees them); the shop comes from ?shop=.
    scoped_model = Round
    shop_field = None

    @extend_schema(parameters=[SHOP_PARAM], responses=SuggestionOutput)
    def get(self, request, pk):
        round_ = get_object_or_404(round_list(user=request.user), pk=pk)
        # Before the shop: a closed round is closed whichever shop asks.
        check_round_suggestible(round_)
        shop = shop_from_query(request, required=True)
        return Response(SuggestionOutput(round_suggestion(round_=round_, shop=shop)).data)
