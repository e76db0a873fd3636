import csv
import sys

from django.core.management.base import BaseCommand, CommandError

from rpps.identity.resolver import resolve
from rpps.identity.scoring import MATCH, POSSIBLE
from rpps.identity.traits import InvalidTraits, Traits
from rpps.registry.models import Person

COLUMNS = ["nom_naissance", "prenoms", "date_naissance", "sexe", "code_lieu_naissance"]


class Command(BaseCommand):
    help = (
        "Résout une liste d'identités (CSV ; colonnes nom_naissance;prenoms;date_naissance;sexe;code_lieu_naissance, "
        "dates AAAA-MM-JJ) et écrit une décision par ligne (decision;rpps;explication) sans rien modifier."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="fichier CSV d'entrée (UTF-8, séparateur ;)")
        parser.add_argument("--output", help="fichier de sortie (par défaut : sortie standard)")

    def handle(self, *args, file: str, output: str | None, **options):
        try:
            source = open(file, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise CommandError(f"Impossible de lire {file} : {exc.strerror}.") from exc
        with source:
            reader = csv.DictReader(source, delimiter=";")
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise CommandError(
                    f"Colonnes manquantes dans {file} : {', '.join(missing)} (attendu : {';'.join(COLUMNS)})."
                )
            target = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout  # noqa: SIM115
            try:
                writer = csv.writer(target, delimiter=";", lineterminator="\n")
                writer.writerow(["decision", "rpps", "explication"])
                for number, row in enumerate(reader, start=2):
                    writer.writerow(self.resolve_row(row, number))
            finally:
                if output:
                    target.close()

    @staticmethod
    def resolve_row(row: dict, number: int) -> list[str]:
        try:
            traits = Traits.parse(
                nom=row.get("nom_naissance") or "",
                prenoms=row.get("prenoms") or "",
                sexe=row.get("sexe") or "",
                date_naissance=row.get("date_naissance") or "",
                lieu_naissance=row.get("code_lieu_naissance") or "",
            )
        except InvalidTraits as exc:
            return ["ERREUR", "", f"ligne {number} : {exc}"]
        decision = resolve(traits)
        ids = [c.candidate.person_id for c in decision.comparisons]
        rpps = dict(Person.objects.filter(pk__in=ids).values_list("id", "rpps"))
        numbers = ",".join(rpps[i] for i in ids) if decision.outcome in (MATCH, POSSIBLE) else ""
        return [decision.outcome, numbers, decision.explanation(rpps)]
