"""Fiscal years API (docs/fiscal-years.md): the years of a ledger, closing one (the
coordinator's), the opening balances of a ledger's first year (accountant, coordinator)."""

from decimal import Decimal

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting import years
from accounting.apis.books import SHOP_PARAM, LedgerField, LedgerParamMixin
from accounting.selectors import COOP
from mache.fields import MoneyField
from mache.permissions import ALL_ROLES, BOOKS_ROLES, COORDINATOR_ONLY, ActionRoles


class FiscalYearOutput(serializers.Serializer):
    id = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    status = serializers.ChoiceField(choices=["open", "closed"])


class FiscalYearListView(LedgerParamMixin, APIView):
    """GET ?shop=<id>|coop: the ledger's fiscal years, oldest first (every role; tenancy
    decides: `ledger_for` answers 404 for a ledger the caller may not see)."""

    permission_classes = [ActionRoles]
    default_roles = ALL_ROLES

    @extend_schema(parameters=[SHOP_PARAM], responses=FiscalYearOutput(many=True))
    def get(self, request):
        ledger = self.ledger()
        return Response(FiscalYearOutput(years.fiscal_years_ensure(ledger=ledger), many=True).data)


class CloseYearInput(serializers.Serializer):
    shop = LedgerField()
    end = serializers.DateField()


class CloseYearOutput(FiscalYearOutput):
    shop = serializers.SerializerMethodField()
    opening_entry = serializers.IntegerField(source="opening_entry_id", allow_null=True)
    result = MoneyField()

    def get_shop(self, year) -> str | int:
        return year.ledger.shop_id or COOP


class FiscalYearCloseView(APIView):
    """POST {"shop", "end"}: close the year ending on `end` (docs/fiscal-years.md)."""

    permission_classes = [ActionRoles]
    default_roles = COORDINATOR_ONLY

    @extend_schema(request=CloseYearInput, responses=CloseYearOutput)
    def post(self, request):
        serializer = CloseYearInput(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        year = years.fiscal_year_close(
            ledger=serializer.validated_data["shop"],
            end=serializer.validated_data["end"],
            user=request.user,
        )
        return Response(CloseYearOutput(year).data, status=status.HTTP_201_CREATED)


class OpeningLineInput(serializers.Serializer):
    account = serializers.RegexField(
        r"^[0-9]{6,8}$",
        max_length=8,
        error_messages={"invalid": "Numéro de compte de 6 à 8 chiffres."},
    )
    aux = serializers.CharField(max_length=17, required=False, allow_blank=True, default="")
    debit = MoneyField(min_value=Decimal("0"), default=Decimal("0.00"))
    credit = MoneyField(min_value=Decimal("0"), default=Decimal("0.00"))


class OpeningBalancesInput(serializers.Serializer):
    shop = LedgerField()
    date = serializers.DateField()
    lines = OpeningLineInput(many=True, allow_empty=False, max_length=years.MAX_OPENING_LINES)


class OpeningBalancesOutput(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    date = serializers.DateField()
    lines = serializers.IntegerField(source="lines.count")


class OpeningBalancesView(APIView):
    """POST: the AN entry of a ledger's first fiscal year (docs/fiscal-years.md)."""

    permission_classes = [ActionRoles]
    default_roles = BOOKS_ROLES

    @extend_schema(request=OpeningBalancesInput, responses=OpeningBalancesOutput)
    def post(self, request):
        serializer = OpeningBalancesInput(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entry = years.opening_balances_post(
            ledger=data["shop"],
            date=data["date"],
            user=request.user,
            lines=[
                years.OpeningLine(
                    account=line["account"],
                    aux=line["aux"],
                    debit=line["debit"],
                    credit=line["credit"],
                )
                for line in data["lines"]
            ],
        )
        return Response(OpeningBalancesOutput(entry).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("fiscal-years/", FiscalYearListView.as_view(), name="fiscal-year-list"),
    path("fiscal-years/close/", FiscalYearCloseView.as_view(), name="fiscal-year-close"),
    path("opening-balances/", OpeningBalancesView.as_view(), name="opening-balances"),
]
