import time

from django.core.management.base import BaseCommand

from rpps.directory import search_index


class Command(BaseCommand):
    help = (
        "Reconstruit l'index de recherche de l'annuaire public à partir du répertoire ; --dates ne réindexe que "
        "les professionnels dont une situation a commencé ou pris fin ces derniers jours (à lancer chaque jour)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dates", action="store_true", help="réindexer seulement les situations ouvertes ou closes"
        )
        parser.add_argument("--jours", type=int, default=7, help="fenêtre de --dates, en jours (7 par défaut)")

    def handle(self, *args, dates: bool, jours: int, **options):
        started = time.perf_counter()
        count = search_index.refresh_dates(days=jours) if dates else search_index.rebuild()
        elapsed = time.perf_counter() - started
        self.stdout.write(f"{count} ligne(s) d'index écrite(s) en {elapsed:.1f} s.")
