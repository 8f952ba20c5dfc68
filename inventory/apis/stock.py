"""Stock API: balances, movements, counts, alerts, minimum levels, value at a date."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue.models import MAX_UNITS, Product
from mache.errors import InvalidInput
from mache.fields import MoneyField, UnitPriceField
from mache.limits import MAX_LIST_ITEMS
from mache.periods import paris_today
from mache.permissions import COORDINATOR, SHOPKEEPER, ActionRoles
from shops.fields import ShopField
from shops.selectors import shop_list, visible_shop

from .. import selectors, services
from ..models import StockCount, StockMovement

STOCK_WRITERS = frozenset({COORDINATOR, SHOPKEEPER})
SHOP_PARAM = OpenApiParameter("shop", int, description="Identifiant du commerce")


def shop_from_query(request, *, required: bool):
    """?shop= of a shop the user may see (404 otherwise, as if it did not exist); when
    absent, the user's only shop, or None (or a 400) when they see several."""
    value = request.query_params.get("shop")
    if value is not None:
        shop = visible_shop(user=request.user, shop_id=value)
        if shop is None:
            raise Http404
        return shop
    shops = list(shop_list(user=request.user)[:2])
    if len(shops) == 1:
        return shops[0]
    if required:
        raise InvalidInput({"shop": ["Précisez le commerce (?shop=)."]})
    return None


class ProductField(serializers.PrimaryKeyRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=Product.objects.all(), **kwargs)


class CostField(UnitPriceField):
    """A cost as the API gives it: four decimals, half-up. Costs are stored with eight
    (docs/inventory.md, "Stock at its full cost"); the values, in cents, are exact."""

    def __init__(self, **kwargs):
        kwargs.setdefault("rounding", ROUND_HALF_UP)
        super().__init__(**kwargs)


class BalanceOutput(serializers.Serializer):
    shop = serializers.IntegerField(source="shop_id")
    product = serializers.IntegerField(source="product_id")
    name = serializers.CharField(source="product.name")
    sku = serializers.CharField(source="product.sku")
    quantity = serializers.IntegerField()
    average_cost = CostField()
    value = MoneyField()
    next_expiry = serializers.DateField(allow_null=True)
    # Units of recalled lots: in `quantity`, not to be sold (docs/recalls.md).
    blocked = serializers.IntegerField()
    minimum = serializers.IntegerField(allow_null=True)


class StockViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = BalanceOutput
    permission_classes = [ActionRoles]

    @extend_schema(parameters=[SHOP_PARAM])
    def list(self, request):
        return super().list(request)

    def get_queryset(self):
        queryset = selectors.balance_list(user=self.request.user)
        shop = shop_from_query(self.request, required=False)
        return queryset.filter(shop=shop) if shop else queryset


class MovementInput(serializers.Serializer):
    shop = ShopField()
    product = ProductField()
    kind = serializers.ChoiceField(choices=["sale", "loss", "adjustment"])
    quantity = serializers.IntegerField(min_value=-MAX_UNITS, max_value=MAX_UNITS)
    reason = serializers.ChoiceField(
        choices=StockMovement.Reason.choices, required=False, allow_blank=True, default=""
    )
    lot = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    occurred_on = serializers.DateField(required=False, allow_null=True, default=None)


class MovementOutput(serializers.ModelSerializer):
    unit_cost = CostField()
    average_cost_after = CostField()
    value_after = MoneyField()

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "shop",
            "product",
            "kind",
            "reason",
            "quantity",
            "unit_cost",
            "occurred_at",
            "quantity_after",
            "average_cost_after",
            "value_after",
            "source",
            "count",
            "note",
        ]


class MovementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = MovementOutput
    permission_classes = [ActionRoles]
    action_roles = {"create": STOCK_WRITERS}
    scoped_model = StockMovement
    shop_field = "shop"
    filterset_fields = ["shop", "product", "kind"]

    def get_queryset(self):
        return selectors.movement_list(user=self.request.user)

    @extend_schema(request=MovementInput, responses=MovementOutput)
    def create(self, request):
        serializer = MovementInput(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        movement = services.movement_create(user=request.user, **serializer.validated_data)
        return Response(MovementOutput(movement).data, status=status.HTTP_201_CREATED)


class CountLineInput(serializers.Serializer):
    product = ProductField()
    quantity = serializers.IntegerField(min_value=0, max_value=MAX_UNITS)


class CountInput(serializers.Serializer):
    shop = ShopField()
    counted_on = serializers.DateField(default=paris_today)
    lines = CountLineInput(many=True, allow_empty=False, max_length=MAX_LIST_ITEMS)


class CountLineOutput(serializers.Serializer):
    product = serializers.IntegerField(source="product_id")
    expected = serializers.IntegerField()
    counted = serializers.IntegerField()
    difference = serializers.SerializerMethodField()

    def get_difference(self, line) -> int:
        return line.counted - line.expected


class CountOutput(serializers.ModelSerializer):
    counted_by = serializers.CharField(source="counted_by.username")
    lines = CountLineOutput(many=True)

    class Meta:
        model = StockCount
        fields = ["id", "shop", "counted_on", "counted_by", "created_at", "lines"]


class CountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CountOutput
    permission_classes = [ActionRoles]
    action_roles = {"create": STOCK_WRITERS}
    scoped_model = StockCount
    shop_field = "shop"
    filterset_fields = ["shop"]

    def get_queryset(self):
        return selectors.count_list(user=self.request.user)

    @extend_schema(request=CountInput, responses=CountOutput)
    def create(self, request):
        serializer = CountInput(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        count = services.stock_count_record(user=request.user, **serializer.validated_data)
        return Response(
            CountOutput(self.get_queryset().get(pk=count.pk)).data, status=status.HTTP_201_CREATED
        )


class LotOutput(serializers.Serializer):
    product = serializers.IntegerField(source="product_id")
    name = serializers.CharField(source="product.name")
    lot = serializers.CharField(source="code")
    expires_on = serializers.DateField()
    quantity = serializers.IntegerField(source="remaining")


class LowStockOutput(serializers.Serializer):
    product = serializers.IntegerField(source="product_id")
    name = serializers.CharField(source="product.name")
    quantity = serializers.IntegerField()
    minimum = serializers.IntegerField()


class AlertsOutput(serializers.Serializer):
    shop = serializers.IntegerField()
    expiry_alert_days = serializers.IntegerField()
    expiring = LotOutput(many=True)
    low_stock = LowStockOutput(many=True)


class AlertsView(APIView):
    @extend_schema(parameters=[SHOP_PARAM], responses=AlertsOutput)
    def get(self, request):
        shop = shop_from_query(request, required=True)
        return Response(AlertsOutput(selectors.alerts(shop=shop)).data)


class MinimumInput(serializers.Serializer):
    shop = ShopField()
    product = ProductField()
    minimum = serializers.IntegerField(min_value=0, max_value=MAX_UNITS, allow_null=True)


class MinimumView(APIView):
    """POST {"shop", "product", "minimum"}: the level under which the product is flagged."""

    permission_classes = [ActionRoles]
    default_roles = STOCK_WRITERS

    @extend_schema(request=MinimumInput, responses=BalanceOutput)
    def post(self, request):
        serializer = MinimumInput(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        balance = services.minimum_set(**serializer.validated_data)
        balance = selectors.balance_list(user=request.user).get(pk=balance.pk)
        return Response(BalanceOutput(balance).data)


class ProductValueOutput(serializers.Serializer):
    product = serializers.IntegerField()
    quantity = serializers.IntegerField()
    average_cost = CostField()
    value = MoneyField()


class StockValueOutput(serializers.Serializer):
    shop = serializers.IntegerField()
    date = serializers.DateField()
    value = MoneyField()
    products = ProductValueOutput(many=True)


class StockValueView(APIView):
    """GET ?shop=&date=: the stock and its value at the end of a Paris day."""

    @extend_schema(
        parameters=[SHOP_PARAM, OpenApiParameter("date", dt.date, required=True)],
        responses=StockValueOutput,
    )
    def get(self, request):
        shop = shop_from_query(request, required=True)
        try:
            day = dt.date.fromisoformat(request.query_params.get("date", ""))
        except ValueError:
            raise InvalidInput({"date": ["Date attendue au format AAAA-MM-JJ."]}) from None
        states = selectors.stock_value_at(shop=shop, day=day)
        return Response(
            StockValueOutput(
                {
                    "shop": shop.pk,
                    "date": day,
                    "value": sum((s.value for _, s in states), start=Decimal("0.00")),
                    "products": [
                        {
                            "product": product_id,
                            "quantity": s.quantity,
                            "average_cost": s.average_cost,
                            "value": s.value,
                        }
                        for product_id, s in states
                        if s.quantity
                    ],
                }
            ).data
        )
