"""Pages of members: login, the shop a shopkeeper is on, the coordinator's list of member
shops. The landing pages, which gather every app's news, are in wiring/views.py."""

from django import forms
from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from mache.errors import InvalidInput
from mache.errors import Throttled as ThrottledError
from mache.forms import posted
from mache.limits import MAX_PASSWORD_CHARS
from mache.query import as_id

from .. import selectors, services, throttle, twofactor
from ..forms import MemberFilterForm
from ..models import Shop, User

MEMBERS_PER_PAGE = 50


class LoginForm(forms.Form):
    username = forms.CharField(
        label="Identifiant",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label="Mot de passe",
        strip=False,
        max_length=MAX_PASSWORD_CHARS,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        self.user = None
        self.throttled = None
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            # The same check as the API's: throttled, and silent on which part was wrong.
            self.user = services.login_check(
                request=self.request, username=data["username"], password=data["password"]
            )
        except InvalidInput as exc:
            raise forms.ValidationError(exc.errors["non_field_errors"]) from None
        except ThrottledError as exc:
            self.throttled = exc
            raise forms.ValidationError(str(exc.detail)) from None
        return data


def login_view(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = LoginForm(posted(request), request=request)
    if request.method == "POST" and form.is_valid():
        if twofactor.confirmed_device(form.user) is not None:
            return security.ask_code(request, form.user, safe_next(request))
        login(request, form.user, backend="shops.auth.RoleBackend")
        return redirect(safe_next(request) or "home")
    response = render(
        request, "shops/login.html", {"form": form}, status=429 if form.throttled else 200
    )
    if form.throttled:
        response["Retry-After"] = str(form.throttled.wait)
    return response


def safe_next(request) -> str | None:
    """`?next=` when it stays on this site (a path, or this host), else None: a link to
    the login page must not send people elsewhere once logged in."""
    target = request.GET.get("next") or request.POST.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def login_url(request) -> str:
    """The login page, coming back to this request's page afterwards (encoded)."""
    query = QueryDict(mutable=True)
    query["next"] = request.get_full_path()
    return f"{settings.LOGIN_URL}?{query.urlencode(safe='/')}"


@require_POST
def logout_view(request):
    logout(request)
    return redirect("login")


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by e-mail, throttled like a login: per e-mail address, and per
    (address, client address). The link in the e-mail is built on SITE_URL, never on
    the Host header of the request."""

    template_name = "shops/password_reset_form.html"
    email_template_name = "shops/password_reset_email.txt"
    subject_template_name = "shops/password_reset_subject.txt"
    success_url = reverse_lazy("password-reset-done")

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        ip = throttle.client_ip(self.request)
        reservation = throttle.reserve(scope=throttle.PASSWORD_RESET, name=email, ip=ip)
        if not reservation.allowed:
            throttle.log.warning(
                "Password reset refused (too many requests): email=%r ip=%s", email, ip
            )
            form.add_error(None, "Trop de demandes pour cette adresse. Réessayez plus tard.")
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(reservation.wait)
            return response
        throttle.log.info("Password reset requested: email=%r ip=%s", email, ip)
        self.extra_email_context = {"site_url": settings.SITE_URL.rstrip("/")}
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The new password follows the validators; saving it revokes the user's API tokens
    and ends their sessions (shops.models.User.save, the session auth hash)."""

    template_name = "shops/password_reset_confirm.html"
    success_url = reverse_lazy("password-reset-complete")

    def get_user(self, uidb64):
        # A deactivated account keeps no way back in through an old link.
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None


class InvitationConfirmView(PasswordResetConfirmView):
    """The link of an invitation (shops.notifications.user_invitation): the same token
    and rules as a reset, worded for a first password."""

    template_name = "shops/invitation_confirm.html"
    success_url = reverse_lazy("invitation-complete")


def role_required(*roles):
    """A page for some roles only: the others get 403, as in the API."""

    def decorator(view):
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                # An htmx request would swap the login page into a part of the page:
                # ask htmx to go there as a whole page instead.
                login = login_url(request)
                if getattr(request, "htmx", False):
                    return HttpResponse(status=204, headers={"HX-Redirect": login})
                return redirect(login)
            if request.user.effective_role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return wrapped

    return decorator


def current_shop(request, shops=None):
    """The shop a shopkeeper's pages are about: ?shop= (one they may see, else 404), then
    the one chosen before (kept in the session), then their first shop. `shops`: the
    shops the user may see, by id, when already read (`shop_page`: one query, not two)."""
    wanted = request.GET.get("shop") or request.session.get("shop_id")
    if wanted:
        if shops is None:
            shop = selectors.visible_shop(user=request.user, shop_id=wanted)
        else:
            pk = as_id(wanted)
            shop = next((shop for shop in shops if shop.pk == pk), None)
        if shop is None:
            if request.GET.get("shop"):
                raise Http404
        else:
            if request.session.get("shop_id") != shop.pk:  # else no session write
                request.session["shop_id"] = shop.pk
            return shop
    shop = shops[0] if shops else None
    if shops is None:
        shop = selectors.shop_list(user=request.user).first()
    if shop is None:
        raise Http404
    return shop


def shop_page(request) -> dict:
    """The context every shopkeeper page starts from: the current shop, and the shops
    to switch between when the user has several (a switcher for one is noise)."""
    shops = list(selectors.shop_list(user=request.user))  # by name (Shop.Meta)
    shop = current_shop(request, shops)
    return {"shop": shop, "shops": shops if len(shops) > 1 else []}


@role_required(User.Role.COORDINATOR)
def coord_members(request):
    form = MemberFilterForm(request.GET)
    shops = form.filter(selectors.shop_list(user=request.user))
    counts = shops.aggregate(
        total=Count("pk"),
        **{value: Count("pk", filter=Q(status=value)) for value in Shop.Status.values},
    )
    page = Paginator(shops, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "shops/coord_members.html",
        {
            "form": form,
            "page": page,
            "total": counts.pop("total"),
            "counts": [(label, counts[value]) for value, label in Shop.Status.choices],
        },
    )


# The pages of members, people and security need role_required above.
from . import cooperative, members, people, security  # noqa: E402

page_urlpatterns = [
    path("coordination/membres/", coord_members, name="coord-members"),
    path("coordination/cooperative/", cooperative.cooperative_settings, name="cooperative"),
    path("coordination/membres/nouveau/", members.member_new, name="member-new"),
    path("coordination/membres/<int:pk>/modifier/", members.member_edit, name="member-edit"),
    path("coordination/membres/<int:pk>/admettre/", members.member_admit, name="member-admit"),
    path("coordination/membres/<int:pk>/depart/", members.member_leave, name="member-leave"),
    path("coordination/membres/<int:pk>/suspendre/", members.member_suspend, name="member-suspend"),
    path(
        "coordination/membres/<int:pk>/reactiver/",
        members.member_reactivate,
        name="member-reactivate",
    ),
    path("coordination/personnes/", people.people, name="people"),
    path("coordination/personnes/inviter/", people.person_invite, name="person-invite"),
    path("coordination/personnes/<int:pk>/", people.person, name="person"),
    path("coordination/personnes/<int:pk>/renvoyer/", people.person_resend, name="person-resend"),
    path(
        "coordination/personnes/<int:pk>/desactiver/",
        people.person_deactivate,
        name="person-deactivate",
    ),
    path(
        "coordination/personnes/<int:pk>/reactiver/",
        people.person_reactivate,
        name="person-reactivate",
    ),
    path(
        "coordination/personnes/<int:pk>/double-authentification/",
        people.person_reset_two_factor,
        name="person-reset-two-factor",
    ),
    path(
        "coordination/personnes/<int:pk>/anonymiser/",
        people.person_anonymise,
        name="person-anonymise",
    ),
    path("securite/", security.security, name="security"),
    path("mes-donnees/", security.my_data, name="my-data"),
    path("connexion/code/", security.login_code, name="login-code"),
    path(
        "connexion/invitation/<uidb64>/<token>/",
        InvitationConfirmView.as_view(),
        name="invitation-confirm",
    ),
    path(
        "connexion/invitation/bienvenue/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="shops/invitation_complete.html"
        ),
        name="invitation-complete",
    ),
    path("connexion/", login_view, name="login"),
    path("deconnexion/", logout_view, name="logout"),
    path("connexion/mot-de-passe/oublie/", PasswordResetView.as_view(), name="password-reset"),
    path(
        "connexion/mot-de-passe/envoye/",
        auth_views.PasswordResetDoneView.as_view(template_name="shops/password_reset_done.html"),
        name="password-reset-done",
    ),
    path(
        "connexion/mot-de-passe/nouveau/<uidb64>/<token>/",
        PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "connexion/mot-de-passe/change/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="shops/password_reset_complete.html"
        ),
        name="password-reset-complete",
    ),
]
