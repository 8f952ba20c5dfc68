"""Members API: token, me, shops, users. Views parse, call one service, serialize."""

from django.http import Http404
from django.utils.http import content_disposition_header
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from mache.fields import ListField
from mache.limits import MAX_PASSWORD_CHARS
from mache.permissions import COORDINATOR_ONLY, ActionRoles
from mache.validators import place_error, validate_postcode

from . import anonymisation, personal_data, selectors, services
from .models import Cooperative, Shop, User


class ShopSerializer(serializers.ModelSerializer):
    class Meta:
        model = Shop
        fields = [
            "id",
            "name",
            "legal_name",
            "siret",
            "vat_number",
            "kind",
            "address",
            "postcode",
            "commune",
            "zone",
            # The commune's inhabitants, recorded by the coordinator (docs/impact.md).
            "inhabitants",
            "status",
            "joined_on",
            "left_on",
            "shares",
            "email",
            "phone",
            "contact_name",
            "opening_hours",
            "tour_position",
            "latitude",
            "longitude",
            "expiry_alert_days",
            "vat_regime",
        ]
        # One shop per place in the tour: the service says it with the model's message
        # (shops.services, docs/distribution.md), not DRF's generic uniqueness one.
        extra_kwargs = {"tour_position": {"validators": []}}

    def validate(self, attrs):
        return coordinates_valid(self, attrs, "latitude", "longitude")


class ShopViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ShopSerializer
    permission_classes = [ActionRoles]
    action_roles = {"create": COORDINATOR_ONLY}
    scoped_model = Shop
    shop_field = "pk"
    filterset_fields = ["status", "zone", "kind"]

    def get_queryset(self):
        return selectors.shop_list(user=self.request.user)

    def create(self, request):
        data = self._validated(ShopSerializer(data=request.data))
        shop = services.shop_create(data=data)
        return Response(ShopSerializer(shop).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        shop = self.get_object()
        data = self._validated(ShopSerializer(shop, data=request.data, partial=partial))
        # Only the fields the caller sent are written (and judged by role).
        sent = {field: value for field, value in data.items() if field in request.data}
        shop = services.shop_update(shop=shop, user=request.user, data=sent)
        return Response(ShopSerializer(shop).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    @staticmethod
    def _validated(serializer):
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class UserOutput(serializers.ModelSerializer):
    # Django's usernames take any letter ("Épicerie"): its validator's `\w` is Unicode in
    # Python, while a JSON-schema pattern `^[\w.@+-]+$` reads as ASCII to every client.
    # The output declares no pattern rather than one that refuses real names.
    username = serializers.CharField(read_only=True)
    role = serializers.CharField(source="effective_role")
    shops = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "phone",
            "role",
            "shops",
            "is_active",
        ]


class UserInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        write_only=True, trim_whitespace=False, max_length=MAX_PASSWORD_CHARS
    )
    role = serializers.ChoiceField(choices=User.Role.choices)
    shops = ListField(
        child=serializers.PrimaryKeyRelatedField(queryset=Shop.objects.all()), required=False
    )
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
    is_active = serializers.BooleanField(required=False)

    def validate_username(self, value):
        if (
            User.objects.filter(username=value)
            .exclude(pk=getattr(self.instance, "pk", None))
            .exists()
        ):
            raise serializers.ValidationError("Ce nom d'utilisateur est déjà pris.")
        return value

    # Django's own rights are the installation's, never given through the API: staff
    # follows the role (shops.services), and superusers are made on the command line.
    REFUSED_FIELDS = ("is_superuser", "is_staff")

    def validate(self, attrs):
        refused = [name for name in self.REFUSED_FIELDS if name in self.initial_data]
        if refused:
            raise serializers.ValidationError(
                {name: ["Ce droit ne se donne pas par l'API."] for name in refused}
            )
        role = attrs.get("role", getattr(self.instance, "role", None))
        shops = attrs.get("shops")
        if (
            role in (User.Role.SHOPKEEPER, User.Role.ACCOUNTANT)
            and shops == []
            and self.instance is None
        ):
            raise serializers.ValidationError(
                {"shops": ["Un commerçant ou un comptable doit avoir au moins un commerce."]}
            )
        return attrs


class AnonymiseInput(serializers.Serializer):
    # Ids checked by the service in one query (each must be a shop whose contact is the
    # person's, or one of the person's shops).
    clear_shop_contacts = ListField(child=serializers.IntegerField(min_value=1), required=False)


class AnonymisedOutput(UserOutput):
    anonymised_at = serializers.DateTimeField()
    # The shops whose contact fields were cleared too (set by the view).
    cleared_shop_contacts = serializers.ListField(child=serializers.IntegerField())

    class Meta(UserOutput.Meta):
        fields = [*UserOutput.Meta.fields, "anonymised_at", "cleared_shop_contacts"]


class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = UserOutput
    permission_classes = [ActionRoles]
    default_roles = COORDINATOR_ONLY
    scoped_model = User
    shop_field = "shops"

    def get_queryset(self):
        return selectors.user_list(user=self.request.user)

    @extend_schema(request=UserInput, responses=UserOutput)
    def create(self, request):
        serializer = UserInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("is_active", None)
        user = services.user_create(**data)
        return Response(UserOutput(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UserInput, responses=UserOutput)
    def partial_update(self, request, pk=None):
        user = self.get_object()
        serializer = UserInput(user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update(user=user, data=dict(serializer.validated_data))
        return Response(UserOutput(user).data)

    @extend_schema(request=AnonymiseInput, responses=AnonymisedOutput)
    @action(detail=True, methods=["post"])
    def anonymise(self, request, pk=None):
        """A person who leaves (RGPD article 17, docs/personal-data.md): names, e-mail
        and phone erased, the account closed; the records naming it stay."""
        person = self.get_object()
        serializer = AnonymiseInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        shop_ids = serializer.validated_data.get("clear_shop_contacts", [])
        person = anonymisation.user_anonymise(
            user_id=person.pk, by=request.user, clear_shop_contacts=shop_ids
        )
        person.cleared_shop_contacts = sorted(set(shop_ids))
        return Response(AnonymisedOutput(person).data)


class TokenInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(trim_whitespace=False, max_length=MAX_PASSWORD_CHARS)
    # Only for users with two-factor login (docs/security.md): their current TOTP code.
    otp = serializers.CharField(required=False, allow_blank=True, max_length=20)


class TokenView(APIView):
    """POST {"username", "password"} -> {"token"}; failures are counted and throttled.
    A user with two-factor login adds "otp", their current code (docs/security.md)."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        request=TokenInput, responses=inline_serializer("Token", {"token": serializers.CharField()})
    )
    def post(self, request):
        serializer = TokenInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        otp = data.pop("otp", "")
        user = services.login_check(request=request._request, **data)
        services.token_second_factor(user=user, otp=otp)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class MeView(APIView):
    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "username": serializers.CharField(),
                "role": serializers.CharField(),
                "shops": serializers.ListField(child=serializers.IntegerField()),
            },
        )
    )
    def get(self, request):
        user = request.user
        return Response(
            {
                "username": user.username,
                "role": user.effective_role,
                "shops": selectors.user_shop_ids(user),
            }
        )


# --- The personal data a user downloads (RGPD article 15, docs/personal-data.md) --------
# Dates are ISO 8601 strings (with their offset for moments); null when unknown.


def _text(**kwargs):
    return serializers.CharField(allow_null=True, **kwargs)


class _Identity(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    first_name = serializers.CharField(allow_blank=True)
    last_name = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)
    role = serializers.CharField()
    role_label = serializers.CharField()
    shops = serializers.ListField(
        child=inline_serializer(
            "PersonalDataShop", {"id": serializers.IntegerField(), "name": serializers.CharField()}
        )
    )
    is_active = serializers.BooleanField()
    date_joined = _text()
    last_login = _text()


class _Token(serializers.Serializer):
    created = _text()
    last_used_at = _text()


class _Device(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    confirmed = serializers.BooleanField()
    created_at = _text()
    last_used_at = _text()


class _Throttle(serializers.Serializer):
    scope = serializers.CharField()
    ip_address = serializers.CharField(allow_blank=True)
    failures = serializers.IntegerField()
    window_started_at = _text()


class _Login(serializers.Serializer):
    at = _text()
    logout_at = _text(required=False)
    ip_address = _text()
    user_agent = serializers.CharField(allow_blank=True)


class _Invitation(serializers.Serializer):
    pending = serializers.BooleanField()
    emails_waiting = serializers.IntegerField()


class _ShopContact(serializers.Serializer):
    shop = serializers.IntegerField()
    name = serializers.CharField()
    matching_fields = serializers.ListField(child=serializers.CharField())


class _Reference(serializers.Serializer):
    id = serializers.IntegerField()
    reference = _text()
    date = _text()
    shop = serializers.IntegerField(allow_null=True)


class _Records(serializers.Serializer):
    table = serializers.CharField()
    name = serializers.CharField()
    field = serializers.CharField()
    role = serializers.CharField()
    count = serializers.IntegerField()
    references = _Reference(many=True)


class _Kept(serializers.Serializer):
    what = serializers.CharField()
    duration = serializers.CharField()
    basis = serializers.CharField()


class _Retention(serializers.Serializer):
    summary = serializers.CharField()
    kept = _Kept(many=True)
    erased = serializers.ListField(child=serializers.CharField())


class PersonalDataOutput(serializers.Serializer):
    generated_at = serializers.CharField()
    identity = _Identity()
    api_tokens = _Token(many=True)
    two_factor_devices = _Device(many=True)
    login_throttle = _Throttle(many=True)
    logins = _Login(many=True)
    login_failures = _Login(many=True)
    invitation = _Invitation()
    shop_contacts = _ShopContact(many=True)
    records = _Records(many=True)
    retention = _Retention()


class PersonalDataView(APIView):
    """GET: everything the cooperative holds that names the caller, as a JSON file
    (`donnees-personnelles-<username>.json`); any logged-in user, for themselves only."""

    @extend_schema(responses=PersonalDataOutput)
    def get(self, request):
        data = personal_data.personal_data_export(user=request.user)
        response = Response(PersonalDataOutput(data).data)
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=personal_data.export_filename(request.user)
        )
        return response


# --- The cooperative (docs/sepa.md, "The cooperative's record"): read by every role,
# changed by the coordinator. The model's validators (SIRET, VAT number, IBAN, BIC, ICS)
# run in the serializer: 400 naming the field, nothing written. ----------------------


def _postcode_or_blank(value: str) -> None:
    # The cooperative's postcode may be blank: the model's regex, declared as a pattern in
    # the schema, would call "" invalid.
    if value:
        validate_postcode(value)


def coordinates_valid(serializer, attrs: dict, latitude: str, longitude: str) -> dict:
    """Both coordinates or neither, in France (mache.validators.place_error, the rule of
    suppliers and the hub), counting what a partial update leaves as it is."""
    instance = serializer.instance

    def value(name):
        return attrs[name] if name in attrs else getattr(instance, name, None)

    if error := place_error(value(latitude), value(longitude)):
        raise serializers.ValidationError({latitude: [error]})
    return attrs


class CooperativeSerializer(serializers.ModelSerializer):
    postcode = serializers.CharField(
        max_length=5, allow_blank=True, required=False, validators=[_postcode_or_blank]
    )
    # A text field in the database: bounded here like every string of the API.
    hub_address = serializers.CharField(max_length=1000, allow_blank=True, required=False)
    # The hub's place and the local radius (docs/local-producers.md): coordinates both or
    # neither and in France (Cooperative.clean, through the service: 400 on hub_latitude).
    hub_latitude = serializers.DecimalField(
        max_digits=8, decimal_places=5, allow_null=True, required=False
    )
    hub_longitude = serializers.DecimalField(
        max_digits=8, decimal_places=5, allow_null=True, required=False
    )
    local_radius_km = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=1000,
        error_messages={
            "min_value": "Le rayon local est d'au moins 1 km.",
            "max_value": "Le rayon local est de 1000 km au plus.",
        },
    )

    class Meta:
        model = Cooperative
        fields = [
            "name",
            "legal_name",
            "siret",
            "vat_number",
            "legal_form",
            "share_capital",
            "rcs",
            "address",
            "postcode",
            "commune",
            "hub_address",
            "hub_latitude",
            "hub_longitude",
            "local_radius_km",
            "iban",
            "bic",
            "sepa_creditor_id",
            "vat_on_debits",
            "payment_term_days",
            "service_fee_rate",
            "share_value",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # Left blank, the VAT number is the one derived from the SIREN (docs/e-invoicing.md).
        data["vat_number"] = instance.effective_vat_number
        return data


class CooperativeView(APIView):
    permission_classes = [ActionRoles]
    action_roles = {"patch": COORDINATOR_ONLY}

    @extend_schema(responses=CooperativeSerializer)
    def get(self, request):
        cooperative = Cooperative.objects.first()
        if cooperative is None:
            raise Http404
        return Response(CooperativeSerializer(cooperative).data)

    @extend_schema(request=CooperativeSerializer, responses=CooperativeSerializer)
    def patch(self, request):
        serializer = CooperativeSerializer(
            Cooperative.objects.first(), data=request.data, partial=True
        )
        serializer.is_valid(raise_exception=True)
        # Only the fields the caller sent are written.
        sent = {k: v for k, v in serializer.validated_data.items() if k in request.data}
        cooperative = services.cooperative_update(data=sent)
        return Response(CooperativeSerializer(cooperative).data)
