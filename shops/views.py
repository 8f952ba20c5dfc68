"""Pages of members: login, the landing page of each role, the shop a shopkeeper is on."""

from django import forms
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from mache.errors import InvalidInput
from mache.errors import Throttled as ThrottledError

from . import selectors, services
from .models import User

HOMES = {User.Role.SHOPKEEPER: "shop-home", User.Role.COORDINATOR: "coord-home",
         User.Role.ACCOUNTANT: "acc-home"}


class LoginForm(forms.Form):
    username = forms.CharField(label="Identifiant", max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "username",
                                                             "autofocus": True}))
    password = forms.CharField(label="Mot de passe", strip=False, widget=forms.PasswordInput(
        attrs={"autocomplete": "current-password"}))

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            # The same check as the API's: throttled, and silent on which part was wrong.
            self.user = services.login_check(username=data["username"],
                                             password=data["password"],
                                             ip=self.request.META.get("REMOTE_ADDR", ""))
        except InvalidInput as exc:
            raise forms.ValidationError(exc.errors["non_field_errors"]) from None
        except ThrottledError as exc:
            raise forms.ValidationError(str(exc.detail)) from None
        return data


def login_view(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = LoginForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        login(request, form.user, backend="shops.auth.RoleBackend")
        return redirect(request.GET.get("next") or "home")
    return render(request, "shops/login.html", {"form": form})


@require_POST
def logout_view(request):
    logout(request)
    return redirect("login")


@login_required
def home(request):
    return redirect(HOMES[request.user.effective_role])


def role_required(*roles):
    """A page for some roles only: the others get 403, as in the API."""

    def decorator(view):
        @login_required
        def wrapped(request, *args, **kwargs):
            if request.user.effective_role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return wrapped

    return decorator


def current_shop(request):
    """The shop a shopkeeper's pages are about: ?shop= (one they may see, else 404), then
    the one chosen before (kept in the session), then their first shop."""
    shops = selectors.shop_list(user=request.user)
    wanted = request.GET.get("shop") or request.session.get("shop_id")
    if wanted:
        shop = selectors.visible_shop(user=request.user, shop_id=wanted)
        if shop is None:
            if request.GET.get("shop"):
                raise Http404
        else:
            request.session["shop_id"] = shop.pk
            return shop
    shop = shops.first()
    if shop is None:
        raise Http404
    return shop


def _placeholder(title):
    @login_required
    def view(request):
        return render(request, "mache/placeholder.html", {"title": title})

    return view


page_urlpatterns = [
    path("", home, name="home"),
    path("commerce/", _placeholder("Accueil"), name="shop-home"),
    path("coordination/", _placeholder("Coordination"), name="coord-home"),
    path("coordination/membres/", _placeholder("Membres"), name="coord-members"),
    path("connexion/", login_view, name="login"),
    path("deconnexion/", logout_view, name="logout"),
]
