import datetime
import re

from django.core.management.base import BaseCommand, CommandError

from rpps.publication import loader
from rpps.publication.reader import ExtractionError, open_extraction
from rpps.registry.memory import without_cycle_collector


class Command(BaseCommand):
    help = (
        "Charge une extraction PS_LibreAcces (zip, répertoire ou fichiers .txt) dans le répertoire. Sans --appliquer, "
        "affiche seulement les ajouts, modifications et retraits par nature d'objet."
    )

    def add_arguments(self, parser):
        parser.add_argument("chemins", nargs="+")
        parser.add_argument(
            "--appliquer", "--apply", action="store_true", help="Écrit les changements, en une transaction."
        )
        parser.add_argument(
            "--forcer", "--force", action="store_true", help="Applique même au-delà du seuil de retraits."
        )
        parser.add_argument("--seuil-retraits", type=float, default=5.0, help="Part maximale de retraits, en %% (5).")
        parser.add_argument(
            "--lignes-invalides",
            choices=["ignorer", "arreter"],
            default="ignorer",
            help="Une ligne mal formée est ignorée (signalée) ou arrête le chargement.",
        )
        parser.add_argument("--date", help="Date de l'extraction (AAAA-MM-JJ) ; par défaut celle du nom du fichier.")

    def handle(self, *args, chemins, appliquer, forcer, seuil_retraits, lignes_invalides, date, **options):
        try:
            extraction = open_extraction(chemins)
            day = datetime.date.fromisoformat(date) if date else _date_from_names(extraction) or datetime.date.today()
            with without_cycle_collector():
                plan = loader.plan_load(extraction, day)
        except (ExtractionError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        for problem in plan.problems:
            self.stderr.write(str(problem))
        if plan.problems and lignes_invalides == "arreter":
            raise CommandError(f"{len(plan.problems)} ligne(s) invalide(s) : chargement arrêté, rien n'est écrit.")
        self.stdout.write(f"Extraction du {day:%d/%m/%Y} :")
        for kind, counts in plan.counts.items():
            self.stdout.write(
                f"  {kind} : {counts['ajouts']} ajout(s), {counts['modifications']} modification(s), "
                f"{counts['retraits']} retrait(s)"
            )
        if not appliquer:
            self.stdout.write("Simulation : rien n'est écrit (ajoutez --appliquer).")
            return
        reported = len(plan.problems)
        try:
            with without_cycle_collector():  # millions of rows held at once (rpps.registry.memory)
                loader.apply_plan(plan, max_removal_share=seuil_retraits / 100, force=forcer)
        except loader.LoadRefused as exc:
            raise CommandError(str(exc)) from exc
        for problem in plan.problems[reported:]:
            self.stderr.write(str(problem))
        self.stdout.write("Changements appliqués.")
        if options["verbosity"] >= 2:
            self.stdout.write(
                "Durées : " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in plan.timings.items())
            )


def _date_from_names(extraction) -> datetime.date | None:
    for source in extraction.sources.values():
        match = re.search(r"_(\d{8})\d{4}\.txt$", source.name)
        if match:
            return datetime.datetime.strptime(match.group(1), "%Y%m%d").date()
    return None
