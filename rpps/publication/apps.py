from django.apps import AppConfig


class PublicationConfig(AppConfig):
    name = "rpps.publication"
    verbose_name = "Publication (fichiers d'extraction)"

    def ready(self):
        from . import oppositions

        oppositions.connect()
