from django.apps import AppConfig


class MacheConfig(AppConfig):
    name = "mache"
    verbose_name = "MACHE"
