from django.urls import path
from rest_framework.routers import SimpleRouter

from .apis import imports, recalls, stock

router = SimpleRouter()
# The more specific prefixes first: "stock/" alone would otherwise shadow nothing, as it
# has no detail route, but keeping them first makes the intent plain.
router.register("stock/movements", stock.MovementViewSet, basename="stock-movement")
router.register("stock/counts", stock.CountViewSet, basename="stock-count")
router.register("stock", stock.StockViewSet, basename="stock")
router.register("recalls", recalls.RecallViewSet, basename="recall")

urlpatterns = [
    path("stock/alerts/", stock.AlertsView.as_view(), name="stock-alerts"),
    path("stock/minimums/", stock.MinimumView.as_view(), name="stock-minimums"),
    path("stock/value/", stock.StockValueView.as_view(), name="stock-value"),
    path("stock/sales-import/", imports.SalesImportView.as_view(), name="stock-sales-import"),
    path("traceability/", recalls.TraceabilityView.as_view(), name="traceability"),
    *router.urls,
]
