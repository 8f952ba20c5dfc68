"""Two-factor login with TOTP (django-otp): which users have a device, the QR code of
enrolment, and the middleware that holds a session to it (docs/security.md).

A user with a confirmed device is logged in only after the code (shops.views.auth);
a session of such a user that was not verified (opened before the device was enrolled,
or through another way in) is ended. When the cooperative requires it, a coordinator
without a device may only reach the security page until they enrol."""

from importlib import import_module

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Cooperative

BAD_CODE = "Code incorrect : saisissez les 6 chiffres affichés par votre application."

__all__ = ["TOTPDevice"]


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_device(user) -> TOTPDevice | None:
    """The device being enrolled (shown as a QR code, not confirmed by a code yet)."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def required_for(user) -> bool:
    """Does the cooperative require a second factor of this user? (Coordinators only,
    when Cooperative.coordinators_need_two_factor is on.)"""
    if not user.is_coordinator:
        return False
    return bool(Cooperative.objects.values_list("coordinators_need_two_factor", flat=True).first())


def clean_code(code) -> str:
    """What was typed, without the spaces apps show in the middle ("123 456")."""
    return "".join(str(code or "").split())


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code (no image library)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode")


def secret_for_humans(device: TOTPDevice) -> str:
    """The secret in base32, by groups of four, for typing it into an app."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def end_sessions(user) -> int:
    """Delete every session of `user` (database-backed sessions: the only ones that can
    be listed). Called when an account is deactivated."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):
        return 0
    model = store.get_model_class()
    keys = [
        session.session_key
        for session in model.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get(SESSION_KEY) == str(user.pk)
    ]
    model.objects.filter(session_key__in=keys).delete()
    return len(keys)


class TwoFactorMiddleware:
    """After django_otp's OTPMiddleware: see the module's docstring."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified():
            refusal = self.refusal(request, user)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    @staticmethod
    def refusal(request, user):
        api = request.path.startswith("/api/")
        if confirmed_device(user) is not None:
            logout(request)
            if api:
                return JsonResponse(
                    {"detail": "Connectez-vous avec votre code de double authentification."},
                    status=401,
                )
            return redirect(f"{settings.LOGIN_URL}?{urlencode({'next': request.get_full_path()})}")
        if request.path in (reverse("security"), reverse("logout")) or not required_for(user):
            return None
        if api:
            return JsonResponse(
                {
                    "detail": "La coopérative exige la double authentification : "
                    "activez-la sur la page Sécurité.",
                    "code": "two_factor_required",
                },
                status=403,
            )
        return redirect("security")
