from django.apps import AppConfig


class DevPscConfig(AppConfig):
    name = "rpps.devpsc"
    verbose_name = "Fournisseur d'identité de développement (Pro Santé Connect)"
