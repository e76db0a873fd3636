from django.apps import AppConfig


class WwwConfig(AppConfig):
    name = "rpps.www"
    verbose_name = "Site"
