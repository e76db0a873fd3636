from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "rpps.fhir"
    verbose_name = "API FHIR"

    def ready(self):
        from . import tombstones

        tombstones.connect()
