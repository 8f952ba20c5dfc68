"""What the apps above shops may add to a member's life (mache.hooks)."""

from mache.hooks import Hook

# shop_created.run(shop): a new shop was just saved, in its transaction. Accounting opens
# its ledger there (accounting/apps.py).
shop_created = Hook("shop created")
