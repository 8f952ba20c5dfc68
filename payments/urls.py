"""The payments app's API routes; each part of the app routes its own module."""

from django.urls import include, path

urlpatterns = [
    # --- bank statements (helper bank) ---
    path("", include("payments.apis.bank")),
    # --- end of bank statements ---
]
