"""The payments app's API routes (under /api/, wired in wiring/urls.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .apis import sepa

router = SimpleRouter()
urlpatterns = []

# --- SEPA: mandates, direct debits, credit transfers (docs/sepa.md) --------------------
router.register("direct-debits", sepa.DirectDebitViewSet, basename="direct-debit")
router.register("credit-transfers", sepa.CreditTransferViewSet, basename="credit-transfer")
urlpatterns += [
    path("shops/<int:pk>/mandate/", sepa.ShopMandateView.as_view(), name="shop-mandate"),
]
# --- end SEPA ---------------------------------------------------------------------------

urlpatterns += router.urls
