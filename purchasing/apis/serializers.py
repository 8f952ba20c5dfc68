"""Input and output serializers of the purchasing API (field names of docs/api.md)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalogue.models import MAX_UNITS, Supplier
from mache.fields import MoneyField, UnitPriceField, VatRateField
from mache.limits import MAX_LIST_ITEMS
from mache.periods import paris_today

from .. import einvoice_rules
from ..models import Invoice, Order, Round, RoundSchedule
from ..rules import INVOICE_STATUS_CHOICES


class RoundSerializer(serializers.ModelSerializer):
    supplier = serializers.PrimaryKeyRelatedField(queryset=Supplier.objects.all())

    class Meta:
        model = Round
        fields = ["id", "supplier", "opens_at", "closes_at", "delivery_date", "delivery", "status"]
        read_only_fields = ["status"]
        # Where the supplier delivers (docs/distribution.md): "hub" unless told otherwise.
        extra_kwargs = {
            "delivery": {
                "error_messages": {
                    "invalid_choice": "Livraison : hub (la plateforme) ou shops (chaque commerce)."
                }
            }
        }


class RoundUpdateInput(serializers.Serializer):
    """PATCH of an open round: its deadline and delivery day only."""

    closes_at = serializers.DateTimeField(required=False)
    delivery_date = serializers.DateField(required=False)
    delivery = serializers.ChoiceField(
        choices=Round.Delivery.choices,
        required=False,
        error_messages={
            "invalid_choice": "Livraison : hub (la plateforme) ou shops (chaque commerce)."
        },
    )

    def validate(self, attrs):
        # The other fields of a round are fixed once it is open: say so rather than
        # ignore them.
        fixed = {"supplier", "opens_at", "status"} & set(self.initial_data)
        if fixed:
            raise serializers.ValidationError(
                {name: ["Ce champ ne peut pas être modifié."] for name in sorted(fixed)}
            )
        if not attrs:
            raise serializers.ValidationError(
                {
                    "closes_at": [
                        "Indiquez une nouvelle date limite, une date ou un lieu de livraison."
                    ]
                }
            )
        return attrs


class RoundCloneInput(serializers.Serializer):
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    delivery_date = serializers.DateField()


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
        "example": "18:00",
        "description": "Heure de Paris, HH:MM",
    }
)
class ParisTimeField(serializers.TimeField):
    """A wall-clock time in Paris ("18:00"): not an RFC 3339 time, which needs an offset
    that changes with daylight saving."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"], **kwargs)


class RoundScheduleSerializer(serializers.ModelSerializer):
    supplier = serializers.PrimaryKeyRelatedField(queryset=Supplier.objects.all())
    closes_at_time = ParisTimeField()
    weekday = serializers.IntegerField(min_value=0, max_value=6)
    delivery_weekday = serializers.IntegerField(min_value=0, max_value=6)
    opens_days_before = serializers.IntegerField(min_value=1, max_value=28, default=7)
    active = serializers.BooleanField(default=True)

    class Meta:
        model = RoundSchedule
        fields = [
            "id",
            "supplier",
            "weekday",
            "closes_at_time",
            "delivery_weekday",
            "opens_days_before",
            "active",
        ]


class MissingShopSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    commune = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()


class LineSerializer(serializers.Serializer):
    product = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=0, max_value=MAX_UNITS)
    tolerance = serializers.IntegerField(min_value=0, max_value=MAX_UNITS, default=0)


class OrderInput(serializers.Serializer):
    round = serializers.IntegerField(min_value=1)
    shop = serializers.IntegerField(min_value=1, required=False)
    lines = LineSerializer(many=True, allow_empty=False, max_length=MAX_LIST_ITEMS)


class OrderLinesInput(serializers.Serializer):
    lines = LineSerializer(many=True, allow_empty=False, max_length=MAX_LIST_ITEMS)


class OrderOutput(serializers.ModelSerializer):
    lines = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = ["id", "round", "shop", "lines", "created_at", "updated_at"]

    def get_lines(self, order) -> list[dict]:
        return [
            {"product": ln.product_id, "quantity": ln.quantity, "tolerance": ln.tolerance}
            for ln in order.lines.all()
        ]


class FillProductSerializer(serializers.Serializer):
    product = serializers.IntegerField()
    name = serializers.CharField()
    sku = serializers.CharField()
    ordered = serializers.IntegerField()
    tolerance = serializers.IntegerField()
    case_size = serializers.IntegerField()
    cases_if_closed_now = serializers.IntegerField()
    missing_for_next_case = serializers.IntegerField()
    unit_price = UnitPriceField()


class FillSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    status = serializers.CharField()
    closes_at = serializers.DateTimeField()
    total_excl_vat = MoneyField()
    min_order_amount = MoneyField()
    free_shipping_threshold = MoneyField(allow_null=True)
    shipping_if_closed_now = MoneyField()
    products = FillProductSerializer(many=True)


class SupplierOrderLineSerializer(serializers.Serializer):
    product = serializers.IntegerField(source="product_id")
    sku = serializers.CharField(source="product.sku")
    name = serializers.CharField(source="product.name")
    cases = serializers.IntegerField()
    units = serializers.IntegerField()
    unit_price = UnitPriceField()
    amount = MoneyField()
    received_units = serializers.IntegerField(allow_null=True)


class AllocationSerializer(serializers.Serializer):
    shop = serializers.IntegerField(source="shop_id")
    product = serializers.IntegerField(source="product_id")
    quantity = serializers.IntegerField()
    tolerance = serializers.IntegerField()
    allocated = serializers.IntegerField()
    received = serializers.IntegerField(allow_null=True)


class SupplierOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    round = serializers.IntegerField(source="round_id")
    supplier = serializers.IntegerField(source="round.supplier_id")
    status = serializers.CharField()
    total_excl_vat = MoneyField()
    shipping = MoneyField()
    warnings = serializers.ListField(child=serializers.CharField())
    lines = SupplierOrderLineSerializer(many=True)
    created_at = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)


class ReceiptLineInput(serializers.Serializer):
    product = serializers.IntegerField(min_value=1)
    received_units = serializers.IntegerField(min_value=0, max_value=10 * MAX_UNITS, required=False)
    lot = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)


class ReceiptInput(serializers.Serializer):
    lines = ReceiptLineInput(many=True, required=False, default=list, max_length=MAX_LIST_ITEMS)
    received_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Jour de la livraison (par défaut : aujourd'hui)",
    )

    def validate_lines(self, lines):
        products = [line["product"] for line in lines]
        if len(products) != len(set(products)):
            raise serializers.ValidationError("Un produit figure deux fois.")
        return lines


class InvoiceLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    product = serializers.IntegerField(source="product_id", allow_null=True)
    quantity = serializers.IntegerField()
    unit_price = UnitPriceField()
    amount = MoneyField()
    vat_rate = VatRateField()


class InvoiceVatSerializer(serializers.Serializer):
    rate = VatRateField()
    base = MoneyField()
    amount = MoneyField()


class InvoiceStatusField(serializers.ChoiceField):
    """The invoice's status on the business day (Invoice.status_on): the view gives its
    `today` (Paris) in the context, one day for the whole answer; else today in Paris."""

    def __init__(self, **kwargs):
        super().__init__(choices=INVOICE_STATUS_CHOICES, read_only=True, source="*", **kwargs)

    def to_representation(self, invoice):
        return invoice.status_on(self.context.get("today") or paris_today())


class InvoiceSerializer(serializers.ModelSerializer):
    lines = InvoiceLineSerializer(many=True)
    vat = InvoiceVatSerializer(many=True, source="vat_lines")
    total_excl_vat = MoneyField()
    total_vat = MoneyField()
    total_incl_vat = MoneyField()
    savings = MoneyField()
    goods_excl_vat = MoneyField()
    shipping = MoneyField()
    fee = MoneyField()
    status = InvoiceStatusField()
    amount_due = MoneyField(read_only=True)
    # Issue 15: the e-invoicing lifecycle (docs/e-invoicing.md), annotated by the selector.
    einvoice_status = serializers.ChoiceField(choices=einvoice_rules.STATUS_CHOICES, read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "shop",
            "round",
            "supplier_order",
            # The round's invoice a supplementary invoice adds to, null for a round's
            # invoice (docs/supplier-differences.md).
            "supplements",
            "issued_on",
            "lines",
            "vat",
            "goods_excl_vat",
            "shipping",
            "fee",
            "total_excl_vat",
            "total_vat",
            "total_incl_vat",
            "savings",
            "due_on",
            "status",
            "amount_due",
            "einvoice_status",
        ]
