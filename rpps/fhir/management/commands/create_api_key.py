from django.core.management.base import BaseCommand

from rpps.fhir.models import ApiKey


class Command(BaseCommand):
    help = "Crée une clé pour l'API FHIR et l'affiche (elle n'est conservée que sous forme d'empreinte)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="nom de l'application ou de l'organisation")

    def handle(self, *args, name: str, **options):
        _, key = ApiKey.issue(name, created_by="create_api_key")
        self.stdout.write(key)
