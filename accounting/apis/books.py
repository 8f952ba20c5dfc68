"""Books API: accounts, journals, entries (manual ones and reversals), closing a month."""

import datetime as dt
from decimal import Decimal

from django.core.validators import MaxLengthValidator
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from accounting import closing, selectors, services
from accounting.models import Account, Entry, Journal
from mache.errors import InvalidInput
from mache.fields import MoneyField
from mache.limits import MAX_LIST_ITEMS
from mache.periods import parse_month
from mache.permissions import BOOKS_ROLES, COORDINATOR_ONLY, ActionRoles

SHOP_PARAM = OpenApiParameter(
    "shop", str, required=True, description="Identifiant du commerce, ou coop"
)


class LedgerParamMixin:
    """Views of one ledger, named by ?shop= (a shop id or "coop")."""

    def ledger(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no ?shop=
            return None
        value = self.request.query_params.get("shop")
        if value is None:
            raise InvalidInput({"shop": ["Précisez le livre : ?shop=<commerce> ou ?shop=coop."]})
        return selectors.ledger_for(user=self.request.user, shop_param=value)


class LedgerField(serializers.CharField):
    """A ledger in a request body: a shop id or "coop"; one the caller may not see is 400."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        # The length is judged on the text, before it becomes a ledger.
        self.validators = [v for v in self.validators if not isinstance(v, MaxLengthValidator)]

    def to_internal_value(self, data):
        value = str(super().to_internal_value(data))
        if len(value) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        try:
            return selectors.ledger_for(user=self.context["request"].user, shop_param=value)
        except Http404:
            raise serializers.ValidationError(f"Livre « {value} » inconnu.") from None


class AccountOutput(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["number", "label", "kind"]


class AccountViewSet(LedgerParamMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = AccountOutput

    @extend_schema(parameters=[SHOP_PARAM])
    def list(self, request):
        return super().list(request)

    def get_queryset(self):
        ledger = self.ledger()
        return selectors.account_list(ledger=ledger) if ledger else Account.objects.none()


class JournalInfoOutput(serializers.ModelSerializer):
    class Meta:
        model = Journal
        fields = ["code", "label"]


class JournalViewSet(LedgerParamMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = JournalInfoOutput

    @extend_schema(parameters=[SHOP_PARAM])
    def list(self, request):
        return super().list(request)

    def get_queryset(self):
        ledger = self.ledger()
        return selectors.journal_list(ledger=ledger) if ledger else Journal.objects.none()


class EntryLineOutput(serializers.Serializer):
    account = serializers.CharField(source="account.number")
    auxiliary = serializers.CharField(source="auxiliary.code", allow_null=True, default=None)
    label = serializers.CharField()
    debit = MoneyField()
    credit = MoneyField()
    vat_rate = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)


class EntryOutput(serializers.ModelSerializer):
    shop = serializers.SerializerMethodField()
    journal = serializers.CharField(source="journal.code")
    reference = serializers.CharField()
    lines = EntryLineOutput(many=True)

    class Meta:
        model = Entry
        fields = [
            "id",
            "shop",
            "journal",
            "number",
            "reference",
            "date",
            "label",
            "piece_ref",
            "piece_date",
            "lines",
            "reversal_of",
            "posted_at",
        ]

    def get_shop(self, entry) -> str | int:
        return entry.ledger.shop_id or selectors.COOP


class LineInput(serializers.Serializer):
    account = serializers.RegexField(
        r"^[0-9]{6,8}$",
        max_length=8,
        error_messages={"invalid": "Numéro de compte de 6 à 8 chiffres."},
    )
    debit = MoneyField(min_value=Decimal("0"), default=Decimal("0.00"))
    credit = MoneyField(min_value=Decimal("0"), default=Decimal("0.00"))
    label = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    # The third party of a 401/411 line (COOP, F000045, C000123...): the service judges it.
    aux = serializers.CharField(max_length=17, required=False, allow_blank=True, default="")


class EntryInput(serializers.Serializer):
    """A manual entry (docs/postings.md, "Manual entries"): 2 to 500 lines (the service
    counts them; above MAX_LIST_ITEMS the list is refused unread), the piece typed by
    the accountant, one piece date for all the lines (the entry's date by default)."""

    shop = LedgerField()
    journal = serializers.CharField(max_length=3, default="OD")
    date = serializers.DateField()
    label = serializers.CharField(max_length=200)
    piece_ref = serializers.CharField(
        max_length=60,
        error_messages={
            "required": services.PIECE_REF_REQUIRED,
            "blank": services.PIECE_REF_REQUIRED,
        },
    )
    piece_date = serializers.DateField(required=False)
    lines = LineInput(many=True, allow_empty=False, max_length=MAX_LIST_ITEMS)


class ReverseInput(serializers.Serializer):
    date = serializers.DateField(required=False)


class EntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Posted entries are never edited or deleted: PUT, PATCH and DELETE answer 405."""

    serializer_class = EntryOutput
    permission_classes = [ActionRoles]
    action_roles = {"create": BOOKS_ROLES, "reverse": BOOKS_ROLES}
    scoped_model = Entry
    shop_field = "ledger__shop"

    def get_queryset(self):
        queryset = selectors.entry_list(user=self.request.user)
        if self.action != "list":
            return queryset
        params = self.request.query_params
        if "shop" in params:
            queryset = queryset.filter(
                ledger=selectors.ledger_for(user=self.request.user, shop_param=params["shop"])
            )
        errors = {}
        for name, lookup in (("from", "date__gte"), ("to", "date__lte")):
            if params.get(name):
                try:
                    queryset = queryset.filter(**{lookup: dt.date.fromisoformat(params[name])})
                except ValueError:
                    errors[name] = ["Date attendue au format AAAA-MM-JJ."]
        if params.get("journal"):
            queryset = queryset.filter(journal__code=params["journal"])
        if errors:
            raise InvalidInput(errors)
        return queryset

    @extend_schema(
        parameters=[
            SHOP_PARAM,
            OpenApiParameter("from", dt.date),
            OpenApiParameter("to", dt.date),
            OpenApiParameter("journal", str),
        ]
    )
    def list(self, request):
        return super().list(request)

    @extend_schema(request=EntryInput, responses=EntryOutput)
    def create(self, request):
        serializer = EntryInput(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entry = services.manual_entry_post(
            ledger=data["shop"],
            journal=data["journal"],
            date=data["date"],
            label=data["label"],
            piece_ref=data["piece_ref"],
            piece_date=data.get("piece_date"),
            user=request.user,
            lines=[
                services.ManualLineIn(
                    account=ln["account"],
                    debit=ln["debit"],
                    credit=ln["credit"],
                    label=ln["label"],
                    aux=ln["aux"],
                )
                for ln in data["lines"]
            ],
        )
        return Response(
            EntryOutput(self.get_queryset().get(pk=entry.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=ReverseInput, responses=EntryOutput)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        serializer = ReverseInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        reversal = services.entry_reverse(
            entry=self.get_object(), user=request.user, date=serializer.validated_data.get("date")
        )
        return Response(
            EntryOutput(self.get_queryset().get(pk=reversal.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class CloseInput(serializers.Serializer):
    shop = LedgerField()
    month = serializers.CharField(max_length=7)

    def validate_month(self, value):
        try:
            return parse_month(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


class PeriodCloseView(APIView):
    """POST {"shop", "month": "2026-10"}: the month accepts no entry afterwards.

    Closing is the coordinator's alone (docs/postings.md): an accountant posts and
    reverses entries but may not lock a month for good."""

    permission_classes = [ActionRoles]
    default_roles = COORDINATOR_ONLY

    @extend_schema(request=CloseInput, responses=None)
    def post(self, request):
        serializer = CloseInput(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        period = closing.period_close(
            ledger=serializer.validated_data["shop"],
            month=serializer.validated_data["month"],
            user=request.user,
        )
        return Response(
            {
                "shop": period.ledger.shop_id or selectors.COOP,
                "month": f"{period.month:%Y-%m}",
                "closed_at": period.closed_at,
            },
            status=status.HTTP_201_CREATED,
        )


router = SimpleRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("journals", JournalViewSet, basename="journal")
router.register("entries", EntryViewSet, basename="entry")

urlpatterns = [path("periods/close/", PeriodCloseView.as_view(), name="period-close"), *router.urls]
