"""The payments app's API routes; each part of the app routes its own module. Its pages
are `payments.views.page_urlpatterns`."""

from django.urls import include, path

urlpatterns = [
    path("", include("payments.apis.bank")),
]
