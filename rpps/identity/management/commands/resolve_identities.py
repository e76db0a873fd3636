import csv
import io
import sys
import time
from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from rpps.identity.resolver import resolve
from rpps.identity.scoring import MATCH, POSSIBLE
from rpps.identity.traits import InvalidTraits, Traits
from rpps.registry.models import Person

COLUMNS = ["nom_naissance", "prenoms", "date_naissance", "sexe", "code_lieu_naissance"]


def _read_text(path: str) -> tuple[str, str]:
    """The file's text and its encoding: UTF-8 (with or without BOM), UTF-16 (with its BOM), else the
    Windows and Latin-1 encodings spreadsheets save in (every byte is a character there)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise CommandError(f"Impossible de lire {path} : {exc.strerror}.") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8", "cp1252", "latin-1"]
    for encoding in candidates:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise CommandError(f"{path} : encodage illisible (UTF-8, UTF-16, Windows-1252 ou Latin-1 attendu).")


def _csv_problem(exc: csv.Error) -> str:
    message = str(exc)
    if "field larger than field limit" in message:
        return f"champ trop long (plus de {csv.field_size_limit():,} caractères) : fichier mal découpé ?".replace(
            ",", " "
        )
    if "NUL" in message:
        return "caractère nul dans la ligne : fichier binaire ou corrompu ?"
    return f"ligne CSV illisible ({message})."


class Command(BaseCommand):
    help = (
        "Résout une liste d'identités (CSV ; colonnes nom_naissance;prenoms;date_naissance;sexe;code_lieu_naissance, "
        "dates AAAA-MM-JJ) et écrit une décision par ligne (decision;rpps;explication) sans rien modifier."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="fichier CSV d'entrée (séparateur ; ; UTF-8, UTF-16, Windows-1252 ou Latin-1)")
        parser.add_argument(
            "--sortie", "--output", dest="output", help="fichier de sortie (par défaut : sortie standard)"
        )

    def handle(self, *args, file: str, output: str | None, **options):
        text, encoding = _read_text(file)
        if encoding not in ("utf-8", "utf-8-sig"):
            self.stderr.write(f"{file} lu en {encoding} (pas en UTF-8).")
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=";")
        try:
            fieldnames = reader.fieldnames or []
        except csv.Error as exc:
            raise CommandError(f"{file}, ligne 1 : {_csv_problem(exc)}") from None
        missing = [c for c in COLUMNS if c not in fieldnames]
        if missing:
            raise CommandError(
                f"Colonnes manquantes dans {file} : {', '.join(missing)} (attendu : {';'.join(COLUMNS)})."
            )
        try:
            target = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"Impossible d'écrire {output} : {exc.strerror} (le dossier existe-t-il ?).") from None
        started, outcomes = time.perf_counter(), Counter()
        try:
            writer = csv.writer(target, delimiter=";", lineterminator="\n")
            writer.writerow(["decision", "rpps", "explication"])
            number = 1
            try:
                for number, row in enumerate(reader, start=2):
                    result = self.resolve_row(row, number)
                    outcomes[result[0]] += 1
                    writer.writerow(result)
            except csv.Error as exc:
                raise CommandError(f"{file}, ligne {number + 1} : {_csv_problem(exc)}") from None
        finally:
            if output:
                target.close()
        elapsed = time.perf_counter() - started
        total = sum(outcomes.values())
        # on stderr: the decisions may be on stdout
        self.stderr.write(
            f"{total} identités résolues en {elapsed:.1f} s ({total / elapsed if elapsed else 0:.0f} par seconde) : "
            + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        )

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
