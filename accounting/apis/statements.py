"""Statements of a ledger over a period (docs/postings.md, Statements):

    GET /api/statements/<statement>/?shop=<id>|coop&from=YYYY-MM-DD&to=YYYY-MM-DD
        &format=json|csv|xlsx|pdf    (the journal also takes &journal=<code>)
    GET /api/statements/aged-balance/?shop=&side=customers|suppliers&at=YYYY-MM-DD&format=

Every role reads the statements of the ledgers it sees (accounting.selectors.ledger_for:
404 for another shop's, `coop` for coordinators only). JSON follows docs/api.md; the three
files come from the statement's neutral table (accounting.renderers).
"""

from django.http import HttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from mache.fields import MoneyField
from mache.periods import paris_today
from mache.permissions import ActionRoles

from ..renderers import FORMATS
from ..selectors import COOP, ledger_for
from ..statements import (
    aged_balance,
    balance_sheet,
    general_ledger,
    income_statement,
    journal_statement,
    trial_balance,
    vat_statement,
)
from ..statements.aged_balance import CUSTOMERS, SUPPLIERS


class ContractNames:
    """Serializer fields the contract names `from` and `to`, Python keywords: declared
    as date_from and date_to, read and written under the contract's names."""

    NAMES = {"date_from": "from", "date_to": "to"}

    def get_fields(self):
        return {self.NAMES.get(name, name): field for name, field in super().get_fields().items()}


# --- Input ----------------------------------------------------------------------------


class StatementQuery(ContractNames, serializers.Serializer):
    """?shop=<id>|coop&from=YYYY-MM-DD&to=YYYY-MM-DD&format=json|csv|xlsx|pdf"""

    shop = serializers.CharField(
        max_length=20,
        help_text="Identifiant du commerce, ou « coop » pour les livres de la coopérative.",
    )
    date_from = serializers.DateField(
        source="date_from",
        input_formats=["%Y-%m-%d"],
        help_text="Premier jour de la période (AAAA-MM-JJ).",
    )
    date_to = serializers.DateField(
        source="date_to",
        input_formats=["%Y-%m-%d"],
        help_text="Dernier jour de la période (AAAA-MM-JJ).",
    )
    format = serializers.ChoiceField(choices=["json", *FORMATS], default="json")

    def validate(self, data):
        if data["date_from"] > data["date_to"]:
            raise serializers.ValidationError(
                {"from": ["La date de début (from) suit la date de fin (to)."]}
            )
        return data


class AgedBalanceQuery(serializers.Serializer):
    """?shop=<id>|coop&side=customers|suppliers&at=YYYY-MM-DD&format=json|csv|xlsx|pdf"""

    shop = serializers.CharField(
        max_length=20,
        help_text="Identifiant du commerce, ou « coop » pour les livres de la coopérative.",
    )
    side = serializers.ChoiceField(
        choices=[CUSTOMERS, SUPPLIERS], help_text="customers (411) ou suppliers (401)."
    )
    at = serializers.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        help_text="Date à laquelle les soldes sont âgés (AAAA-MM-JJ) ; aujourd'hui par défaut.",
    )
    format = serializers.ChoiceField(choices=["json", *FORMATS], default="json")

    def validate(self, data):
        return {**data, "at": data.get("at") or paris_today()}


class JournalQuery(StatementQuery):
    journal = serializers.CharField(
        required=False, max_length=10, help_text="Code d'un journal : VTE, ACH…"
    )


# --- Output ---------------------------------------------------------------------------


def total(**kwargs):
    # Sums over a whole ledger may pass the 10 digits of a line's amount.
    return MoneyField(max_digits=17, **kwargs)


class StatementOutput(ContractNames, serializers.Serializer):
    """A statement of a ledger (`shop`: the shop's id, or "coop") over [from, to]."""

    shop = serializers.SerializerMethodField()
    date_from = serializers.DateField(source="date_from")
    date_to = serializers.DateField(source="date_to")

    def get_shop(self, statement) -> int | str:
        return statement.ledger.shop_id or COOP


class TrialBalanceLineOutput(serializers.Serializer):
    account = serializers.CharField()
    label = serializers.CharField()
    debit = total()
    credit = total()
    balance = total()


class TrialBalanceOutput(StatementOutput):
    accounts = TrialBalanceLineOutput(many=True)
    total_debit = total()
    total_credit = total()


class LedgerLineOutput(serializers.Serializer):
    date = serializers.DateField()
    journal = serializers.CharField()
    entry = serializers.CharField()
    piece_ref = serializers.CharField()
    label = serializers.CharField()
    auxiliary = serializers.CharField(allow_null=True)
    debit = MoneyField()
    credit = MoneyField()
    balance = total()
    letter = serializers.CharField(help_text="Lettre de lettrage ; vide si non lettrée.")


class AccountLedgerOutput(serializers.Serializer):
    account = serializers.CharField()
    label = serializers.CharField()
    opening_balance = total()
    lines = LedgerLineOutput(many=True)
    total_debit = total()
    total_credit = total()
    closing_balance = total()


class GeneralLedgerOutput(StatementOutput):
    accounts = AccountLedgerOutput(many=True)
    total_debit = total()
    total_credit = total()


class JournalLineOutput(serializers.Serializer):
    account = serializers.CharField()
    auxiliary = serializers.CharField(allow_null=True)
    label = serializers.CharField()
    debit = MoneyField()
    credit = MoneyField()


class JournalEntryOutput(serializers.Serializer):
    entry = serializers.CharField()
    number = serializers.IntegerField()
    date = serializers.DateField()
    label = serializers.CharField()
    piece_ref = serializers.CharField()
    lines = JournalLineOutput(many=True)


class JournalSectionOutput(serializers.Serializer):
    journal = serializers.CharField()
    label = serializers.CharField()
    entries = JournalEntryOutput(many=True)
    total_debit = total()
    total_credit = total()


class JournalOutput(StatementOutput):
    journals = JournalSectionOutput(many=True)
    total_debit = total()
    total_credit = total()


class AccountAmountOutput(serializers.Serializer):
    account = serializers.CharField()
    label = serializers.CharField()
    amount = total()


class GroupOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    amount = total()
    accounts = AccountAmountOutput(many=True)


class IncomeStatementOutput(StatementOutput):
    sales_of_goods = total(source="amounts.sales_of_goods")
    other_sales = total(source="amounts.other_sales")
    other_income = total(source="amounts.other_income")
    purchases_of_goods = total(source="amounts.purchases_of_goods")
    stock_variation = total(source="amounts.stock_variation")
    gross_margin = total()
    margin_rate = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="Marge brute / ventes de marchandises, en %, null sans vente.",
    )
    external_charges = total(source="amounts.external_charges")
    other_charges = total(source="amounts.other_charges")
    total_income = total()
    total_charges = total()
    result = total()
    income = GroupOutput(many=True)
    charges = GroupOutput(many=True)


class VatLineOutput(serializers.Serializer):
    rate = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    base = total()
    amount = total()


class Ca3LineOutput(serializers.Serializer):
    line = serializers.CharField(help_text="Code de la ligne du formulaire 3310-CA3-SD.")
    label = serializers.CharField()
    base = total(allow_null=True)
    tax = total(allow_null=True)


class VatOutput(StatementOutput):
    collected = VatLineOutput(many=True)
    total_collected_base = total()
    total_collected = total()
    deductible = VatLineOutput(many=True)
    total_deductible_base = total()
    total_deductible = total()
    net_due = total(help_text="TVA collectée - TVA déductible ; négative : crédit de TVA.")
    ca3 = Ca3LineOutput(many=True)


class SheetLineOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    amount = total()


class BalanceSheetOutput(StatementOutput):
    assets = SheetLineOutput(many=True)
    equity_and_liabilities = SheetLineOutput(many=True)
    total_assets = total()
    total_equity_and_liabilities = total()


class AgedAccountOutput(serializers.Serializer):
    aux = serializers.CharField(help_text="Compte auxiliaire ; vide pour les lignes sans tiers.")
    label = serializers.CharField()
    not_due = total()
    days_0_30 = total()
    days_31_60 = total()
    days_61_90 = total()
    over_90 = total()
    total = total()


class AgedTotalsOutput(serializers.Serializer):
    not_due = total()
    days_0_30 = total()
    days_31_60 = total()
    days_61_90 = total()
    over_90 = total()
    total = total()


class AgedBalanceOutput(serializers.Serializer):
    shop = serializers.SerializerMethodField()
    side = serializers.CharField()
    at = serializers.DateField()
    accounts = AgedAccountOutput(many=True)
    totals = AgedTotalsOutput()

    def get_shop(self, statement) -> int | str:
        return statement.ledger.shop_id or COOP


# --- Views ----------------------------------------------------------------------------


class FormatIsOurs(BaseContentNegotiation):
    """`format` is this API's parameter, not DRF's renderer override (which would answer
    404 to format=xlsx): JSON is the one renderer, files are plain responses."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class StatementView(APIView):
    permission_classes = [ActionRoles]  # every role; the ledger's scope does the rest
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FormatIsOurs
    query = StatementQuery
    compute = None  # the statement's computation: (*, ledger, date_from, date_to, ...)
    output = None

    def get(self, request):
        query = self.query(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = dict(query.validated_data)
        shop, file_format = params.pop("shop"), params.pop("format")
        ledger = ledger_for(user=request.user, shop_param=shop)
        statement = type(self).compute(ledger=ledger, **params)
        if file_format == "json":
            return Response(self.output(statement).data)
        return statement_file(statement, FORMATS[file_format])


def statement_file(statement, file_format) -> HttpResponse:
    table = statement.table()
    response = HttpResponse(file_format.render(table), content_type=file_format.content_type)
    name = statement_filename(statement.ledger, table, file_format)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def statement_filename(ledger, table, file_format) -> str:
    """`balance-<shop id or coop>-<from>-<to>.pdf`: the download's name, and the name in
    the yearly archive (worker.archive)."""
    return (
        f"{table.slug}-{ledger.shop_id or COOP}-{table.date_from:%Y-%m-%d}-"
        f"{table.date_to:%Y-%m-%d}.{file_format.extension}"
    )


def documented(output, query=StatementQuery):
    files = {
        (200, f.content_type.split(";")[0]): OpenApiResponse(
            OpenApiTypes.BINARY, description=f"Le relevé en {f.extension.upper()}."
        )
        for f in FORMATS.values()
    }
    return extend_schema_view(
        get=extend_schema(
            parameters=[query],
            responses={(200, "application/json"): output, **files},
            description="JSON, ou un fichier CSV, XLSX ou PDF selon `format`.",
        )
    )


@documented(TrialBalanceOutput)
class TrialBalanceView(StatementView):
    compute = staticmethod(trial_balance)
    output = TrialBalanceOutput


@documented(GeneralLedgerOutput)
class GeneralLedgerView(StatementView):
    compute = staticmethod(general_ledger)
    output = GeneralLedgerOutput


@documented(JournalOutput, JournalQuery)
class JournalView(StatementView):
    query = JournalQuery
    compute = staticmethod(journal_statement)
    output = JournalOutput


@documented(IncomeStatementOutput)
class IncomeStatementView(StatementView):
    compute = staticmethod(income_statement)
    output = IncomeStatementOutput


@documented(VatOutput)
class VatView(StatementView):
    compute = staticmethod(vat_statement)
    output = VatOutput


@documented(BalanceSheetOutput)
class BalanceSheetView(StatementView):
    compute = staticmethod(balance_sheet)
    output = BalanceSheetOutput


@documented(AgedBalanceOutput, AgedBalanceQuery)
class AgedBalanceView(StatementView):
    query = AgedBalanceQuery
    compute = staticmethod(aged_balance)
    output = AgedBalanceOutput


urlpatterns = [
    path("statements/trial-balance/", TrialBalanceView.as_view(), name="statement-trial-balance"),
    path(
        "statements/general-ledger/", GeneralLedgerView.as_view(), name="statement-general-ledger"
    ),
    path("statements/journal/", JournalView.as_view(), name="statement-journal"),
    path(
        "statements/income-statement/",
        IncomeStatementView.as_view(),
        name="statement-income-statement",
    ),
    path("statements/vat/", VatView.as_view(), name="statement-vat"),
    path("statements/balance-sheet/", BalanceSheetView.as_view(), name="statement-balance-sheet"),
    path("statements/aged-balance/", AgedBalanceView.as_view(), name="statement-aged-balance"),
]
