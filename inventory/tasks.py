"""The inventory app's tasks (found by Celery's autodiscovery): its e-mails go through
mache.notifications' one task and are registered by importing them here."""

from . import notifications as notifications
