from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "rpps.fhir"
    verbose_name = "API FHIR"
