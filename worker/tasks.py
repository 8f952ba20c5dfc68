"""Celery tasks: thin, they take ids and call services."""

from celery import shared_task


@shared_task(name="worker.ping")
def ping() -> str:
    """Answers "pong": lets health checks and tests see a worker run a task end to end."""
    return "pong"
