"""Shops and users in the admin: written through their services, as by the API and the
pages (a shop gets its ledger, a user's admin access follows their role, a new password
is checked and revokes the user's tokens)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm

from .models import Cooperative, Shop, User
from .services import shop_create, shop_update, user_create, user_update


def _model_fields(form, model, names) -> dict:
    """The values of the form's fields named in `names` that are plain fields of `model`
    (many-to-many relations are saved by the admin afterwards, with the inlines)."""
    concrete = {f.name for f in model._meta.concrete_fields}
    return {name: form.cleaned_data[name] for name in names if name in concrete}


def _became(obj, saved) -> None:
    """The admin goes on (inlines, many-to-many, its messages) with `obj`: make it the
    row the service saved."""
    obj.pk, obj._state.adding, obj._state.db = saved.pk, False, saved._state.db
    obj.refresh_from_db()


@admin.register(Cooperative)
class CooperativeAdmin(admin.ModelAdmin):
    list_display = ["name", "legal_name", "siret", "service_fee_rate", "share_value"]

    def has_add_permission(self, request):
        # One cooperative per installation (a database constraint enforces it too).
        return not Cooperative.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


class ShopAccessInline(admin.TabularInline):
    model = User.shops.through
    extra = 0
    verbose_name = "accès utilisateur"
    verbose_name_plural = "utilisateurs ayant accès"
    autocomplete_fields = ["user"]


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ["name", "commune", "postcode", "kind", "zone", "status", "shares", "joined_on"]
    list_filter = ["status", "zone", "kind"]
    search_fields = ["name", "legal_name", "siret", "commune", "postcode"]
    date_hierarchy = "joined_on"
    inlines = [ShopAccessInline]
    fieldsets = [
        ("Identité", {"fields": ["name", "legal_name", "siret", "kind"]}),
        ("Coordonnées", {"fields": ["address", "postcode", "commune", "email", "phone"]}),
        ("Adhésion", {"fields": ["zone", "status", "joined_on", "left_on", "shares"]}),
    ]

    def save_model(self, request, obj, form, change):
        if change:
            shop_update(
                shop=obj, user=request.user, data=_model_fields(form, Shop, form.changed_data)
            )
        else:
            _became(obj, shop_create(data=_model_fields(form, Shop, form.cleaned_data)))


class ServicePasswordChangeForm(AdminPasswordChangeForm):
    """The admin's "change password" page, through user_update (checks, token revocation)."""

    def save(self, commit=True):
        if not self.cleaned_data.get("set_usable_password", True):
            return super().save(commit=commit)
        return user_update(user=self.user, data={"password": self.cleaned_data["password1"]})


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active", "shops"]
    search_fields = ["username", "first_name", "last_name", "email"]
    filter_horizontal = ["shops"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Personne", {"fields": ["first_name", "last_name", "email"]}),
        ("Rôle et accès", {"fields": ["role", "shops", "is_active"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    superuser_fieldsets = [("Droits Django", {"fields": ["is_staff", "is_superuser"]})]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "password1", "password2", "role", "shops"],
            },
        ),
    ]
    readonly_fields = ["last_login", "date_joined"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and request.user.is_superuser:
            fieldsets = [*fieldsets, *self.superuser_fieldsets]
        return fieldsets

    def get_queryset(self, request):
        # A coordinator manages people, not the superusers who run the installation.
        queryset = super().get_queryset(request)
        if not request.user.is_superuser:
            queryset = queryset.filter(is_superuser=False)
        return queryset

    change_password_form = ServicePasswordChangeForm

    def save_model(self, request, obj, form, change):
        if change:
            fields = [name for name in form.changed_data if name != "password"]
            user_update(user=obj, data=_model_fields(form, User, fields))
            obj.refresh_from_db()
        else:
            _became(
                obj,
                user_create(
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password1"],
                    role=form.cleaned_data["role"],
                ),
            )
