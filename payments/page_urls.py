"""The pages of the money after the invoice (server-rendered, French); wiring/urls.py
routes them. The views are in payments/views/, one module per subject; each helper's
routes sit in a block of their own."""

from django.urls import path

from .views import account as account_pages
from .views import payments as payment_pages

page_urlpatterns = []

# --- Shop accounts and payments (helper pay) ---------------------------------------------
page_urlpatterns += [
    path("compte/", account_pages.my_account, name="my-account"),
    path(
        "coordination/membres/<int:pk>/compte/",
        account_pages.coord_shop_account,
        name="coord-shop-account",
    ),
    path("coordination/reglements/", payment_pages.coord_payments, name="coord-payments"),
    path(
        "coordination/reglements/nouveau/",
        payment_pages.coord_payment_new,
        name="coord-payment-new",
    ),
    path(
        "coordination/reglements/<int:pk>/annuler/",
        payment_pages.coord_payment_cancel,
        name="coord-payment-cancel",
    ),
]
# --- end of shop accounts and payments ------------------------------------------------------
