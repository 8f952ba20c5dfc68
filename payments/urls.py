"""The API of the money after the invoice (docs/api.md, "Money"); its pages are
`payments.views.page_urlpatterns`."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .apis import account, payments

router = SimpleRouter()
router.register("payments", payments.PaymentViewSet, basename="payment")

urlpatterns = [
    path("shops/<int:pk>/account/", account.ShopAccountView.as_view(), name="shop-account"),
    path("", include("payments.apis.bank")),
    *router.urls,
]
