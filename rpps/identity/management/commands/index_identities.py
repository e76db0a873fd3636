import time

from django.core.management.base import BaseCommand

from rpps.identity.identity_index import rebuild as rebuild_index


class Command(BaseCommand):
    help = (
        "Indexe les identités des personnes absentes de l'index de résolution (après un chargement en masse) ; "
        "--reconstruire reconstruit tout."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reconstruire", "--rebuild", dest="rebuild", action="store_true", help="reconstruire tout l'index"
        )

    def handle(self, *args, rebuild: bool, **options):
        started = time.perf_counter()
        count = rebuild_index(full=rebuild)
        elapsed = time.perf_counter() - started
        self.stdout.write(f"{count} identité(s) indexée(s) en {elapsed:.1f} s.")
