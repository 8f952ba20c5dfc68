"""What the apps above purchasing may tell it (mache.hooks)."""

from mache.hooks import Hook

# invoice_mandates.results(shop_ids=..., on=date) -> [{shop_id: mandate reference}]: the
# shops that will be collected by SEPA direct debit on `on`, with their mandate's RUM.
# Payments keeps the mandates and answers (payments/apps.py); an invoice issued to one of
# these shops says "direct_debit" and the RUM (docs/e-invoicing.md, "Identities").
invoice_mandates = Hook("invoice mandates")
