"""Serializer fields of the contract: money and prices as strings, never floats."""

from decimal import Decimal

from rest_framework import serializers


class MoneyField(serializers.DecimalField):
    """"12.30": two decimals, at most 10 digits before the point."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        super().__init__(decimal_places=2, coerce_to_string=True, **kwargs)


class UnitPriceField(serializers.DecimalField):
    """"1.2000": up to four decimals."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        super().__init__(decimal_places=4, coerce_to_string=True, **kwargs)


VAT_RATES = ["0.00", "2.10", "5.50", "10.00", "20.00"]


class VatRateField(serializers.ChoiceField):
    """One of the lawful rates, as a string ("5.50")."""

    def __init__(self, **kwargs):
        super().__init__(choices=VAT_RATES, **kwargs)
        self.error_messages["invalid_choice"] = (
            "« {input} » n'est pas un taux de TVA permis (0.00, 2.10, 5.50, 10.00, 20.00).")

    def to_internal_value(self, data):
        try:
            data = f"{Decimal(str(data)):.2f}"
        except ArithmeticError:
            self.fail("invalid_choice", input=data)
        return Decimal(super().to_internal_value(data))

    def to_representation(self, value):
        return f"{Decimal(value):.2f}"
