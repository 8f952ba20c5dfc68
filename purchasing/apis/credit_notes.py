"""Credit notes (avoirs) on the shops' invoices: `/api/credit-notes/` (docs/credit-notes.md).

Scoped like the invoices (a shop's users see its credit notes, an accountant those of
the shops assigned); only the coordinator issues one.
"""

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from catalogue.models import MAX_UNITS
from mache.documents import document_response
from mache.errors import InvalidInput
from mache.fields import MoneyField, UnitPriceField, VatRateField
from mache.limits import MAX_LIST_ITEMS
from mache.permissions import COORDINATOR_ONLY, ActionRoles

from .. import credit_note_rules, einvoice_rules, selectors
from ..documents import credit_note_pdf_document, credit_note_xml_document
from ..models import CreditNote
from ..services.credit_notes import credit_note_issue


class CreditNoteLineInput(serializers.Serializer):
    """Units of an invoice line (`invoice_line`, `quantity`, `return_to_supplier`), or an
    amount excl. VAT at a VAT rate (`label`, `amount_excl_vat`, `vat_rate`; `kind`, not in
    the contract: goods, shipping or fee, the accounts it is posted to; without it, the
    amount goes to what remains at its rate, shipping, then fee, then goods)."""

    invoice_line = serializers.IntegerField(min_value=1, required=False)
    quantity = serializers.IntegerField(min_value=1, max_value=10 * MAX_UNITS, required=False)
    return_to_supplier = serializers.BooleanField(required=False, default=False)
    label = serializers.CharField(max_length=200, required=False)
    amount_excl_vat = MoneyField(min_value=Decimal("0.01"), required=False)
    vat_rate = VatRateField(required=False)
    kind = serializers.ChoiceField(choices=list(credit_note_rules.KINDS), required=False)

    def to_internal_value(self, data):
        attrs = super().to_internal_value(data)
        # Which of the two shapes was sent: the keys given, not the defaults.
        attrs["_given"] = set(data)
        return attrs

    def validate(self, attrs):
        given = attrs.pop("_given")
        if "invoice_line" in given:
            mixed = sorted(given & {"label", "amount_excl_vat", "vat_rate", "kind"})
            if mixed:
                raise serializers.ValidationError(
                    {
                        name: ["Une ligne reprend des unités ou crédite un montant, pas les deux."]
                        for name in mixed
                    }
                )
            if "quantity" not in attrs:
                raise serializers.ValidationError({"quantity": ["Indiquez les unités reprises."]})
            return attrs
        missing = [name for name in ("label", "amount_excl_vat", "vat_rate") if name not in attrs]
        if missing:
            raise serializers.ValidationError(
                {
                    name: [
                        "Champ obligatoire : une ligne reprend les unités d'une ligne de facture "
                        "(invoice_line, quantity) ou crédite un montant (label, "
                        "amount_excl_vat, vat_rate)."
                    ]
                    for name in missing
                }
            )
        if "quantity" in given:
            raise serializers.ValidationError(
                {"quantity": ["Des unités se reprennent sur une ligne de facture (invoice_line)."]}
            )
        return attrs


class CreditNoteInput(serializers.Serializer):
    invoice = serializers.IntegerField(min_value=1)
    reason = serializers.CharField(max_length=300)
    lines = CreditNoteLineInput(many=True, allow_empty=False, max_length=MAX_LIST_ITEMS)
    issued_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Par défaut : aujourd'hui"
    )


class CreditNoteLineOutput(serializers.Serializer):
    invoice_line = serializers.IntegerField(source="invoice_line_id", allow_null=True)
    kind = serializers.CharField()
    label = serializers.CharField()
    product = serializers.IntegerField(source="product_id", allow_null=True)
    quantity = serializers.IntegerField(allow_null=True)
    unit_price = UnitPriceField(allow_null=True)
    amount = MoneyField()
    vat_rate = VatRateField()
    return_to_supplier = serializers.BooleanField()


class CreditNoteVatOutput(serializers.Serializer):
    rate = VatRateField()
    base = MoneyField()
    amount = MoneyField()


class CreditNoteOutput(serializers.ModelSerializer):
    lines = CreditNoteLineOutput(many=True)
    vat = CreditNoteVatOutput(many=True, source="vat_lines")
    total_excl_vat = MoneyField()
    total_vat = MoneyField()
    total_incl_vat = MoneyField()
    # Issue 15: the e-invoicing lifecycle (docs/e-invoicing.md), annotated by the selector.
    einvoice_status = serializers.ChoiceField(choices=einvoice_rules.STATUS_CHOICES, read_only=True)

    class Meta:
        model = CreditNote
        fields = [
            "id",
            "number",
            "invoice",
            "shop",
            "issued_on",
            "lines",
            "vat",
            "total_excl_vat",
            "total_vat",
            "total_incl_vat",
            "einvoice_status",
        ]


class CreditNoteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CreditNoteOutput
    permission_classes = [ActionRoles]
    action_roles = {"create": COORDINATOR_ONLY}
    scoped_model = CreditNote
    shop_field = "shop"
    filterset_fields = ["shop", "invoice"]

    def get_queryset(self):
        return selectors.credit_note_list(user=self.request.user)

    @extend_schema(request=CreditNoteInput, responses={201: CreditNoteOutput})
    def create(self, request):
        serializer = CreditNoteInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        invoice = selectors.invoice_list(user=request.user).filter(pk=data["invoice"]).first()
        if invoice is None:
            raise InvalidInput({"invoice": [f"Facture {data['invoice']} inconnue."]})
        credit_note = credit_note_issue(
            invoice_id=invoice.pk,
            reason=data["reason"],
            lines=data["lines"],
            issued_on=data["issued_on"],
            user=request.user,
        )
        return Response(
            CreditNoteOutput(self.get_queryset().get(pk=credit_note.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        """The Factur-X PDF as issued (docs/documents.md): the same bytes every time."""
        return document_response(credit_note_pdf_document(self.get_object()), request)

    @extend_schema(responses={(200, "application/xml"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def xml(self, request, pk=None):
        """The CII XML alone (Factur-X EN 16931), the same as the PDF embeds, as issued."""
        return document_response(credit_note_xml_document(self.get_object()), request)
