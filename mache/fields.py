"""Serializer fields of the contract: money and prices as strings, never floats."""

from decimal import Decimal

from rest_framework import serializers

from .limits import MAX_LIST_ITEMS


class MoneyField(serializers.DecimalField):
    """ "12.30": two decimals, at most 10 digits before the point."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        super().__init__(decimal_places=2, coerce_to_string=True, **kwargs)


class UnitPriceField(serializers.DecimalField):
    """ "1.2000": up to four decimals."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        super().__init__(decimal_places=4, coerce_to_string=True, **kwargs)


VAT_RATES = ["0.00", "2.10", "5.50", "10.00", "20.00"]
VAT_RATE_CHOICES = [(rate, rate) for rate in VAT_RATES]


class VatRateField(serializers.ChoiceField):
    """One of the lawful rates, as a string ("5.50")."""

    def __init__(self, **kwargs):
        super().__init__(choices=VAT_RATES, **kwargs)
        self.error_messages["invalid_choice"] = (
            "« {input} » n'est pas un taux de TVA permis (0.00, 2.10, 5.50, 10.00, 20.00)."
        )

    def to_internal_value(self, data):
        # "5.5" and "5.50" name the same rate; "5.499" does not name any (no rounding).
        try:
            value = Decimal(str(data))
        except ArithmeticError:
            self.fail("invalid_choice", input=data)
        for rate in VAT_RATES:
            if value.is_finite() and value == Decimal(rate):
                return Decimal(rate)
        self.fail("invalid_choice", input=data)

    def to_representation(self, value):
        return f"{Decimal(value):.2f}"


class ListField(serializers.ListField):
    """A list of at most MAX_LIST_ITEMS (unless told otherwise), counted before any item
    is read: DRF's ListField would first validate every item (a query each, for ids)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_LIST_ITEMS)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, list) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)
