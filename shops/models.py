from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from rest_framework.authtoken.models import Token

from mache.identifiers import vat_number_for
from mache.roles import Role
from mache.validators import (
    place_check,
    validate_bic,
    validate_iban,
    validate_latitude,
    validate_longitude,
    validate_postcode,
    validate_sepa_creditor_id,
    validate_siret,
    validate_vat_number,
    vat_number_check,
)


class Cooperative(models.Model):
    """The cooperative itself: exactly one row (a unique, checked constant enforces it)."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    name = models.CharField("nom", max_length=200)
    legal_name = models.CharField("raison sociale", max_length=200)
    siret = models.CharField("SIRET", max_length=14, validators=[validate_siret])
    address = models.CharField("adresse", max_length=300, blank=True)
    postcode = models.CharField(
        "code postal", max_length=5, blank=True, validators=[validate_postcode]
    )
    commune = models.CharField("commune", max_length=120, blank=True)
    service_fee_rate = models.DecimalField(
        "taux de frais de service",
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.02"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("0.5"))],
    )
    share_value = models.DecimalField(
        "valeur d'une part", max_digits=10, decimal_places=2, default=Decimal("50.00")
    )
    # The first day of the cooperative's own business (its books, its rounds); unknown:
    # shops.dates.EARLIEST_DATE.
    founded_on = models.DateField("création le", null=True, blank=True)
    # Where suppliers deliver the group's orders (printed on every purchase order).
    hub_address = models.TextField("adresse de livraison (plateforme)", blank=True)
    # Where the hub stands (typed: no geocoding), the start of the day's shortest tour
    # (docs/distribution.md, "The tour").
    hub_latitude = models.DecimalField(
        "latitude de la plateforme",
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[validate_latitude],
    )
    hub_longitude = models.DecimalField(
        "longitude de la plateforme",
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[validate_longitude],
    )
    # Suppliers within this distance of the hub are local (docs/local-producers.md).
    local_radius_km = models.PositiveIntegerField(
        "rayon local (km)",
        default=80,
        db_default=80,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
    )
    # Coordinators must log in with a second factor (TOTP) when this is on.
    coordinators_need_two_factor = models.BooleanField(
        "double authentification obligatoire pour les coordinateurs", default=False
    )
    # Legal mentions printed on invoices and credit notes (docs/credit-notes.md).
    legal_form = models.CharField("forme juridique", max_length=60, blank=True, default="")
    share_capital = models.DecimalField(
        "capital social", max_digits=14, decimal_places=2, null=True, blank=True
    )
    rcs = models.CharField("RCS", max_length=80, blank=True, default="")
    vat_number = models.CharField(
        "n° de TVA intracommunautaire",
        max_length=20,
        blank=True,
        default="",
        validators=[validate_vat_number],
    )
    # The cooperative's bank account and SEPA creditor identifier (ICS): direct debits of
    # the shops and transfers to the suppliers (docs/sepa.md).
    iban = models.CharField(
        "IBAN", max_length=34, blank=True, default="", validators=[validate_iban]
    )
    bic = models.CharField("BIC", max_length=11, blank=True, default="", validators=[validate_bic])
    sepa_creditor_id = models.CharField(
        "identifiant de créancier SEPA (ICS)",
        max_length=35,
        blank=True,
        default="",
        validators=[validate_sepa_creditor_id],
    )
    vat_on_debits = models.BooleanField("TVA sur les débits", default=False)
    # An invoice is due this many days after its issue (docs/settlement.md).
    payment_term_days = models.PositiveSmallIntegerField(
        "délai de paiement (jours)",
        default=30,
        validators=[MaxValueValidator(60)],
    )

    class Meta:
        verbose_name = "coopérative"
        verbose_name_plural = "coopérative"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(singleton=True), name="cooperative_singleton"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        # Given, the VAT number must be the SIREN's; blank, it is derived from it.
        vat_number_check(self)
        # The hub's coordinates: both or neither, in France (docs/local-producers.md).
        place_check(self, "hub_latitude", "hub_longitude")

    @property
    def effective_vat_number(self) -> str:
        """The VAT number as given, else derived from the SIREN by python-stdnum
        (docs/e-invoicing.md, "Identities"): what invoices and the API show."""
        return self.vat_number or vat_number_for(self.siret)

    @classmethod
    def get(cls) -> "Cooperative":
        return cls.objects.get()

    @classmethod
    def current(cls) -> "Cooperative":
        """The cooperative, or an unsaved stand-in while none is recorded yet (documents
        then print a generic name rather than fail)."""
        return cls.objects.first() or cls(name="Coopérative", legal_name="Coopérative", siret="")


class Shop(models.Model):
    class Kind(models.TextChoices):
        EPICERIE = "epicerie", "Épicerie"
        BOULANGERIE = "boulangerie", "Boulangerie"
        BOUCHERIE = "boucherie", "Boucherie"
        FROMAGERIE = "fromagerie", "Fromagerie"
        PRIMEUR = "primeur", "Primeur"
        BAR_EPICERIE = "bar_epicerie", "Bar-épicerie"
        OTHER = "other", "Autre"

    class Zone(models.TextChoices):
        RURAL = "rural", "Rurale"
        QPV = "qpv", "QPV"
        URBAN = "urban", "Urbaine"

    class Status(models.TextChoices):
        CANDIDATE = "candidate", "Candidat"
        ACTIVE = "active", "Actif"
        SUSPENDED = "suspended", "Suspendu"
        LEFT = "left", "Parti"

    name = models.CharField("nom", max_length=200)
    legal_name = models.CharField("raison sociale", max_length=200)
    siret = models.CharField(
        "SIRET",
        max_length=14,
        unique=True,
        validators=[validate_siret],
        error_messages={"unique": "Un commerce a déjà ce SIRET."},
    )
    kind = models.CharField("type", max_length=20, choices=Kind.choices, default=Kind.EPICERIE)
    address = models.CharField("adresse", max_length=300, blank=True)
    postcode = models.CharField("code postal", max_length=5, validators=[validate_postcode])
    commune = models.CharField("commune", max_length=120)
    zone = models.CharField("zone", max_length=10, choices=Zone.choices, default=Zone.RURAL)
    status = models.CharField(
        "statut", max_length=10, choices=Status.choices, default=Status.CANDIDATE
    )
    joined_on = models.DateField("adhésion le", null=True, blank=True)
    left_on = models.DateField("départ le", null=True, blank=True)
    shares = models.PositiveIntegerField("parts", default=1)
    email = models.EmailField("e-mail", blank=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    contact_name = models.CharField(
        "personne à contacter", max_length=200, blank=True, default="", db_default=""
    )
    opening_hours = models.CharField(
        "horaires d'ouverture", max_length=300, blank=True, default="", db_default=""
    )
    # The shop's place in the delivery tour (1 = first stop); none: after the others.
    tour_position = models.PositiveIntegerField("ordre dans la tournée", null=True, blank=True)
    # The number of inhabitants of the shop's commune, when the coordinator records it (the
    # cooperative's impact by zone, docs/impact.md).
    inhabitants = models.PositiveIntegerField(
        "habitants de la commune", null=True, blank=True, validators=[MaxValueValidator(3_000_000)]
    )
    # Where the shop stands, typed by the coordinator (no geocoding: there is no network),
    # to order the day's tour by the shortest route (issue 17, docs/distribution.md).
    latitude = models.DecimalField(
        "latitude",
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[validate_latitude],
    )
    longitude = models.DecimalField(
        "longitude",
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[validate_longitude],
    )
    # Blank when the shop has none; given, the French VAT number of its SIREN (clean()).
    vat_number = models.CharField(
        "n° de TVA intracommunautaire",
        max_length=20,
        blank=True,
        default="",
        db_default="",
        validators=[validate_vat_number],
    )

    # The shop's VAT regime (issue 16, docs/e-reporting.md): it sets the periods of its
    # B2C e-reporting (monthly real regime: three a month; otherwise one a month).
    class VatRegime(models.TextChoices):
        MONTHLY = "monthly", "Réel normal, déclaration mensuelle"
        QUARTERLY = "quarterly", "Réel normal, déclaration trimestrielle"
        SIMPLIFIED = "simplified", "Réel simplifié"

    vat_regime = models.CharField(
        "régime de TVA",
        max_length=10,
        choices=VatRegime.choices,
        default=VatRegime.SIMPLIFIED,
        db_default=VatRegime.SIMPLIFIED,
    )
    expiry_alert_days = models.PositiveSmallIntegerField(
        "alerte de péremption (jours)",
        default=3,
        help_text="Signaler les lots qui périment dans ce nombre de jours.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # What a shopkeeper may change on their own shop (docs/api.md: "contact fields").
    CONTACT_FIELDS = (
        "address",
        "postcode",
        "commune",
        "email",
        "phone",
        "contact_name",
        "opening_hours",
        "expiry_alert_days",
    )

    class Meta:
        verbose_name = "commerce"
        verbose_name_plural = "commerces"
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["status"])]
        constraints = [
            # Two shops never share a place in the tour (issue 17).
            models.UniqueConstraint(
                fields=["tour_position"],
                condition=Q(tour_position__isnull=False),
                name="one_shop_per_tour_position",
                violation_error_message=(
                    "Un autre commerce occupe déjà cette place dans la tournée."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        vat_number_check(self)

    @property
    def siren(self) -> str:
        return self.siret[:9]


class User(AbstractUser):
    Role = Role

    role = models.CharField("rôle", max_length=20, choices=Role.choices, default=Role.SHOPKEEPER)
    shops = models.ManyToManyField(
        Shop, blank=True, related_name="users", verbose_name="commerces visibles"
    )
    phone = models.CharField("téléphone", max_length=30, blank=True, default="", db_default="")
    # Set when the person's name, e-mail and phone were erased (RGPD article 17,
    # docs/personal-data.md): the account stays, deactivated, for the records naming it.
    anonymised_at = models.DateTimeField("anonymisé le", null=True, blank=True)

    class Meta:
        verbose_name = "utilisateur"
        verbose_name_plural = "utilisateurs"
        ordering = ["username"]

    @property
    def effective_role(self) -> str:
        """A superuser acts as a coordinator (docs/api.md, Who may do what)."""
        return self.Role.COORDINATOR if self.is_superuser else self.role

    @property
    def is_coordinator(self) -> bool:
        return self.is_active and self.effective_role == self.Role.COORDINATOR

    def staff_follows_role(self) -> None:
        """Coordinators reach the Django admin; the others use the pages and the API. A
        superuser keeps the admin whatever the role. Call before saving a role."""
        if not self.is_superuser:
            self.is_staff = self.role == self.Role.COORDINATOR

    def save(self, *args, **kwargs):
        # Every way a password changes (the API, the reset link, the admin,
        # `changepassword`) ends here after set_password(): a new password, or a
        # deactivated account, revokes the user's API tokens. (Django leaves `_password`
        # unset when it only upgrades a hash at login, which is not a change.) Sessions
        # need nothing: their auth hash is derived from the password hash.
        revoke = not self._state.adding and (self._password is not None or not self.is_active)
        super().save(*args, **kwargs)
        if revoke:
            Token.objects.filter(user=self).delete()


class LoginThrottle(models.Model):
    """A counter of login attempts (or password reset requests) for one account, or for
    one account from one address (`ip_address` blank: the account as a whole).
    See shops.throttle."""

    key = models.CharField(max_length=64, unique=True)  # sha256 of scope, name, address
    scope = models.CharField(max_length=10)
    name = models.CharField("identifiant", max_length=150)
    ip_address = models.CharField("adresse", max_length=45, blank=True)
    failures = models.PositiveIntegerField("tentatives", default=0)
    window_started_at = models.DateTimeField("depuis")

    class Meta:
        verbose_name = "compteur de connexions"
        verbose_name_plural = "compteurs de connexions"

    def __str__(self):
        return f"{self.name} {self.ip_address or '(tout)'}: {self.failures}"


class TokenActivity(models.Model):
    """When an API token was last used (to the minute), for the idle timeout
    (shops.auth.IdleTokenAuthentication)."""

    token = models.OneToOneField(
        "authtoken.Token", primary_key=True, on_delete=models.CASCADE, related_name="activity"
    )
    last_used_at = models.DateTimeField()
