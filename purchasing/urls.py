from django.urls import path
from rest_framework.routers import SimpleRouter

from .apis import credit_notes, distribution, orders, rounds, suggestion, supplier_invoices

router = SimpleRouter()
router.register("rounds", rounds.RoundViewSet, basename="round")
router.register("round-schedules", rounds.RoundScheduleViewSet, basename="round-schedule")
router.register("supplier-orders", rounds.SupplierOrderViewSet, basename="supplier-order")
router.register("orders", orders.OrderViewSet, basename="order")
router.register("invoices", orders.InvoiceViewSet, basename="invoice")
# Credit notes (docs/credit-notes.md).
router.register("credit-notes", credit_notes.CreditNoteViewSet, basename="credit-note")
# Suppliers' e-invoices (docs/supplier-invoices.md).
router.register(
    "supplier-invoices", supplier_invoices.SupplierInvoiceViewSet, basename="supplier-invoice"
)

urlpatterns = [
    path(
        "rounds/<int:pk>/suggestion/",
        suggestion.RoundSuggestionView.as_view(),
        name="round-suggestion",
    ),
    # Distribution of a received order (docs/distribution.md).
    path(
        "supplier-orders/<int:pk>/delivery-notes/",
        distribution.DeliveryNotesView.as_view(),
        name="supplier-order-delivery-notes",
    ),
    path(
        "supplier-orders/<int:pk>/picking-list/",
        distribution.PickingListView.as_view(),
        name="supplier-order-picking-list",
    ),
    path("tours/<str:delivery_date>/", distribution.TourView.as_view(), name="tour"),
    *router.urls,
]
