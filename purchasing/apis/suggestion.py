"""Orders fed by the stock: the suggested order of a shop in an open round."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.apis.stock import SHOP_PARAM, shop_from_query

from ..models import Round
from ..selectors import round_list
from ..suggestion import check_round_suggestible, round_suggestion


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
