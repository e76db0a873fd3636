from django.apps import AppConfig


class NomenclaturesConfig(AppConfig):
    name = "rpps.nomenclatures"
    verbose_name = "Nomenclatures"
