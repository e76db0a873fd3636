import csv
import gzip
import json
import tarfile

from django.core.management.base import BaseCommand, CommandError

from rpps.nomenclatures import cog

# The package's types, as one letter in the shipped file.
TYPES = {
    "commune-actuelle": cog.CURRENT,
    "commune-deleguee": cog.DELEGATED,
    "commune-associee": cog.ASSOCIATED,
    "arrondissement-municipal": cog.MUNICIPAL_DISTRICT,
}


class Command(BaseCommand):
    help = (
        "Reconstruit la table des communes du COG livrée avec le produit (rpps/nomenclatures/data/"
        f"{cog.FILE_NAME}) depuis le paquet npm @etalab/decoupage-administratif (archive .tgz obtenue par "
        "« npm pack @etalab/decoupage-administratif@<version> »), ou son fichier data/communes.json."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="archive .tgz du paquet, ou son fichier communes.json")

    def handle(self, *args, source: str, **options):
        try:
            if source.endswith((".tgz", ".tar.gz")):
                with tarfile.open(source) as archive:
                    communes = json.load(archive.extractfile("package/data/communes.json"))
            else:
                with open(source, encoding="utf-8") as handle:
                    communes = json.load(handle)
        except (OSError, KeyError, ValueError, tarfile.TarError) as exc:
            raise CommandError(f"Source illisible : {exc}") from exc
        rows = []
        for c in communes:
            kind = TYPES.get(c.get("type"))
            if kind is None:
                continue
            current = c["code"] if kind == cog.CURRENT else c.get("chefLieu") or c.get("commune") or c["code"]
            rows.append((c["code"], c["nom"], kind, c["departement"], c.get("arrondissement", ""), current))
        named = {row[0] for row in rows if row[2] != cog.CURRENT}
        for c in communes:
            if c.get("type") == "commune-actuelle":
                # a former code (merged, renumbered: the Corsican 20xxx) with no row of its own
                rows += [
                    (old, "", cog.FORMER, c["departement"], c.get("arrondissement", ""), c["code"])
                    for old in c.get("anciensCodes", ())
                    if old not in named
                ]
        rows.sort()
        with gzip.open(cog.PATH, "wt", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=";", lineterminator="\n")
            writer.writerow(cog.COLUMNS)
            writer.writerows(rows)
        self.stdout.write(f"{len(rows)} codes écrits dans {cog.PATH}.")
