from django.apps import AppConfig


class AccountingConfig(AppConfig):
    name = "accounting"
    verbose_name = "Comptabilité"

    def ready(self):
        # Imported here: models and services cannot be imported before the app registry
        # is ready (Django's rule for AppConfig.ready).
        from shops.hooks import shop_created  # in ready(): the registry must be ready first

        from .services import ledger_for_shop  # idem: it imports the models

        # A new shop gets its ledger with it: shops sits below accounting and cannot
        # call it (mache/hooks.py).
        shop_created.register(ledger_for_shop)
