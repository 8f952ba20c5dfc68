"""A shop's account with the cooperative (docs/shop-account.md, docs/api.md "Money"):

    GET /api/shops/{id}/account/?from=YYYY-MM-DD&to=YYYY-MM-DD&format=json|pdf|csv

Every role, within its scope (another shop's account: 404). Positive balance: the shop
owes the cooperative.
"""

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting.apis.statements import FormatIsOurs
from mache.fields import MoneyField
from mache.permissions import ActionRoles
from shops.models import Shop
from shops.selectors import shop_list

from ..pdf import shop_account_pdf
from ..selectors import shop_account
from ..statement import shop_account_csv, shop_account_filename

FILES = {
    "pdf": ("application/pdf", shop_account_pdf),
    "csv": ("text/csv; charset=utf-8", shop_account_csv),
}


class AccountQuery(serializers.Serializer):
    """?from=&to=&format= (from and to are Python keywords: renamed on the way in)."""

    start = serializers.DateField(input_formats=["%Y-%m-%d"], required=False)
    end = serializers.DateField(input_formats=["%Y-%m-%d"], required=False)
    format = serializers.ChoiceField(choices=["json", *FILES], default="json")

    NAMES = {"start": "from", "end": "to"}

    def to_internal_value(self, data):
        data = {
            name: data.get(self.NAMES.get(name, name))
            for name in ("start", "end", "format")
            if data.get(self.NAMES.get(name, name)) not in (None, "")
        }
        try:
            values = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(
                {self.NAMES.get(key, key): value for key, value in exc.detail.items()}
            ) from exc
        if values.get("start") and values.get("end") and values["start"] > values["end"]:
            raise serializers.ValidationError(
                {"from": ["La date de début (from) suit la date de fin (to)."]}
            )
        return values


class AccountLineOutput(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.CharField()
    ref = serializers.CharField()
    debit = MoneyField()
    credit = MoneyField()
    balance = MoneyField(max_digits=17)
    letter = serializers.CharField()


class OpenItemOutput(serializers.Serializer):
    kind = serializers.CharField()
    ref = serializers.CharField()
    invoice = serializers.IntegerField(allow_null=True)
    date = serializers.DateField(allow_null=True)
    due_on = serializers.DateField(allow_null=True)
    amount = MoneyField()


class ShopAccountOutput(serializers.Serializer):
    shop = serializers.IntegerField(source="shop.pk")
    opening_balance = MoneyField(max_digits=17)
    lines = AccountLineOutput(many=True)
    closing_balance = MoneyField(max_digits=17)
    open_items = OpenItemOutput(many=True)


class ShopAccountView(APIView):
    permission_classes = [ActionRoles]  # every role; the shop's scope does the rest
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FormatIsOurs  # `format` is ours: json, pdf or csv
    scoped_model = Shop
    shop_field = "pk"

    @extend_schema(
        parameters=[AccountQuery],
        responses={
            (200, "application/json"): ShopAccountOutput,
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
        },
    )
    def get(self, request, pk):
        shop = shop_list(user=request.user).filter(pk=pk).first()
        if shop is None:
            raise Http404
        query = AccountQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        account = shop_account(shop=shop, start=params.get("start"), end=params.get("end"))
        if params["format"] == "json":
            return Response(ShopAccountOutput(account).data)
        content_type, render = FILES[params["format"]]
        response = HttpResponse(render(account), content_type=content_type)
        name = shop_account_filename(account, params["format"])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
