from django.core.management.base import BaseCommand, CommandError

from rpps.publication.publish import PublicationError, publish


class Command(BaseCommand):
    help = (
        "Publie les fichiers d'extraction en libre accès (PS_LibreAcces, MSSanté, porteurs de cartes) depuis la "
        "projection publique du répertoire, de façon atomique."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sans-progression", action="store_true", help="N'affiche pas la barre de progression.")

    def handle(self, *args, **options):
        try:
            publication = publish(progress=not options["sans_progression"])
        except PublicationError as exc:
            raise CommandError(str(exc)) from exc
        for extraction in publication.manifest["extractions"]:
            lines = ", ".join(f"{f['name']} : {f['lines']} lignes" for f in extraction["files"])
            self.stdout.write(f"{extraction['zip']} ({extraction['size']} octets) — {lines}")
        self.stdout.write(f"Publication {publication.stamp} en place dans {publication.path}.")
