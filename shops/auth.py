"""Who is who: permissions follow the role (a coordinator may use the admin of every MACHE
app), API tokens expire when idle, and passwords are not blank."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from .models import TokenActivity

COORDINATOR_APPS = {
    "shops",
    "catalogue",
    "purchasing",
    "inventory",
    "accounting",
    "worker",
    "authtoken",
}
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


class RoleBackend(ModelBackend):
    def has_perm(self, user_obj, perm, obj=None):
        if getattr(user_obj, "is_coordinator", False) and perm.split(".", 1)[0] in COORDINATOR_APPS:
            return True
        return super().has_perm(user_obj, perm, obj)

    def has_module_perms(self, user_obj, app_label):
        if getattr(user_obj, "is_coordinator", False) and app_label in COORDINATOR_APPS:
            return True
        return super().has_module_perms(user_obj, app_label)


class IdleTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing (401) a token unused for TOKEN_IDLE_TIMEOUT
    seconds, which is then deleted. The last use is written at most once a minute, so
    that reading the API does not write on every request."""

    keyword = "Token"

    def authenticate_credentials(self, key):
        try:
            token = Token.objects.select_related("user", "activity").get(key=key)
        except Token.DoesNotExist:
            raise AuthenticationFailed("Jeton invalide.") from None
        if not token.user.is_active:
            raise AuthenticationFailed("Utilisateur inactif ou supprimé.")
        now = timezone.now()
        activity = getattr(token, "activity", None)
        last_used = activity.last_used_at if activity is not None else token.created
        if now - last_used > timedelta(seconds=settings.TOKEN_IDLE_TIMEOUT):
            token.delete()
            raise AuthenticationFailed("Jeton expiré faute d'usage : demandez-en un nouveau.")
        if now - last_used >= TOKEN_USE_RESOLUTION:
            TokenActivity.objects.bulk_create(
                [TokenActivity(token=token, last_used_at=now)],
                update_conflicts=True,
                unique_fields=["token"],
                update_fields=["last_used_at"],
            )
        return token.user, token


class NotOnlySpacesValidator:
    """A password of spaces only passes Django's length check: refuse it."""

    def validate(self, password, user=None):
        if not password.strip():
            raise ValidationError(
                "Le mot de passe ne peut pas être fait que d'espaces.", code="password_blank"
            )

    def get_help_text(self):
        return "Votre mot de passe ne peut pas être fait que d'espaces."
