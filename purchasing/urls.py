from rest_framework.routers import SimpleRouter

from .apis import catalogue, orders, rounds

router = SimpleRouter()
router.register("suppliers", catalogue.SupplierViewSet, basename="supplier")
router.register("products", catalogue.ProductViewSet, basename="product")
router.register("rounds", rounds.RoundViewSet, basename="round")
router.register("supplier-orders", rounds.SupplierOrderViewSet, basename="supplier-order")
router.register("orders", orders.OrderViewSet, basename="order")
router.register("invoices", orders.InvoiceViewSet, basename="invoice")

urlpatterns = router.urls
