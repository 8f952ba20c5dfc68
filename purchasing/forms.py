"""Forms of the purchasing pages: they parse what was typed and hold the errors shown
beside each field. The rules themselves (deadline, catalogue, quantities received) are
judged by the services; their errors come back onto these forms through
mache.forms.add_service_errors, as on every page."""

from django import forms

from catalogue.models import MAX_UNITS
from mache.formats import format_quantity
from mache.periods import paris_today


def units_field(label, *, max_value=MAX_UNITS, max_message=None, **kwargs):
    """A whole number of units typed on a phone: numeric keypad, French messages."""
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=max_value,
        error_messages={
            "invalid": "Saisissez un nombre entier d'unités.",
            "min_value": "Pas de nombre négatif.",
            "max_value": max_message or f"Au plus {format_quantity(max_value)} unités.",
            "required": "Saisissez le nombre d'unités.",
        },
        widget=forms.NumberInput(
            attrs={"min": 0, "max": max_value, "step": 1, "inputmode": "numeric"}
        ),
        **kwargs,
    )


class OrderForm(forms.Form):
    """One quantity and one tolerance per product of the round's supplier; empty is 0."""

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.products = list(products)
        for product in self.products:
            self.fields[f"q{product.pk}"] = units_field("Quantité", required=False)
            self.fields[f"t{product.pk}"] = units_field("Tolérance", required=False)
            for name in (f"q{product.pk}", f"t{product.pk}"):
                self.fields[name].widget.attrs["placeholder"] = "0"

    def rows(self):
        """(product, quantity field, tolerance field) in the catalogue's order."""
        for product in self.products:
            yield product, self[f"q{product.pk}"], self[f"t{product.pk}"]

    def typed(self) -> dict[int, tuple[int, int]]:
        """Product id -> (quantity, tolerance) of the fields that parsed; a field in error
        counts as 0 (call after is_valid()). Unbound, the initial (saved) lines."""
        data = self.cleaned_data if self.is_bound else self.initial
        return {p.pk: (data.get(f"q{p.pk}") or 0, data.get(f"t{p.pk}") or 0) for p in self.products}

    def lines(self) -> list[dict]:
        """The lines for order_place / order_replace_lines (the service drops zeros)."""
        return [
            {"product": pk, "quantity": quantity, "tolerance": tolerance}
            for pk, (quantity, tolerance) in self.typed().items()
            if quantity or tolerance
        ]

    @staticmethod
    def initial_from(order) -> dict:
        if order is None:
            return {}
        initial = {}
        for line in order.lines.all():
            initial[f"q{line.product_id}"] = line.quantity
            initial[f"t{line.product_id}"] = line.tolerance or None
        return initial


class ReceiptForm(forms.Form):
    """The day of the delivery (empty: today), then per line of the supplier order: units
    received (at most those ordered), and the lot and expiry date printed on the
    delivery when there are some."""

    # Typed as dates are shown (26/11/2026), as on the count page.
    received_on = forms.DateField(
        label="Date de réception (JJ/MM/AAAA)",
        required=False,
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        error_messages={"invalid": "Une date comme 26/11/2026."},
        widget=forms.DateInput(attrs={"placeholder": "JJ/MM/AAAA"}, format="%d/%m/%Y"),
    )

    def __init__(self, *args, lines, **kwargs):
        kwargs.setdefault("initial", {"received_on": paris_today()})
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            pk = line.product_id
            self.fields[f"r{pk}"] = units_field(
                "Unités reçues",
                max_value=line.units,
                initial=line.units,
                max_message=f"Au plus {format_quantity(line.units)} unités (commandées).",
            )
            self.fields[f"lot{pk}"] = forms.CharField(
                label="Lot",
                required=False,
                max_length=64,
                error_messages={"max_length": "Au plus 64 caractères."},
            )
            self.fields[f"exp{pk}"] = forms.DateField(
                label="Date limite",
                required=False,
                input_formats=["%Y-%m-%d", "%d/%m/%Y"],
                error_messages={"invalid": "Une date comme 26/11/2026."},
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )

    def rows(self):
        for line in self.lines:
            pk = line.product_id
            yield line, self[f"r{pk}"], self[f"lot{pk}"], self[f"exp{pk}"]

    def received(self) -> dict[int, int]:
        return {line.product_id: self.cleaned_data[f"r{line.product_id}"] for line in self.lines}

    def lots(self) -> dict[int, tuple]:
        lots = {}
        for line in self.lines:
            code = self.cleaned_data[f"lot{line.product_id}"].strip()
            expires_on = self.cleaned_data[f"exp{line.product_id}"]
            if code or expires_on:
                lots[line.product_id] = (code, expires_on)
        return lots
