"""Two-factor login (TOTP; issue 12, point 5; docs/security.md): the second step of the
login, and the security page where coordinators and accountants turn it on or off."""

import time

import django_otp
from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from mache.compression import uncompressed
from mache.errors import BusinessRuleError, InvalidInput
from mache.errors import Throttled as ThrottledError
from mache.forms import add_service_errors, posted

from .. import personal_data, services, twofactor
from ..forms import CodeForm
from ..models import User
from . import role_required

# Who waits for their code after a right password: the user, when, and where to go next.
PENDING_KEY = "mache_otp_pending"
PENDING_SECONDS = 300
BACKEND = "shops.auth.RoleBackend"


def ask_code(request, user, next_url: str | None):
    """After the right password of a user with a device: the session is not logged in
    yet; it remembers who is to give a code, for a few minutes."""
    request.session[PENDING_KEY] = {"user": user.pk, "at": time.time(), "next": next_url or ""}
    return redirect("login-code")


def _pending_user(request) -> tuple[User | None, str]:
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None, ""
    user = User.objects.filter(pk=pending.get("user"), is_active=True).first()
    return user, pending.get("next") or ""


def login_code(request):
    """The second step: the 6-digit code of the user's app. Wrong codes are throttled by
    django-otp (1, 2, 4... seconds between tries), answered 429 while it holds."""
    user, next_url = _pending_user(request)
    if user is None:
        request.session.pop(PENDING_KEY, None)
        messages.error(request, "Saisissez de nouveau votre identifiant et votre mot de passe.")
        return redirect("login")
    form = CodeForm(posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            device = services.two_factor_check(user=user, code=form.cleaned_data["code"])
        except InvalidInput as exc:
            add_service_errors(form, exc)
        except ThrottledError as exc:
            form.add_error("code", str(exc.detail))
            status = 429
        else:
            request.session.pop(PENDING_KEY, None)
            login(request, user, backend=BACKEND)
            django_otp.login(request, device)
            safe = next_url and url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            )
            return redirect(next_url if safe else "home")
    return render(request, "shops/login_code.html", {"form": form}, status=status)


@role_required(User.Role.COORDINATOR, User.Role.ACCOUNTANT)
@uncompressed  # it shows the TOTP key (docs/security.md, "Compression")
def security(request):
    """Turn the second factor on (a QR code, then a first code) or off (a current code)."""
    user = request.user
    device = twofactor.confirmed_device(user)
    pending = None if device else twofactor.pending_device(user)
    form = CodeForm(posted(request))
    status = 200
    action = request.POST.get("action")
    if request.method == "POST":
        try:
            if action == "start":
                services.two_factor_start(user=user)
                return redirect("security")
            if action == "cancel":
                services.two_factor_reset_pending(user=user)
                return redirect("security")
            if form.is_valid():
                code = form.cleaned_data["code"]
                if action == "confirm":
                    device = services.two_factor_confirm(user=user, code=code)
                    # This session just gave a right code: it counts as verified.
                    django_otp.login(request, device)
                    messages.success(request, "Double authentification activée.")
                    return redirect("security")
                if action == "disable":
                    services.two_factor_disable(user=user, code=code)
                    messages.success(request, "Double authentification désactivée.")
                    return redirect("security")
        except InvalidInput as exc:
            add_service_errors(form, exc)
        except BusinessRuleError as exc:
            add_service_errors(form, exc, field="code")
            status = 409
        except ThrottledError as exc:
            form.add_error("code", str(exc.detail))
            status = 429
    return render(
        request,
        "shops/security.html",
        {
            "device": device,
            "pending": pending,
            "qr_svg": twofactor.qr_svg(pending) if pending else "",
            "secret": twofactor.secret_for_humans(pending) if pending else "",
            "form": form,
            "required": twofactor.required_for(user),
        },
        status=status,
    )


@role_required(User.Role.COORDINATOR, User.Role.SHOPKEEPER, User.Role.ACCOUNTANT)
def my_data(request):
    """ "Mes données" (RGPD article 15, docs/personal-data.md): the account as the
    cooperative holds it, the download of everything (GET /api/me/personal-data/), and
    what is kept after one leaves."""
    user = request.user
    return render(
        request,
        "shops/my_data.html",
        {
            "person": user,
            "role_label": User.Role(user.effective_role).label,
            "shops": user.shops.order_by("name", "pk"),
            "two_factor": twofactor.confirmed_device(user) is not None,
            "retention": personal_data.RETENTION,
        },
    )
