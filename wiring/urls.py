"""The project's urls: every app's API and pages (ROOT_URLCONF)."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounting.views import page_urlpatterns as accounting_pages
from catalogue.views import page_urlpatterns as catalogue_pages
from inventory.views import page_urlpatterns as inventory_pages
from mache.health import healthz
from payments.views import page_urlpatterns as payments_pages
from purchasing.views import page_urlpatterns as purchasing_pages
from shops.views import page_urlpatterns as shops_pages
from worker.views import page_urlpatterns as worker_pages

from .views import page_urlpatterns as wiring_pages

admin.site.site_header = "MACHE — administration"
admin.site.site_title = "MACHE"
admin.site.index_title = "Coopérative"


def _superusers_only(request) -> bool:
    """The Django admin is for a superuser's maintenance only: the coordinator runs the
    cooperative from its pages (docs/security.md)."""
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superusers_only

# Every app's API lives under /api/; the tenancy walk (tests/test_tenancy_walk.py)
# enumerates these patterns, so a new endpoint is covered as soon as it is routed here.
api_patterns = [
    path("", include("shops.urls")),
    path("", include("catalogue.urls")),
    path("", include("purchasing.urls")),
    path("", include("inventory.urls")),
    path("", include("accounting.urls")),
    path("", include("worker.urls")),
    path("", include("payments.urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from our static files (sidecar), its start script served apart (no
    # inline script): it works under the site's Content-Security-Policy.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="schema", template_name="mache/swagger_ui.html"
        ),
        name="docs",
    ),
    path("api/", include(api_patterns)),
    # The pages people use (server-rendered): each app routes its own.
    # The landing pages (wiring) gather them all.
    *wiring_pages,
    *shops_pages,
    *catalogue_pages,
    *purchasing_pages,
    *inventory_pages,
    *accounting_pages,
    *worker_pages,
    *payments_pages,
]

handler400 = "mache.errors.bad_request"
handler404 = "mache.errors.not_found"
handler403 = "mache.errors.permission_denied"
handler500 = "mache.errors.server_error"
