from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "rpps.directory"
    verbose_name = "Annuaire public"

    def ready(self):
        from . import search_index

        search_index.connect()
