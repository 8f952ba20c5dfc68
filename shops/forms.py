"""Forms of the members' pages, and how any page shows a service's refusal on its form."""

from django import forms
from django.db.models import Q

from mache.identifiers import vat_number_for
from mache.validators import place_error

from .models import Cooperative, Shop, User
from .selectors import tour_position_error


def _choices(choices, everyone: str):
    return [("", everyone), *choices]


class MemberFilterForm(forms.Form):
    """The filters of the members' list (GET): every field is optional; a value in error
    is said beside its field and left out of the filter."""

    q = forms.CharField(label="Nom ou commune", required=False, max_length=100)
    status = forms.ChoiceField(
        label="Statut", required=False, choices=_choices(Shop.Status.choices, "Tous")
    )
    zone = forms.ChoiceField(
        label="Zone", required=False, choices=_choices(Shop.Zone.choices, "Toutes")
    )
    kind = forms.ChoiceField(
        label="Type", required=False, choices=_choices(Shop.Kind.choices, "Tous")
    )

    def filter(self, shops):
        self.is_valid()
        data = self.cleaned_data
        if data.get("q"):
            shops = shops.filter(Q(name__icontains=data["q"]) | Q(commune__icontains=data["q"]))
        for name in ("status", "zone", "kind"):
            if data.get(name):
                shops = shops.filter(**{name: data[name]})
        return shops


# --- Member pages (issue 12, point 4): parse and display; shops.services decides. -------


class ShopForm(forms.ModelForm):
    """A shop's record: new (a candidate) or edited. Its status moves through the
    buttons of the member's page, never here. The model's own validation runs here too,
    so that every wrong field is said at once; the service judges again before writing."""

    class Meta:
        model = Shop
        fields = [
            "name",
            "legal_name",
            "siret",
            "vat_number",
            "kind",
            "zone",
            "inhabitants",
            "address",
            "postcode",
            "commune",
            "shares",
            "contact_name",
            "email",
            "phone",
            "opening_hours",
            "tour_position",
            "latitude",
            "longitude",
            "expiry_alert_days",
            "vat_regime",
        ]
        localized_fields = ["latitude", "longitude"]
        widgets = {
            "siret": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            "postcode": forms.TextInput(attrs={"inputmode": "numeric"}),
            "inhabitants": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "opening_hours": forms.TextInput(
                attrs={"placeholder": "mar.-sam. 8 h-12 h 30, 15 h 30-19 h"}
            ),
        }
        help_texts = {
            "tour_position": "1 = premier arrêt ; vide : après les autres.",
            "inhabitants": "Ceux de la commune du commerce, pour l'impact par zone ; vide : "
            "non renseigné.",
            "latitude": "En degrés décimaux (par exemple 48,46321), pour le trajet le plus "
            "court de la tournée.",
            "vat_number": "Vide si le commerce n'en a pas ; sinon celui de son SIREN.",
            "vat_regime": "Fixe les périodes de l'e-reporting : trois par mois au réel "
            "normal mensuel, une par mois sinon.",
        }

    def clean(self):
        cleaned = super().clean()
        # Both or neither, in France: the rule of suppliers and the hub (docs/distribution.md).
        if error := place_error(cleaned.get("latitude"), cleaned.get("longitude")):
            self.add_error("latitude", error)
        return cleaned

    def clean_tour_position(self):
        # One shop per place in the tour, said beside the field (docs/distribution.md).
        position = self.cleaned_data.get("tour_position")
        if error := tour_position_error(position=position, shop_id=self.instance.pk):
            raise forms.ValidationError(error)
        return position


class StatusDateForm(forms.Form):
    """The date of an admission or of a departure."""

    on = forms.DateField(
        label="Date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


# --- People pages (issue 12, point 5) ---------------------------------------------------


def _shop_field():
    return forms.ModelMultipleChoiceField(
        label="Commerces",
        required=False,
        queryset=Shop.objects.exclude(status=Shop.Status.LEFT).order_by("name", "pk"),
        widget=forms.CheckboxSelectMultiple,
        help_text="Les commerces que la personne voit (commerçant, comptable).",
    )


class InviteForm(forms.Form):
    username = forms.CharField(
        label="Identifiant", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    email = forms.EmailField(label="E-mail", max_length=254)
    first_name = forms.CharField(label="Prénom", max_length=150, required=False)
    last_name = forms.CharField(label="Nom", max_length=150, required=False)
    role = forms.ChoiceField(label="Rôle", choices=User.Role.choices)
    shops = _shop_field()


class PersonForm(forms.Form):
    email = forms.EmailField(label="E-mail", max_length=254, required=False)
    first_name = forms.CharField(label="Prénom", max_length=150, required=False)
    last_name = forms.CharField(label="Nom", max_length=150, required=False)
    phone = forms.CharField(
        label="Téléphone",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    role = forms.ChoiceField(label="Rôle", choices=User.Role.choices)
    shops = _shop_field()

    def __init__(self, *args, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        if person is not None:
            # A shop the person had before it left stays listed, so that it can be removed.
            self.fields["shops"].queryset = Shop.objects.filter(
                Q(pk__in=person.shops.all()) | ~Q(status=Shop.Status.LEFT)
            ).order_by("name", "pk")


class AnonymiseForm(forms.Form):
    """The shops whose contact fields are cleared with the person (docs/personal-data.md):
    offered, never ticked in advance. `candidates`: shops.personal_data.anonymise_candidates."""

    clear_shop_contacts = forms.TypedMultipleChoiceField(
        label="Effacer aussi le contact (nom, e-mail, téléphone) de ces commerces",
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    FIELD_NAMES = {"contact_name": "même nom", "email": "même e-mail", "phone": "même téléphone"}

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clear_shop_contacts"].choices = [
            (candidate.shop.pk, self.label_of(candidate)) for candidate in candidates
        ]

    @classmethod
    def label_of(cls, candidate) -> str:
        shop = candidate.shop
        contact = ", ".join(v for v in (shop.contact_name, shop.email, shop.phone) if v)
        label = f"{shop.name} : {contact or 'aucun contact'}"
        if candidate.fields:
            label += f" ({', '.join(cls.FIELD_NAMES[name] for name in candidate.fields)})"
        return label


class CooperativeForm(forms.ModelForm):
    """The cooperative's record as the coordinator keeps it (its identity on every
    document, the hub where suppliers deliver); the model's validation runs here too,
    the service judges again before writing."""

    class Meta:
        model = Cooperative
        fields = [
            "name",
            "legal_name",
            "siret",
            "address",
            "postcode",
            "commune",
            "hub_address",
            "hub_latitude",
            "hub_longitude",
            "local_radius_km",
            "share_value",
            "founded_on",
            # Legal mentions, bank and direct debits, invoicing (docs/sepa.md).
            "legal_form",
            "share_capital",
            "rcs",
            "vat_number",
            "vat_on_debits",
            "payment_term_days",
            "iban",
            "bic",
            "sepa_creditor_id",
        ]
        localized_fields = ["share_value", "share_capital", "hub_latitude", "hub_longitude"]
        widgets = {
            "siret": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            "postcode": forms.TextInput(attrs={"inputmode": "numeric"}),
            "hub_address": forms.Textarea(attrs={"rows": 3}),
            "founded_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "iban": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            "bic": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            "sepa_creditor_id": forms.TextInput(attrs={"autocomplete": "off"}),
            "payment_term_days": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "local_radius_km": forms.NumberInput(attrs={"inputmode": "numeric"}),
        }
        help_texts = {
            "hub_address": "Imprimée sur chaque bon de commande : où les fournisseurs livrent.",
            "hub_latitude": "En degrés décimaux : le départ du trajet le plus court de la tournée "
            "et le centre du rayon local.",
            "local_radius_km": "Un fournisseur à cette distance de la plateforme ou moins est "
            "local (80 km par défaut).",
            "founded_on": "Aucune écriture ni tournée ne peut être datée d'avant.",
            "legal_form": "Par exemple : SCIC SAS à capital variable.",
            "rcs": "Par exemple : RCS Rennes 123 456 789.",
            "vat_number": "Vide : calculé d'après le SIREN.",
            "payment_term_days": "Une facture est due ce nombre de jours après son émission "
            "(60 au plus).",
            "iban": "Le compte où les commerces sont prélevés et d'où partent les virements.",
            "sepa_creditor_id": "L'ICS donné par la banque : FR, 2 chiffres, ZZZ, 6 caractères.",
        }
        error_messages = {
            "local_radius_km": {
                "min_value": "Le rayon local est d'au moins 1 km.",
                "max_value": "Le rayon local est de 1000 km au plus.",
                "invalid": "Un nombre entier de kilomètres, comme 80.",
            },
            "payment_term_days": {
                "max_value": "Le délai de paiement ne peut dépasser 60 jours.",
                "min_value": "Le délai de paiement ne peut être négatif.",
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left empty, the term stays what it was (30 days on a new installation).
        self.fields["payment_term_days"].required = False
        self.fields["local_radius_km"].required = False
        # Left empty, the VAT number is derived from the SIREN (docs/e-invoicing.md): say
        # which one the documents carry.
        derived = vat_number_for(self.instance.siret)
        if derived:
            self.fields["vat_number"].widget.attrs["placeholder"] = derived
            self.fields[
                "vat_number"
            ].help_text = f"Vide : {derived}, calculé d'après le SIREN. Sinon, celui du SIREN."

    def clean_local_radius_km(self):
        # Left empty, the radius stays what it was (80 km on a new installation).
        radius = self.cleaned_data.get("local_radius_km")
        return self.instance.local_radius_km if radius is None else radius

    def clean_payment_term_days(self):
        term = self.cleaned_data.get("payment_term_days")
        if term is None:
            return self.instance.payment_term_days
        return term

    # The hub's coordinates (both or neither, in France) are judged by the model's
    # clean(), which the form runs: Cooperative.clean, docs/local-producers.md.


class CooperativeSecurityForm(forms.Form):
    coordinators_need_two_factor = forms.BooleanField(
        label="Exiger la double authentification des coordinateurs", required=False
    )


class CodeForm(forms.Form):
    """A TOTP code: checked by the service (shops.services.two_factor_check)."""

    code = forms.CharField(
        label="Code à 6 chiffres",
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "autofocus": True,
                "pattern": "[0-9 ]*",
            }
        ),
    )
