"""Routes of the payments app. `page_urlpatterns`: its pages (wiring/urls.py adds them
to the site's)."""

from django.urls import path

from .views import coord_reminders

page_urlpatterns = [
    # Issue 14, reminders (docs/invoices-due.md).
    path("coordination/relances/", coord_reminders, name="coord-reminders"),
]
