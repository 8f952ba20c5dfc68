"""The payments app's tasks. Its e-mails go through mache.notifications' one task; they
are imported here so that a worker (which imports every app's tasks module) knows them."""

from . import notifications as notifications
