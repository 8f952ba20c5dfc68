"""Pages of the money after the invoice (server-rendered, French); each module routes
its own pages, gathered here for wiring/urls.py."""

from django.urls import path

from . import account, payments
from .bank import page_urlpatterns as bank_pages
from .reminders import page_urlpatterns as reminder_pages
from .sepa import page_urlpatterns as sepa_pages

page_urlpatterns = [
    path("compte/", account.my_account, name="my-account"),
    path(
        "coordination/membres/<int:pk>/compte/",
        account.coord_shop_account,
        name="coord-shop-account",
    ),
    path("coordination/reglements/", payments.coord_payments, name="coord-payments"),
    path("coordination/reglements/nouveau/", payments.coord_payment_new, name="coord-payment-new"),
    path(
        "coordination/reglements/<int:pk>/annuler/",
        payments.coord_payment_cancel,
        name="coord-payment-cancel",
    ),
    *bank_pages,
    *reminder_pages,
    *sepa_pages,
]
