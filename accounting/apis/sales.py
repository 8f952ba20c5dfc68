"""Z tickets: `POST /api/sales/` (one day) and `POST /api/sales/import/` (a CSV of days).

Coordinators and shopkeepers record them; accountants post manual entries, not tickets.
"""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from mache.fields import MoneyField, VatRateField
from mache.limits import MAX_LIST_ITEMS
from mache.money import ZERO
from mache.permissions import COORDINATOR, SHOPKEEPER, ActionRoles
from shops.fields import ShopField

from ..models import SalesDay
from ..sales.rules import MAX_TRANSACTIONS
from ..sales.services import sales_day_record, sales_days_import
from ..selectors import sales_day_list

SALES_WRITERS = frozenset({COORDINATOR, SHOPKEEPER})


class SalesLineInput(serializers.Serializer):
    vat_rate = VatRateField()
    amount_incl_vat = MoneyField(min_value=ZERO)


class SalesPaymentsInput(serializers.Serializer):
    cash = MoneyField(min_value=ZERO, default=ZERO)
    card = MoneyField(min_value=ZERO, default=ZERO)
    other = MoneyField(min_value=ZERO, default=ZERO)


class SalesDayInput(serializers.Serializer):
    shop = ShopField()
    date = serializers.DateField()
    lines = SalesLineInput(many=True, allow_empty=False, max_length=MAX_LIST_ITEMS)
    payments = SalesPaymentsInput()
    transactions = serializers.IntegerField(
        min_value=0,
        max_value=MAX_TRANSACTIONS,
        required=False,
        allow_null=True,
        help_text="Nombre de ventes comptées par la caisse ce jour-là (e-reporting B2C).",
    )


class SalesLineOutput(serializers.Serializer):
    vat_rate = VatRateField()
    amount_incl_vat = MoneyField()


class SalesPaymentsOutput(serializers.Serializer):
    cash = MoneyField()
    card = MoneyField()
    other = MoneyField()


class SalesEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()


class SalesDayOutput(serializers.ModelSerializer):
    lines = SalesLineOutput(many=True)
    payments = SalesPaymentsOutput(source="*")
    total_incl_vat = MoneyField()
    entry = SalesEntryOutput()

    class Meta:
        model = SalesDay
        fields = [
            "id",
            "shop",
            "date",
            "lines",
            "payments",
            "transactions",
            "total_incl_vat",
            "entry",
        ]


class SalesDayView(mixins.ListModelMixin, generics.GenericAPIView):
    """GET the Z tickets that stand (?shop=, ?date=), latest first; POST a shop's Z
    ticket: recorded and posted to its books (journal VTE) at once."""

    serializer_class = SalesDayOutput
    permission_classes = [ActionRoles]
    action_roles = {"post": SALES_WRITERS}
    scoped_model = SalesDay
    shop_field = "shop"
    filterset_fields = ["shop", "date"]

    def get_queryset(self):
        return sales_day_list(user=self.request.user)

    def get(self, request):
        return self.list(request)

    @extend_schema(request=SalesDayInput, responses={201: SalesDayOutput})
    def post(self, request):
        serializer = SalesDayInput(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        sales_day = sales_day_record(user=request.user, **serializer.validated_data)
        return Response(SalesDayOutput(sales_day).data, status=status.HTTP_201_CREATED)


class ZTicketImportInput(serializers.Serializer):
    shop = ShopField()
    file = serializers.FileField(allow_empty_file=False)


class ZTicketImportOutput(serializers.Serializer):
    days = serializers.IntegerField()
    total_incl_vat = MoneyField()


class ZTicketImportView(APIView):
    """POST multipart {shop, file}: one Z ticket per CSV row, every row or none
    (date;ttc_0;ttc_2_1;ttc_5_5;ttc_10;ttc_20;cash;card;other and an optional transactions,
    see accounting.sales.csv_import)."""

    permission_classes = [ActionRoles]
    default_roles = SALES_WRITERS
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": ZTicketImportInput}, responses={201: ZTicketImportOutput}
    )
    def post(self, request):
        serializer = ZTicketImportInput(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        sales_days = sales_days_import(user=request.user, **serializer.validated_data)
        return Response(
            ZTicketImportOutput(
                {
                    "days": len(sales_days),
                    "total_incl_vat": sum((day.total_incl_vat for day in sales_days), ZERO),
                }
            ).data,
            status=status.HTTP_201_CREATED,
        )


urlpatterns = [
    path("sales/", SalesDayView.as_view(), name="sales-day"),
    path("sales/import/", ZTicketImportView.as_view(), name="sales-import"),
]
