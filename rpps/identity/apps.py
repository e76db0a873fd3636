from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "rpps.identity"
    verbose_name = "Identités (une personne, un numéro)"

    def ready(self):
        from . import identity_index

        identity_index.connect()
