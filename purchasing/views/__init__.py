"""Pages of pooled purchasing: `shop` for shopkeepers, `coordinator` for the
coordinator, `common` for what both share."""

from django.urls import path

from .coordinator import (
    coord_purchase_order_pdf,
    coord_round,
    coord_round_cancel,
    coord_round_confirm,
    coord_round_consolidate,
    coord_round_receipt,
    coord_round_task,
    coord_round_total,
)
from .credit_notes import (
    coord_credit_note_new,
    coord_invoice,
    credit_note_detail,
    credit_note_pdf_view,
    shop_credit_notes,
)
from .round_admin import (
    coord_round_clone,
    coord_round_edit,
    coord_round_remind,
    coord_rounds,
    coord_schedule_edit,
    coord_schedule_toggle,
    coord_schedules,
)
from .shop import (
    invoice_detail,
    invoice_pdf_view,
    shop_invoices,
    shop_order,
    shop_order_estimate,
    shop_orders,
    shop_rounds,
)
from .supplier_invoices import (
    coord_supplier_invoice,
    coord_supplier_invoice_approve,
    coord_supplier_invoice_file,
    coord_supplier_invoice_reject,
    coord_supplier_invoices,
)

page_urlpatterns = [
    path("commandes/", shop_rounds, name="shop-rounds"),
    path("commandes/historique/", shop_orders, name="shop-orders"),
    path("commandes/<int:pk>/", shop_order, name="shop-order"),
    path("commandes/<int:pk>/estimation/", shop_order_estimate, name="shop-order-estimate"),
    path("factures/", shop_invoices, name="shop-invoices"),
    path("factures/<int:pk>/pdf/", invoice_pdf_view, name="shop-invoice-pdf"),
    path("factures/<int:pk>/", invoice_detail, name="shop-invoice"),
    # Credit notes (docs/credit-notes.md).
    path("avoirs/", shop_credit_notes, name="shop-credit-notes"),
    path("avoirs/<int:pk>/", credit_note_detail, name="credit-note"),
    path("avoirs/<int:pk>/pdf/", credit_note_pdf_view, name="credit-note-pdf"),
    path("coordination/factures/<int:pk>/", coord_invoice, name="coord-invoice"),
    path(
        "coordination/factures/<int:pk>/avoir/", coord_credit_note_new, name="coord-credit-note-new"
    ),
    # Suppliers' e-invoices (docs/supplier-invoices.md).
    path(
        "coordination/factures-fournisseurs/",
        coord_supplier_invoices,
        name="coord-supplier-invoices",
    ),
    path(
        "coordination/factures-fournisseurs/<int:pk>/",
        coord_supplier_invoice,
        name="coord-supplier-invoice",
    ),
    path(
        "coordination/factures-fournisseurs/<int:pk>/approuver/",
        coord_supplier_invoice_approve,
        name="coord-supplier-invoice-approve",
    ),
    path(
        "coordination/factures-fournisseurs/<int:pk>/rejeter/",
        coord_supplier_invoice_reject,
        name="coord-supplier-invoice-reject",
    ),
    path(
        "coordination/factures-fournisseurs/<int:pk>/fichier/",
        coord_supplier_invoice_file,
        name="coord-supplier-invoice-file",
    ),
    path("coordination/tournees/", coord_rounds, name="coord-rounds"),
    path("coordination/tournees/<int:pk>/", coord_round, name="coord-round"),
    path("coordination/tournees/<int:pk>/modifier/", coord_round_edit, name="coord-round-edit"),
    path("coordination/tournees/<int:pk>/cloner/", coord_round_clone, name="coord-round-clone"),
    path("coordination/tournees/<int:pk>/relancer/", coord_round_remind, name="coord-round-remind"),
    path("coordination/tournees/hebdomadaires/", coord_schedules, name="coord-schedules"),
    path(
        "coordination/tournees/hebdomadaires/<int:pk>/",
        coord_schedule_edit,
        name="coord-schedule-edit",
    ),
    path(
        "coordination/tournees/hebdomadaires/<int:pk>/desactiver/",
        coord_schedule_toggle,
        name="coord-schedule-toggle",
    ),
    path("coordination/tournees/<int:pk>/total/", coord_round_total, name="coord-round-total"),
    path(
        "coordination/tournees/<int:pk>/consolider/",
        coord_round_consolidate,
        name="coord-round-consolidate",
    ),
    path(
        "coordination/tournees/<int:pk>/taches/<uuid:task_id>/",
        coord_round_task,
        name="coord-round-task",
    ),
    path(
        "coordination/tournees/<int:pk>/valider/", coord_round_confirm, name="coord-round-confirm"
    ),
    path("coordination/tournees/<int:pk>/annuler/", coord_round_cancel, name="coord-round-cancel"),
    path(
        "coordination/tournees/<int:pk>/reception/", coord_round_receipt, name="coord-round-receipt"
    ),
    path(
        "coordination/tournees/<int:pk>/bon-de-commande/",
        coord_purchase_order_pdf,
        name="coord-purchase-order-pdf",
    ),
]
