"""The API of the money after the invoice (docs/api.md, "Money"). Each helper's routes
sit in a block of their own."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .apis import account, payments

router = SimpleRouter()
urlpatterns = []

# --- Payments and shop accounts (helper pay) --------------------------------------------
router.register("payments", payments.PaymentViewSet, basename="payment")
urlpatterns += [
    path("shops/<int:pk>/account/", account.ShopAccountView.as_view(), name="shop-account"),
]
# --- end of payments and shop accounts ----------------------------------------------------

urlpatterns += router.urls
