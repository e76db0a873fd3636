from django.core.management.base import BaseCommand, CommandError

from rpps.publication.publish import PublicationError, latest, publish


class Command(BaseCommand):
    help = (
        "Publie les fichiers d'extraction en libre accès (PS_LibreAcces, MSSanté, porteurs de cartes) depuis la "
        "projection publique du répertoire, de façon atomique."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sans-progression", action="store_true", help="N'affiche pas la barre de progression.")
        parser.add_argument(
            "--si-aucune", action="store_true", help="Ne publie que s'il n'existe encore aucune publication (démo)."
        )

    def handle(self, *args, **options):
        if options["si_aucune"] and latest() is not None:
            self.stdout.write(f"Publication {latest().stamp} déjà en place : rien n'est republié.")
            return
        try:
            publication = publish(progress=not options["sans_progression"])
        except PublicationError as exc:
            raise CommandError(str(exc)) from exc
        for extraction in publication.manifest["extractions"]:
            lines = ", ".join(f"{f['name']} : {f['lines']} lignes" for f in extraction["files"])
            self.stdout.write(f"{extraction['zip']} ({extraction['size']} octets) — {lines}")
        self.stdout.write(f"Publication {publication.stamp} en place (stockage « publications »).")
