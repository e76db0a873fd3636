from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "rpps.registry"
    verbose_name = "Répertoire (RPPS)"

    def ready(self):
        from . import folding, history
        from .models import RECORDED_MODELS

        history.connect(RECORDED_MODELS)
        folding.connect()
