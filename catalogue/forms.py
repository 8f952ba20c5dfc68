"""Forms of the catalogue's pages. They parse what the coordinator types (amounts with a
decimal comma, whole numbers, a CSV file) and hold the messages shown beside each field;
the catalogue's rules (a unique name, a SIRET's key, tiers below the base price...) are
catalogue.services' to judge, and come back through `mache.forms.add_service_errors`."""

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from mache.csvfiles import parse_decimal
from mache.forms import ErrorSpot

from .labels import LABELS
from .models import MAX_UNITS, Product, Supplier, SupplierKind, VatRate

REQUIRED = "Ce champ est obligatoire."
SPACES_RE = re.compile(r"[\s\u00a0\u202f]")
MAX_TIERS = 10


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


class DecimalText(forms.Field):
    """A decimal number as typed in France: "12,30", "12.30", "1 234,56 €".

    Parsed by mache.csvfiles.parse_decimal (as the CSV import does): digits and at most
    `places` decimals, never "1e3" or "NaN". Shown back with a decimal comma.
    """

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def __init__(self, *, places: int, example: str, positive: bool = False, **kwargs):
        kwargs.setdefault("error_messages", {"required": REQUIRED})
        super().__init__(**kwargs)
        self.places, self.example, self.positive = places, example, positive

    def to_python(self, value):
        text = SPACES_RE.sub("", value or "").removesuffix("€")
        if not text:
            return None
        number = parse_decimal(text, places=self.places, int_digits=12 - self.places)
        if number is None:
            decimals = {2: "deux", 4: "quatre"}.get(self.places, self.places)
            raise ValidationError(f"Un nombre comme {self.example}, {decimals} décimales au plus.")
        if self.positive and number <= 0:
            raise ValidationError("Doit être supérieur à zéro.")
        return number

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            # 2.5000 is shown "2,50", 1.1234 "1,1234": the cents always, more if needed.
            text = format(value.normalize(), "f")
            whole, _, decimals = text.partition(".")
            return f"{whole},{decimals.ljust(2, '0')}"
        return value


def money_input(label: str, *, required: bool = True) -> DecimalText:
    return DecimalText(label=label, places=2, example="12,30", required=required)


def price_input(label: str, **kwargs) -> DecimalText:
    return DecimalText(label=label, places=4, example="1,2500", positive=True, **kwargs)


def count_input(label: str, **kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=1,
        max_value=MAX_UNITS,
        error_messages={
            "required": REQUIRED,
            "invalid": "Un nombre entier, comme 12.",
            "min_value": "Au moins 1.",
            "max_value": f"{MAX_UNITS:_} au plus.".replace("_", "\u00a0"),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        **kwargs,
    )


def coordinate_input(label: str, example: str) -> forms.DecimalField:
    """A latitude or longitude in decimal degrees, decimal comma or point, optional."""
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=8,
        decimal_places=5,
        localize=True,
        error_messages={
            "invalid": f"Un nombre en degrés décimaux, comme {example}.",
            "max_decimal_places": "Cinq décimales au plus.",
            "max_digits": f"Un nombre en degrés décimaux, comme {example}.",
            "max_whole_digits": f"Un nombre en degrés décimaux, comme {example}.",
        },
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class LabelsField(forms.MultipleChoiceField):
    """Label codes as checkboxes, shown by their French names (catalogue.labels), given
    back in LABELS' order whatever the browser's."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Labels")
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "error_messages", {"invalid_choice": "Choisissez des labels de la liste."}
        )
        super().__init__(choices=list(LABELS.items()), **kwargs)

    def clean(self, value):
        ticked = set(super().clean(value))
        return [code for code in LABELS if code in ticked]


class SupplierForm(forms.Form):
    """The fields of `/api/suppliers/` (docs/catalogue.md)."""

    name = forms.CharField(
        label="Nom", max_length=_max_length(Supplier, "name"), error_messages={"required": REQUIRED}
    )
    siret = forms.CharField(label="SIRET", required=False, max_length=14)
    email = forms.EmailField(
        label="E-mail de commande",
        required=False,
        max_length=_max_length(Supplier, "email"),
        error_messages={"invalid": "Une adresse comme commandes@fournisseur.fr."},
    )
    address = forms.CharField(
        label="Adresse", required=False, max_length=_max_length(Supplier, "address")
    )
    min_order_amount = money_input("Minimum de commande HT (€)")
    free_shipping_threshold = money_input("Franco de port HT (€)", required=False)
    shipping_fee = money_input("Frais de port HT (€)")
    # Where the cooperative's transfers go (docs/sepa.md); checked by the model's validators.
    iban = forms.CharField(
        label="IBAN",
        required=False,
        max_length=34,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    bic = forms.CharField(
        label="BIC",
        required=False,
        max_length=11,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    # Who it is and where it produces (docs/local-producers.md): the model judges the
    # place (both coordinates or neither, in France) and says it on the latitude.
    kind = forms.ChoiceField(
        label="Type",
        choices=SupplierKind.choices,
        initial=SupplierKind.WHOLESALER,
        required=False,
        error_messages={"invalid_choice": "Choisissez un type de la liste."},
    )
    commune = forms.CharField(
        label="Commune", required=False, max_length=_max_length(Supplier, "commune")
    )
    latitude = coordinate_input("Latitude", "48,11130")
    longitude = coordinate_input("Longitude", "-1,68000")
    labels = LabelsField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["latitude"].help_text = (
            "En degrés décimaux (par exemple 48,11130 et -1,68000 à Rennes) : la distance à "
            "la plateforme. Vide : « sans coordonnées », jamais local."
        )
        self.fields["free_shipping_threshold"].help_text = "Vide : pas de franco."
        self.fields["iban"].help_text = "Pour lui payer ses commandes par virement."
        self.fields["siret"].help_text = "14 chiffres, sans espaces."

    def clean_kind(self):
        # Not sent (a script, not the page's select): the kind stays what it was.
        return self.cleaned_data.get("kind") or self.initial.get("kind") or SupplierKind.WHOLESALER


class ProductForm(forms.Form):
    """The fields of `/api/products/` but the tiers, which are the page's formset."""

    supplier = forms.ModelChoiceField(
        label="Fournisseur",
        queryset=Supplier.objects.all(),
        empty_label="Choisir…",
        error_messages={
            "required": REQUIRED,
            "invalid_choice": "Choisissez un fournisseur de la liste.",
        },
    )
    sku = forms.CharField(
        label="Référence",
        max_length=_max_length(Product, "sku"),
        error_messages={"required": REQUIRED},
    )
    name = forms.CharField(
        label="Désignation",
        max_length=_max_length(Product, "name"),
        error_messages={"required": REQUIRED},
    )
    unit_label = forms.CharField(
        label="Unité",
        max_length=_max_length(Product, "unit_label"),
        error_messages={"required": REQUIRED},
    )
    case_size = count_input("Unités par colis")
    unit_price = price_input("Prix unitaire HT (€)")
    vat_rate = forms.TypedChoiceField(
        label="Taux de TVA",
        choices=[("", "Choisir…"), *VatRate.choices],
        coerce=Decimal,
        error_messages={
            "required": REQUIRED,
            "invalid_choice": "Choisissez un taux de la liste.",
        },
    )
    category = forms.CharField(
        label="Catégorie (rayon)",
        max_length=_max_length(Product, "category"),
        required=False,
        help_text="Les commerçants filtrent le bon de commande par catégorie.",
    )
    active = forms.BooleanField(label="Actif (proposé dans les tournées)", required=False)
    # Its own origin and labels (docs/local-producers.md): no label ticked, its
    # supplier's apply.
    origin = forms.CharField(
        label="Origine",
        required=False,
        max_length=_max_length(Product, "origin"),
        help_text="Si elle diffère du fournisseur : une ferme, une commune, un pays.",
    )
    labels = LabelsField(help_text="Aucun coché : ceux du fournisseur s'appliquent au produit.")
    price_tiers = ErrorSpot()

    @staticmethod
    def initial_new() -> dict:
        return {"unit_label": Product._meta.get_field("unit_label").default, "active": True}

    @staticmethod
    def initial_of(product: Product) -> dict:
        return {
            "supplier": product.supplier_id,
            "sku": product.sku,
            "name": product.name,
            "unit_label": product.unit_label,
            "case_size": product.case_size,
            "unit_price": product.unit_price,
            "vat_rate": f"{product.vat_rate:.2f}",
            "category": product.category,
            "active": product.active,
            "origin": product.origin,
            "labels": list(product.labels),
        }

    def data_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("price_tiers")
        return data


class TierForm(forms.Form):
    """One volume price; a row left empty is no tier (emptying a row removes its tier)."""

    min_cases = count_input("À partir de (colis)", required=False)
    unit_price = price_input("Prix unitaire HT (€)", required=False)

    def clean(self):
        data = super().clean()
        min_cases, price = data.get("min_cases"), data.get("unit_price")
        if (min_cases is None) != (price is None) and not self.errors:
            missing = "unit_price" if price is None else "min_cases"
            self.add_error(missing, "À remplir aussi, ou videz la ligne.")
        return data

    def tier(self) -> dict | None:
        data = self.cleaned_data
        if data.get("min_cases") is None or data.get("unit_price") is None:
            return None
        return {"min_cases": data["min_cases"], "unit_price": data["unit_price"]}


class BaseTierFormSet(forms.BaseFormSet):
    def tiers(self) -> list[dict]:
        return [tier for form in self.forms if (tier := form.tier()) is not None]


TierFormSet = forms.formset_factory(
    TierForm,
    formset=BaseTierFormSet,
    extra=2,
    max_num=MAX_TIERS,
    validate_max=True,
    absolute_max=MAX_TIERS + 2,
)


def tier_formset(data=None, *, product: Product | None = None) -> BaseTierFormSet:
    initial = (
        [{"min_cases": t.min_cases, "unit_price": t.unit_price} for t in product.price_tiers.all()]
        if product
        else []
    )
    formset = TierFormSet(data, initial=initial, prefix="paliers")
    return formset


class ProductFilterForm(forms.Form):
    """The filters of the products' list (GET): every field is optional; a value in
    error is said beside its field and left out of the filter."""

    q = forms.CharField(label="Nom ou référence", required=False, max_length=100)
    supplier = forms.ModelChoiceField(
        label="Fournisseur",
        queryset=Supplier.objects.all(),
        required=False,
        empty_label="Tous",
        error_messages={"invalid_choice": "Choisissez un fournisseur de la liste."},
    )
    active = forms.ChoiceField(
        label="État",
        required=False,
        choices=[("", "Tous"), ("1", "Actifs"), ("0", "Retirés")],
        error_messages={"invalid_choice": "Choisissez un état de la liste."},
    )

    def values(self) -> dict:
        """The valid filters: {"text", "supplier", "active"}."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        active = data.get("active")
        return {
            "text": data.get("q") or "",
            "supplier": data.get("supplier"),
            "active": {"1": True, "0": False}.get(active),
        }


class SupplierFilterForm(forms.Form):
    q = forms.CharField(label="Nom", required=False, max_length=100)


class CatalogueImportForm(forms.Form):
    supplier = forms.ModelChoiceField(
        label="Fournisseur",
        queryset=Supplier.objects.all(),
        empty_label="Choisir…",
        error_messages={
            "required": REQUIRED,
            "invalid_choice": "Choisissez un fournisseur de la liste.",
        },
    )
    file = forms.FileField(
        label="Fichier CSV",
        allow_empty_file=False,
        error_messages={
            "required": "Choisissez un fichier.",
            "empty": "Le fichier est vide.",
            "invalid": "Ce n'est pas un fichier.",
            "missing": "Choisissez un fichier.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
