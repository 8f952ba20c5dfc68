from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from . import services
from .models import Cooperative, Shop, User


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
    list_display = ["name", "commune", "postcode", "kind", "zone", "status", "shares",
                    "joined_on"]
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
        # A new shop goes through the service, as in the API: it gets its ledger.
        if change:
            super().save_model(request, obj, form, change)
        else:
            services.shop_insert(shop=obj)


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
        (None, {"classes": ["wide"],
                "fields": ["username", "password1", "password2", "role", "shops"]}),
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

    def save_model(self, request, obj, form, change):
        # Coordinators reach the admin; the others use the pages and the API.
        if not obj.is_superuser:
            obj.is_staff = obj.role == User.Role.COORDINATOR
        super().save_model(request, obj, form, change)
