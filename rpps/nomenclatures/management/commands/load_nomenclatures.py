from django.core.management.base import BaseCommand

from rpps.nomenclatures.loader import load_tables
from rpps.nomenclatures.models import Concept, Table


class Command(BaseCommand):
    help = "Compare les nomenclatures livrées avec la base ; --appliquer écrit la différence (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--appliquer",
            "--apply",
            dest="apply",
            action="store_true",
            help="écrire les changements (sinon : simulation)",
        )

    def handle(self, *args, apply: bool, **options):
        report = load_tables(Table, Concept, apply=apply)
        prefix = "" if apply else "[simulation, rien n'est écrit ; relancer avec --appliquer] "
        self.stdout.write(prefix + report.summary())
