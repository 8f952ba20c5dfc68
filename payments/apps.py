from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Règlements et banque"

    def ready(self):
        # Imported here: the selectors import the models, which need the app registry.
        from purchasing.hooks import invoice_mandates

        from .selectors import mandate_references

        # An invoice issued to a shop with a mandate names it (direct debit): purchasing
        # sits below payments and asks through its hook (mache/hooks.py).
        invoice_mandates.register(mandate_references)
