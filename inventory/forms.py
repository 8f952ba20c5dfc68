"""Forms of the stock pages. They check the shape of what was typed (a number, a date, a
choice among the shop's products); the rules (a loss needs a reason and at least one
unit, a count is not in the future, stock never goes below zero) are the services' own,
and their messages are put beside these fields by the views."""

from django import forms

from catalogue.models import MAX_UNITS
from mache.periods import paris_today

from .models import StockMovement

EMPTY_CHOICE = ("", "— Choisir —")


def quantity_input(**attrs):
    return forms.NumberInput(attrs={"inputmode": "numeric", **attrs})


class ProductChoiceField(forms.TypedChoiceField):
    """A product among the shop's stock balances (already loaded by the page: choosing
    and checking cost no query); cleans to the Product."""

    def __init__(self, *, balances, **kwargs):
        self.products = {balance.product_id: balance.product for balance in balances}
        choices = [EMPTY_CHOICE, *((b.product_id, b.product.name) for b in balances)]
        super().__init__(choices=choices, coerce=int, empty_value=None, **kwargs)

    def clean(self, value):
        product_id = super().clean(value)
        return None if product_id is None else self.products[product_id]


class LossForm(forms.Form):
    product = ProductChoiceField(label="Produit", balances=[])
    quantity = forms.IntegerField(
        label="Quantité perdue", max_value=MAX_UNITS, widget=quantity_input()
    )
    reason = forms.ChoiceField(
        label="Motif", required=False, choices=[EMPTY_CHOICE, *StockMovement.Reason.choices]
    )

    def __init__(self, *args, balances, **kwargs):
        super().__init__(*args, **kwargs)
        # Only what is on the shelves can be lost.
        self.fields["product"] = ProductChoiceField(
            label="Produit", balances=[b for b in balances if b.quantity > 0]
        )


class MinimumForm(forms.Form):
    minimum = forms.IntegerField(
        label="Stock minimum",
        required=False,
        min_value=0,
        max_value=MAX_UNITS,
        widget=quantity_input(),
        help_text="Sous ce nombre d'unités, le produit est signalé. Vide : plus d'alerte.",
    )


class CountForm(forms.Form):
    """A physical count: the date, and one optional field per product of the shop (the
    products left empty were not counted)."""

    # Typed as dates are shown (26/11/2026), whatever language the browser is in; a
    # type="date" input would show the browser's own format.
    counted_on = forms.DateField(
        label="Date de l'inventaire (JJ/MM/AAAA)",
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"placeholder": "JJ/MM/AAAA"}, format="%d/%m/%Y"),
    )

    def __init__(self, *args, balances, **kwargs):
        kwargs.setdefault("initial", {"counted_on": paris_today()})
        super().__init__(*args, **kwargs)
        self.balances = list(balances)
        for balance in self.balances:
            self.fields[self.field_name(balance)] = forms.IntegerField(
                label=balance.product.name,
                required=False,
                min_value=0,
                max_value=MAX_UNITS,
                widget=quantity_input(min=0),
            )

    @staticmethod
    def field_name(balance) -> str:
        return f"counted_{balance.product_id}"

    def rows(self):
        """(balance, bound field) for each product, in the page's order."""
        return [(balance, self[self.field_name(balance)]) for balance in self.balances]

    def lines(self) -> list[dict]:
        """The counted products, as `stock_count_record` takes them."""
        return [
            {"product": balance.product, "quantity": self.cleaned_data[name]}
            for balance in self.balances
            if self.cleaned_data.get(name := self.field_name(balance)) is not None
        ]
