import time

from django.core.management.base import BaseCommand, CommandError

from rpps.registry.population.run import RegistryNotEmpty, generate, refuse_synthetic_data


class Command(BaseCommand):
    help = "Génère une population synthétique déterministe (graine) dans un répertoire vide, en masse."

    def add_arguments(self, parser):
        parser.add_argument(
            "--personnes", "--persons", dest="persons", type=int, required=True, help="nombre de personnes"
        )
        parser.add_argument("--graine", "--seed", dest="seed", type=int, default=1, help="même graine, même population")
        parser.add_argument(
            "--taille-lot", "--batch-size", dest="batch_size", type=int, default=5000, help="personnes par lot"
        )
        parser.add_argument("--sans-progression", "--no-progress", dest="no_progress", action="store_true")

    def handle(self, *args, persons, seed, batch_size, no_progress, **options):
        refuse_synthetic_data()
        if persons < 1:
            raise CommandError("--personnes doit être au moins 1.")
        started = time.perf_counter()
        try:
            counts = generate(persons, seed, batch_size=batch_size, progress=not no_progress)
        except RegistryNotEmpty as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        details = ", ".join(f"{label.split('.')[-1]}={n}" for label, n in counts.items())
        self.stdout.write(
            f"{persons} personnes générées en {elapsed:.1f} s ({persons / elapsed:.0f} pers/s) : {details}"
        )
