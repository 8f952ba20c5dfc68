"""The API of the money after the invoice (docs/api.md, "Money"); its pages are
`payments.views.page_urlpatterns`."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .apis import account, payments, sepa

router = SimpleRouter()
router.register("payments", payments.PaymentViewSet, basename="payment")
# SEPA (docs/sepa.md): batches of direct debits and of transfers to suppliers.
router.register("direct-debits", sepa.DirectDebitViewSet, basename="direct-debit")
router.register("credit-transfers", sepa.CreditTransferViewSet, basename="credit-transfer")

urlpatterns = [
    path("shops/<int:pk>/account/", account.ShopAccountView.as_view(), name="shop-account"),
    path("shops/<int:pk>/mandate/", sepa.ShopMandateView.as_view(), name="shop-mandate"),
    path("", include("payments.apis.bank")),
    *router.urls,
]
