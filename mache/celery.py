"""The Celery application: configured from Django settings (CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mache.settings")

app = Celery("mache")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Every installed app's tasks module (mache.tasks, purchasing.tasks, worker.tasks).
app.autodiscover_tasks()
