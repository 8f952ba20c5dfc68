from django.apps import AppConfig


class WiringConfig(AppConfig):
    """The top layer: the project's urls, the landing pages that gather every app's
    news, and the demo loading. It may import every app; no app imports it."""

    name = "wiring"
    verbose_name = "Assemblage"
