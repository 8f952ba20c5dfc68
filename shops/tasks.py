"""Shops has no task of its own: this module is what the worker imports (Celery's
autodiscovery), so that the members' e-mails are registered there (mache.notifications)."""

from . import notifications  # noqa: F401
