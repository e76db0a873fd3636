"""Registering professionals from a file: check and resolve every row first, write only when confirmed.

Files: CSV (UTF-8 with or without BOM, or Latin-1/Windows-1252; `;` or `,`) or XLSX, with the
template's French column names (any order, case and accents ignored). Rows are checked by the same
form as the web page (`forms.ProfessionalForm`) and resolved read-only; the gestionnaire sees the
report, then confirms. Applying registers row by row through `registration.register`, which is
idempotent (a situation already registered is not written twice), so a second upload of the same
file, or a re-run after a crash, creates nothing new.

Large files are checked and applied by jobs (`portal.bulk_check`, `portal.bulk_apply`) in worker
processes: the typed rows wait in the import's record, any server shows the progress, and a worker
that dies is replaced — the check is read-only and the apply idempotent, so the job is simply run
again; after its attempts the import says it was interrupted and can be started again.
"""

import csv
import datetime
import hashlib
import io
import logging
import re
import unicodedata
import zipfile

from django.conf import settings
from django.utils import timezone

from rpps.identity.normalize import normalize_name
from rpps.identity.resolver import resolve
from rpps.identity.scoring import MATCH, NO_MATCH, POSSIBLE
from rpps.identity.services import Checked, registry_mark
from rpps.nomenclatures import catalog, lookup
from rpps.registry import identifiers
from rpps.registry.models import Activity, Person, Structure
from rpps.registry.projection import neutralise
from rpps.runtime import jobs, ratelimit, sandbox

from . import audit, permissions, registration
from .audit import Who
from .bulk_registration import register_rows
from .forms import ProfessionalRules
from .models import AuditEvent, BulkImport

logger = logging.getLogger(__name__)

# Template columns (French, as users read them) → ProfessionalForm fields.
COLUMNS = {
    "nom_naissance": "birth_name",
    "prenoms_naissance": "given_names",
    "sexe": "sex_code",
    "date_naissance": "birth_date",
    "lieu_naissance": "birth_place_code",
    "ville_naissance_etranger": "birth_city_abroad",
    "nom_usage": "usage_name",
    "civilite": "civility_code",
    "role": "role_code",
    "categorie_professionnelle": "category_code",
    "nom_exercice": "exercise_last_name",
    "prenom_exercice": "exercise_first_name",
    "finess_ou_siret_site": "structure",
    "mode_exercice": "mode_code",
    "genre_activite": "genre_code",
    "date_prise_fonction": "start_date",
    "date_fin_fonction": "end_date",
    "email": "email",
    "telephone_mobile": "phone",
}
COLUMN_OF = {field: column for column, field in COLUMNS.items()}
EXAMPLE = {
    "nom_naissance": "MARTIN", "prenoms_naissance": "Julie Anne", "sexe": "F", "date_naissance": "1990-04-12",
    "lieu_naissance": "49007", "ville_naissance_etranger": "", "nom_usage": "", "civilite": "MME", "role": "313",
    "categorie_professionnelle": "C", "nom_exercice": "MARTIN", "prenom_exercice": "Julie",
    "finess_ou_siret_site": "490001013", "mode_exercice": "S", "genre_activite": "GENR11",
    "date_prise_fonction": "2026-01-05", "date_fin_fonction": "", "email": "julie.martin@example.org",
    "telephone_mobile": "0612345678",
}  # fmt: skip
CODE_LISTS = {
    "sexe": catalog.SEX,
    "civilite": catalog.RPPS_PLUS_CIVILITY,
    "role": catalog.RPPS_PLUS_ROLE,
    "categorie_professionnelle": catalog.RPPS_PLUS_CATEGORY,
    "mode_exercice": catalog.RPPS_PLUS_MODE,
    "genre_activite": catalog.RPPS_PLUS_GENRE,
}

STATUS_LABELS = {
    "nouveau": "nouveau professionnel (nouveau numéro RPPS)",
    "existant": "professionnel déjà connu (numéro RPPS existant)",
    "a_verifier": "identité à vérifier par un opérateur",
    "deja": "déjà enregistré : rien à faire",
    "erreur": "erreur",
}


APPLIED_LABELS = {
    "enregistre": "enregistré",
    "a_verifier": "en vérification d'identité",
    "deja": "déjà enregistré",
    "erreur": "refusé",
}


class FileRefused(Exception):
    pass


# Why a file's reading was stopped (rpps.runtime.sandbox), as the gestionnaire reads it.
PARSE_STOPPED = {
    "time": "Fichier refusé : sa lecture prend trop de temps. Enregistrez seulement les lignes à importer, "
    "ou utilisez le modèle.",
    "memory": "Fichier refusé : sa lecture demande trop de mémoire. Enregistrez seulement les lignes à importer, "
    "ou utilisez le modèle.",
    "crash": "Le fichier n'a pas pu être lu : vérifiez-le ou utilisez le modèle.",
}


def _header_key(name: str) -> str:
    plain = unicodedata.normalize("NFKD", str(name or "")).encode("ascii", "ignore").decode()
    return plain.strip().lower().replace(" ", "_").replace("-", "_").replace("'", "_")


# A character of two to four bytes as UTF-8 writes it: in a file that is not UTF-8 throughout, the sign of
# a file pieced together from two encodings (read as Windows-1252, it would be stored garbled: Ã©).
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _decode(content: bytes) -> str:
    if b"\x00" in content:
        raise FileRefused("Encodage non reconnu (UTF-16 ou fichier binaire ?) : enregistrez le fichier en CSV UTF-8.")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        if _UTF8_SEQUENCE.search(content):
            raise FileRefused(
                f"Encodage mélangé : le fichier est en UTF-8 mais la ligne {line} ne l'est pas (copiée d'un autre "
                "fichier ?). Enregistrez tout le fichier en CSV UTF-8."
            ) from None
    try:
        return content.decode("cp1252")  # Latin-1 as Windows writes it
    except UnicodeDecodeError as exc:
        raise FileRefused(
            "Encodage non reconnu : le fichier n'est ni en UTF-8 ni en Latin-1. Enregistrez-le en CSV UTF-8."
        ) from exc


def _read_csv(content: bytes) -> list[list[str]]:
    """The rows, read as a stream that stops past the row limit (a file of millions of short lines is not
    parsed whole before being refused)."""
    text = _decode(content)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                table.append(row)
                if len(table) > settings.PORTAL_BULK_MAX_ROWS + 1:
                    raise _too_many_rows()
    except csv.Error as exc:
        # the csv module's one limit: a field over 131,072 characters (or a stray NUL)
        raise FileRefused(
            f"Ligne {reader.line_num} illisible : une cellule dépasse la longueur permise ou contient un caractère "
            "interdit. Vérifiez le fichier (guillemet non fermé ?)."
        ) from exc
    return table


def _too_many_rows() -> FileRefused:
    return FileRefused(f"Trop de lignes : plus de {settings.PORTAL_BULK_MAX_ROWS} ; c'est le maximum par fichier.")


def read_rows(filename: str, content: bytes) -> list[dict]:
    """The file's rows as {template column: text}; FileRefused with a French message otherwise."""
    if len(content) > settings.PORTAL_BULK_MAX_BYTES:
        raise FileRefused(
            f"Fichier trop volumineux ({len(content) / 1_048_576:.1f} Mo) : "
            f"{settings.PORTAL_BULK_MAX_BYTES / 1_048_576:.0f} Mo au plus."
        )
    table = _read_xlsx(content) if filename.lower().endswith(".xlsx") or content[:2] == b"PK" else _read_csv(content)
    if not table:
        raise FileRefused("Le fichier est vide.")
    header = [_header_key(name) for name in table[0]]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [table[0][i] for i, name in enumerate(header) if name and name not in COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append("colonnes manquantes : " + ", ".join(missing))
        if unknown:
            parts.append("colonnes inconnues : " + ", ".join(str(u) for u in unknown))
        raise FileRefused("En-tête incorrect (" + " ; ".join(parts) + "). Utilisez le modèle téléchargeable.")
    rows = table[1:]
    if not rows:
        raise FileRefused("Le fichier ne contient aucune ligne de données sous l'en-tête.")
    return [
        {
            header[i]: _as_typed(header[i], ("" if cell is None else str(cell)).strip())
            for i, cell in enumerate(row)
            if i < len(header)
        }
        for row in rows
    ]


# Columns of digits a spreadsheet turns into numbers, losing their leading zeros: their length tells
# how many were lost (a FINESS of the Ain, 01…, reads as 8 digits; a SIRET as 13).
_ZERO_PADDED = {"lieu_naissance": (5,), "finess_ou_siret_site": (9, 14)}
_DATE_COLUMNS = ("date_naissance", "date_prise_fonction", "date_fin_fonction")
# Excel counts days from 30 December 1899 (its 1900 leap-year bug included).
_EXCEL_EPOCH = datetime.date(1899, 12, 30)


def _as_typed(column: str, text: str) -> str:
    """A cell as the person typed it, whatever type the spreadsheet gave it: leading zeros put back on
    codes and identifiers, a mobile number's 0 put back, a date typed as a number of days read as a date."""
    if not text.isascii() or not text.isdigit():
        return text
    if column in _ZERO_PADDED:
        for length in _ZERO_PADDED[column]:
            if length - 2 <= len(text) < length:
                return text.zfill(length)
    if column == "telephone_mobile" and len(text) == 9 and text[0] in "67":
        return "0" + text
    if column in _DATE_COLUMNS and 1 <= int(text) <= 80_000:  # up to the year 2119
        return (_EXCEL_EPOCH + datetime.timedelta(days=int(text))).isoformat()
    return text


# What an XLSX of PORTAL_BULK_MAX_ROWS rows can weigh once unzipped, with room to spare: a small file that
# unzips to more is a bomb (huge shared strings, repeated cells), refused before any XML is parsed.
XLSX_MAX_UNZIPPED_BYTES = 64 * 1024 * 1024
XLSX_MAX_MEMBERS = 200
# Columns read per row: the template's and a few more (a sheet declaring 16,384 is not believed).
XLSX_MAX_COLUMNS = 64
_UNREADABLE_XLSX = "Ce fichier n'est pas un classeur XLSX lisible : utilisez le modèle."


def _check_zip(content: bytes) -> None:
    """Sizes and structure of the archive, read from its directory, before openpyxl opens it."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            if len(members) > XLSX_MAX_MEMBERS or sum(m.file_size for m in members) > XLSX_MAX_UNZIPPED_BYTES:
                raise FileRefused(
                    "Classeur refusé : une fois décompressé, il dépasse la taille d'un import "
                    f"({XLSX_MAX_UNZIPPED_BYTES // 1_048_576} Mo). Enregistrez seulement les lignes à importer."
                )
            for member in members:
                if member.filename.endswith((".xml", ".rels")):
                    with archive.open(member) as handle:
                        start = handle.read(4096)
                    # defusedxml makes openpyxl refuse these too; refused here with a message, before parsing
                    if b"<!DOCTYPE" in start or b"<!ENTITY" in start:
                        raise FileRefused("Classeur refusé : il contient des déclarations XML (DTD) interdites.")
    except FileRefused:
        raise
    except Exception as exc:  # a damaged archive fails in zipfile or zlib, in many ways
        raise FileRefused(_UNREADABLE_XLSX) from exc


def _read_xlsx(content: bytes) -> list[list]:
    from openpyxl import load_workbook

    _check_zip(content)
    try:
        # data_only=False: a formula is read as its text ("=…"), never evaluated.
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise FileRefused(_UNREADABLE_XLSX) from exc
    try:
        sheet = workbook.worksheets[0]
        # The declared dimension (A1:XFD1048576) is not trusted: rows and cells are read as they come.
        sheet.reset_dimensions()
        table = []
        for seen, row in enumerate(sheet.iter_rows(max_col=XLSX_MAX_COLUMNS, values_only=True), start=1):
            if seen > 2 * settings.PORTAL_BULK_MAX_ROWS + 1:
                raise _too_many_rows()  # empty rows count too: a sheet of a million blank lines stops here
            cells = [_cell_text(value) for value in row]
            if any(cell.strip() for cell in cells):
                table.append(cells)
                if len(table) > settings.PORTAL_BULK_MAX_ROWS + 1:
                    raise _too_many_rows()
    except FileRefused:
        raise
    except Exception as exc:  # malformed XML inside the sheet is met while reading it
        raise FileRefused(_UNREADABLE_XLSX) from exc
    finally:
        workbook.close()
    return table


def _cell_text(value) -> str:
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _date_text(value: str) -> str:
    # The template says AAAA-MM-JJ; JJ/MM/AAAA (what spreadsheets show) is accepted too.
    parts = value.split("/")
    if len(parts) == 3 and len(parts[2]) == 4:
        return f"{parts[2]}-{parts[1].zfill(2)}-{parts[0].zfill(2)}"
    return value


def _site_for(value: str, managed: dict[str, Structure]) -> tuple[Structure | None, str]:
    compact = value.replace(" ", "").upper()
    if not compact:
        return None, "le FINESS ou le SIRET du site est obligatoire."
    structure = managed.get(compact)
    if structure is not None:
        return structure, ""
    try:
        if len(compact) == 14:
            identifiers.validate_siret(compact)
        else:
            identifiers.validate_finess(compact)
    except identifiers.InvalidIdentifier as exc:
        return None, str(exc)
    return None, f"vous n'êtes pas habilité(e) sur la structure {compact}."


def check_rows(rows: list[dict], national_id: str, progress=None) -> tuple[list[dict], list[dict]]:
    """(report, valid rows): every row checked and resolved, nothing written."""
    managed = {}
    for structure in permissions.managed_structures(national_id):
        for key in (structure.finess, structure.siret):
            if key:
                managed[key] = structure
    report, valid, seen = [], [], {}
    mark = registry_mark()  # persons created from now on may change a decision: re-validated at confirmation
    for index, row in enumerate(rows):
        line = index + 2  # the header is line 1
        data = {field: row.get(column, "") for column, field in COLUMNS.items()}
        for field in ("birth_date", "start_date", "end_date"):
            data[field] = _date_text(data[field])
        structure, site_error = _site_for(data.pop("structure"), managed)
        form = ProfessionalRules(data=data)
        errors = [(COLUMN_OF[field], str(message)) for field, messages in form.errors.items() for message in messages]
        if site_error:
            errors.append(("finess_ou_siret_site", site_error[0].upper() + site_error[1:]))
        entry = {
            "line": line,
            "name": f"{data['exercise_first_name']} {data['exercise_last_name']}".strip(),
            "typed": [data["birth_name"], data["given_names"]],  # as typed, for the report file
        }
        if not errors:
            cleaned = registration.jsonable(form.cleaned_data)
            key = registration.identity_key(cleaned)
            if key in seen:
                errors.append(("nom_naissance", f"Même personne que la ligne {seen[key]} du fichier."))
            seen.setdefault(key, line)
        if errors:
            report.append(entry | {"status": "erreur", "errors": errors})
        else:
            status, checked = _resolution_status(cleaned, mark)
            entry |= {"status": status, "errors": [], "rpps": ""}
            report.append(entry)
            valid.append(
                {
                    "line": line,
                    "structure": structure.pk,
                    "data": cleaned,
                    "entry": entry,
                    "key": key,
                    "checked": checked,
                }
            )
        if progress is not None and (index + 1) % 100 == 0:
            progress(index + 1)
    valid = _without_pending(valid)
    _mark_known(valid)
    for row in valid:
        del row["entry"], row["key"]
    return report, valid


def _without_pending(valid: list[dict]) -> list[dict]:
    """Rows of a person with a request already waiting are refused now, as the write would refuse them."""
    pending = registration.pending_keys(row["key"] for row in valid)
    for row in valid:
        if row["key"] in pending:
            row["entry"] |= {"status": "erreur", "errors": [("nom_naissance", registration.PENDING_MESSAGE)]}
    return [row for row in valid if row["key"] not in pending]


def _resolution_status(data: dict, mark: int) -> tuple:
    """("nouveau", "a_verifier", or the id of the matching person, finished by `_mark_known`), and the
    decision as the confirmation re-validates it (``identity.register_people``)."""
    decision = resolve(registration.traits_of(data))
    checked = Checked.of(decision, mark).as_json()
    if decision.outcome == POSSIBLE:
        return "a_verifier", checked
    if decision.outcome == NO_MATCH:
        return "nouveau", checked
    assert decision.outcome == MATCH
    return decision.person_id, checked


def _mark_known(valid: list[dict]):
    """For rows matching a known person: their number, and whether this situation is already there.

    Two queries for the whole file rather than two per row (the persons are spread over the registry).
    """
    matched = [row for row in valid if isinstance(row["entry"]["status"], int)]
    person_ids = {row["entry"]["status"] for row in matched}
    numbers = dict(Person.objects.filter(pk__in=person_ids).values_list("pk", "rpps"))
    existing = set(
        Activity.objects.filter(
            exercise__person_id__in=person_ids, exercise__profession_code=registration.ROLE_PROFESSION
        ).values_list("exercise__person_id", "structure_id", "role_code", "start_date")
    )
    for row in matched:
        person_id, data = row["entry"]["status"], row["data"]
        key = (person_id, row["structure"], data["role_code"], datetime.date.fromisoformat(data["start_date"]))
        row["entry"]["status"] = "deja" if key in existing else "existant"
        row["entry"]["rpps"] = numbers.get(person_id, "")


def _count(report: list[dict]) -> dict:
    counts = dict.fromkeys(STATUS_LABELS, 0)
    for entry in report:
        counts[entry["status"]] += 1
    return counts


def upload(who: Who, filename: str, content: bytes, *, background: bool | None = None) -> BulkImport:
    """Stores the file's check: refused at once, checked now (small files) or in a job (large)."""
    digest = hashlib.sha256(content).hexdigest()
    bulk = BulkImport.objects.create(
        uploaded_by=who.label[:200], national_id=who.national_id, filename=filename[:255], sha256=digest
    )
    try:
        rows = _admitted_rows(who, filename, content, bulk.pk)
    except FileRefused as exc:
        bulk.state, bulk.message = BulkImport.State.REFUSED, str(exc)
        bulk.save()
        audit.record(who, AuditEvent.Action.FILE_CHECKED, refused=True, target=filename[:200], message=str(exc))
        return bulk
    bulk.total_rows = len(rows)
    earlier = BulkImport.objects.filter(
        national_id=who.national_id, sha256=digest, state=BulkImport.State.APPLIED
    ).first()
    if earlier is not None:
        bulk.message = f"Ce fichier a déjà été importé le {earlier.applied_at:%d/%m/%Y à %H:%M}."
    bulk.save()
    if _in_background(background, rows):
        # The typed rows wait in the record (deleted once applied, or after PORTAL_IMPORT_KEEP_DAYS).
        BulkImport.objects.filter(pk=bulk.pk).update(rows=rows)
        _enqueue("portal.bulk_check", f"Vérification du fichier {filename[:120]}", bulk, who)
    else:
        _check(bulk.pk, rows, who)
    return bulk


def _admitted_rows(who: Who, filename: str, content: bytes, bulk_pk: int) -> list[dict]:
    """The file's rows, if this account may have one more checked and the file is an import, not a
    search; FileRefused otherwise — a reader fault too (an import never stays "en vérification")."""
    allowed, _ = ratelimit.hit("import-check", who.national_id, settings.PORTAL_CHECKS_PER_DAY, 86_400)
    if not allowed:
        raise FileRefused(
            f"Limite atteinte : {settings.PORTAL_CHECKS_PER_DAY} fichiers vérifiés par jour et par compte. "
            "Réessayez demain, ou contactez l'assistance si votre structure en a besoin de plus."
        )
    try:
        rows = sandbox.run(
            read_rows,
            filename,
            content,
            cpu_seconds=settings.PORTAL_PARSE_CPU_SECONDS,
            memory_bytes=settings.PORTAL_PARSE_MEMORY_MB * 1_048_576,
            wall_seconds=settings.PORTAL_PARSE_WALL_SECONDS,
        )
    except FileRefused:
        raise
    except sandbox.SandboxFailed as exc:
        logger.warning("Lecture du fichier d'import n° %s arrêtée (%s)", bulk_pk, exc.reason)
        raise FileRefused(PARSE_STOPPED[exc.reason]) from exc
    except Exception as exc:
        logger.exception("Lecture du fichier d'import n° %s impossible", bulk_pk)
        raise FileRefused("Le fichier n'a pas pu être lu : vérifiez-le ou utilisez le modèle.") from exc
    _refuse_enumeration(rows)
    return rows


def _refuse_enumeration(rows: list[dict]) -> None:
    """A file that tries one identity under many birth dates (or places) is a search of the registry's
    private data through the check's answers ("déjà connu" / "à vérifier"), not an import: refused whole,
    before any row is resolved. Twins and namesakes in one staff list stay far below the bound."""
    variants: dict[tuple, set] = {}
    for row in rows:
        name = (normalize_name(row.get("nom_naissance", "")), normalize_name(row.get("prenoms_naissance", "")))
        if all(name):
            variants.setdefault(name, set()).add((row.get("date_naissance", ""), row.get("lieu_naissance", "")))
    tried = max(variants.items(), key=lambda item: len(item[1]), default=(None, ()))
    if len(tried[1]) > settings.PORTAL_SAME_NAME_VARIANTS:
        raise FileRefused(
            f"Fichier refusé : {len(tried[1])} lignes portent les mêmes nom et prénoms avec des dates ou lieux de "
            f"naissance différents ({settings.PORTAL_SAME_NAME_VARIANTS} au plus). Un import enregistre des "
            "personnes connues de la structure ; il ne sert pas à chercher dans le répertoire."
        )


def _in_background(background: bool | None, rows: list) -> bool:
    """As asked, else in a job when the file is longer than a page's wait allows."""
    return len(rows) > settings.PORTAL_BULK_INLINE_ROWS if background is None else background


def _enqueue(kind: str, label: str, bulk: BulkImport, who: Who) -> None:
    jobs.enqueue(kind, label=label, requested_by=who.label, bulk_id=bulk.pk, who=who.to_json())


def check_job(job, bulk_id: int, who: dict):
    bulk = BulkImport.objects.filter(pk=bulk_id, state=BulkImport.State.CHECKING).first()
    if bulk is None:
        return  # already checked, or purged
    _check(bulk.pk, bulk.rows, Who.from_json(who))


def _check(bulk_pk: int, rows: list[dict], who: Who):
    def progress(done):
        BulkImport.objects.filter(pk=bulk_pk).update(done_rows=done)

    report, valid = check_rows(rows, who.national_id, progress)
    counts = _count(report)
    BulkImport.objects.filter(pk=bulk_pk).update(
        report=report, rows=valid, counts=counts, done_rows=len(rows), state=BulkImport.State.READY
    )
    bulk = BulkImport.objects.get(pk=bulk_pk)
    audit.record(
        who,
        AuditEvent.Action.FILE_CHECKED,
        target=bulk.filename[:200],
        message=", ".join(f"{k} {v}" for k, v in counts.items() if v),
    )


def check_failed(job, message: str):
    BulkImport.objects.filter(pk=job.args["bulk_id"], state=BulkImport.State.CHECKING).update(
        state=BulkImport.State.INTERRUPTED,
        rows=[],
        message="La vérification du fichier a été interrompue : déposez-le à nouveau. " + message,
    )


def apply(who: Who, bulk: BulkImport, *, valid_only: bool, background: bool | None = None) -> BulkImport:
    """Registers the checked rows. A file with errors writes nothing unless `valid_only` is chosen."""
    if bulk.state != BulkImport.State.READY:
        raise registration.Refused("Ce fichier n'est pas prêt à être importé (déjà importé ou refusé).")
    if bulk.counts.get("erreur") and not valid_only:
        raise registration.Refused(
            "Le fichier contient des erreurs : corrigez-le, ou choisissez d'importer seulement les lignes valides."
        )
    BulkImport.objects.filter(pk=bulk.pk).update(state=BulkImport.State.APPLYING, done_rows=0)
    if _in_background(background, bulk.rows):
        _enqueue("portal.bulk_apply", f"Import du fichier {bulk.filename[:120]}", bulk, who)
    else:
        _apply(bulk.pk, who)
    bulk.refresh_from_db()
    return bulk


def apply_job(job, bulk_id: int, who: dict):
    # Run again after an interruption: rows already registered are found and not written twice.
    if BulkImport.objects.filter(pk=bulk_id, state=BulkImport.State.APPLYING).exists():
        _apply(bulk_id, Who.from_json(who))


def apply_failed(job, message: str):
    BulkImport.objects.filter(pk=job.args["bulk_id"], state=BulkImport.State.APPLYING).update(
        state=BulkImport.State.READY,
        message="L'import a été interrompu : confirmez-le à nouveau ; les professionnels déjà enregistrés ne le "
        "seront pas deux fois. " + message,
    )


def purge_unconfirmed(now=None) -> int:
    """Imports checked but never confirmed keep the typed rows (birth data): after
    PORTAL_IMPORT_KEEP_DAYS those rows are deleted and the import can no longer be confirmed."""
    limit = (now or timezone.now()) - datetime.timedelta(days=settings.PORTAL_IMPORT_KEEP_DAYS)
    return BulkImport.objects.filter(
        state__in=(BulkImport.State.READY, BulkImport.State.CHECKING, BulkImport.State.INTERRUPTED),
        created_at__lt=limit,
    ).update(
        state=BulkImport.State.EXPIRED,
        rows=[],
        message=f"Import non confirmé dans les {settings.PORTAL_IMPORT_KEEP_DAYS} jours : les lignes saisies ont été "
        "effacées ; déposez le fichier à nouveau.",
    )


APPLY_BATCH = 500  # rows per transaction at confirmation


def _apply(bulk_pk: int, who: Who):
    bulk = BulkImport.objects.get(pk=bulk_pk)
    structures = {s.pk: s for s in Structure.objects.filter(pk__in={row["structure"] for row in bulk.rows})}
    outcomes = {"enregistrees": 0, "en_verification": 0, "deja": 0, "refusees": 0}
    counted = {"enregistre": "enregistrees", "a_verifier": "en_verification", "deja": "deja", "erreur": "refusees"}
    results = {}
    # By batches, each in its transaction (an interrupted import is confirmed again: rows already
    # registered are found, not written twice); progress is seen between batches.
    for start in range(0, len(bulk.rows), APPLY_BATCH):
        batch = bulk.rows[start : start + APPLY_BATCH]
        for line, (status, detail) in register_rows(who, batch, structures).items():
            outcomes[counted[status]] += 1
            results[line] = (status, detail)
        BulkImport.objects.filter(pk=bulk_pk).update(done_rows=start + len(batch))
    report = bulk.report
    for entry in report:
        if entry["line"] in results:
            entry["applied"], detail = results[entry["line"]]
            if entry["applied"] in ("enregistre", "deja"):
                entry["rpps"] = detail
            elif detail:
                entry["errors"] = [("", detail)]
    # The typed rows (état civil) are no longer needed once registered: they are not kept.
    BulkImport.objects.filter(pk=bulk_pk).update(
        state=BulkImport.State.APPLIED,
        rows=[],
        report=report,
        counts=bulk.counts | {"import": outcomes},
        applied_at=timezone.now(),
        done_rows=len(bulk.rows),
    )
    audit.record(
        who,
        AuditEvent.Action.FILE_IMPORTED,
        target=bulk.filename[:200],
        message=", ".join(f"{k} {v}" for k, v in outcomes.items()),
    )


def template_csv() -> str:
    """The CSV template: the header and one example line (code lists: `code_lists_csv`, or the XLSX's 2nd sheet)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(list(COLUMNS))
    writer.writerow([neutralise(EXAMPLE[c]) for c in COLUMNS])
    return "\ufeff" + out.getvalue()


# What each column holds, as the XLSX template's "Mode d'emploi" sheet explains it.
COLUMN_HELP = {
    "nom_naissance": "Obligatoire. Nom de naissance : lettres, espaces, tirets et apostrophes.",
    "prenoms_naissance": "Obligatoire. Prénoms de naissance dans l'ordre de l'état civil, séparés par des espaces.",
    "sexe": "Obligatoire. Code de la liste (F ou M).",
    "date_naissance": "Obligatoire. Date (cellule date, ou texte AAAA-MM-JJ ou JJ/MM/AAAA).",
    "lieu_naissance": "Obligatoire. Code INSEE de la commune (ex. 49007) ou son nom (« Angers », « Saint-Denis 93 »), "
    "ou 99xxx (code du pays) pour une naissance à l'étranger.",
    "ville_naissance_etranger": "Ville de naissance, pour une naissance à l'étranger seulement.",
    "nom_usage": "Facultatif. Nom d'usage, s'il diffère du nom de naissance.",
    "civilite": "Obligatoire. Code de la liste.",
    "role": "Obligatoire. Code du rôle (liste).",
    "categorie_professionnelle": "Obligatoire. Code de la liste.",
    "nom_exercice": "Obligatoire. Nom sous lequel le professionnel exerce (public).",
    "prenom_exercice": "Obligatoire. Prénom d'exercice (public).",
    "finess_ou_siret_site": "Obligatoire. FINESS (9 caractères) ou SIRET (14 chiffres) du site où il exerce.",
    "mode_exercice": "Obligatoire. Code de la liste.",
    "genre_activite": "Obligatoire. Code de la liste.",
    "date_prise_fonction": "Obligatoire. Date de début de la situation.",
    "date_fin_fonction": "Facultatif. Date de fin, si elle est connue.",
    "email": "E-mail ou téléphone obligatoire. Adresse personnelle du professionnel (e-CPS).",
    "telephone_mobile": "E-mail ou téléphone obligatoire. Mobile : 06 12 34 56 78, +33 6…, 0033 6…",
}
TEMPLATE_ROWS = 1000  # rows formatted and validated in the XLSX template (more may be typed)


def template_xlsx() -> bytes:
    """The XLSX template: text cells for codes and numbers (no lost leading zero), date cells for dates,
    drop-down lists for coded columns, a "Mode d'emploi" sheet and the code lists with their labels."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Professionnels"
    sheet.append(list(COLUMNS))
    sheet.freeze_panes = "A2"
    codes = workbook.create_sheet("Listes de codes")
    codes.append(["colonne", "code", "libellé"])
    ranges = {}
    for column, table in CODE_LISTS.items():
        first = codes.max_row + 1
        for entry in lookup.entries(table):
            codes.append([column, neutralise(entry.code), neutralise(entry.label)])
        ranges[column] = f"'Listes de codes'!$B${first}:$B${codes.max_row}"
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet[f"{letter}1"].font = Font(bold=True)
        sheet.column_dimensions[letter].width = max(14, len(column) + 2)
        is_date = column in _DATE_COLUMNS
        example = EXAMPLE[column]
        cell = sheet.cell(row=2, column=index)
        cell.value = datetime.date.fromisoformat(example) if is_date and example else neutralise(example)
        for row in range(2, TEMPLATE_ROWS + 2):
            sheet.cell(row=row, column=index).number_format = "yyyy-mm-dd" if is_date else "@"
        if column in ranges:
            choice = DataValidation(type="list", formula1=ranges[column], allow_blank=True, showErrorMessage=True)
            choice.errorTitle = "Code inconnu"
            choice.error = f"Choisissez un code de la liste « {column} » (feuille « Listes de codes »)."
            choice.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
            sheet.add_data_validation(choice)
    guide = workbook.create_sheet("Mode d'emploi", 1)
    guide.append(["colonne", "contenu attendu", "exemple"])
    for column in COLUMNS:
        guide.append([column, COLUMN_HELP[column], neutralise(EXAMPLE[column])])
    guide.append([])
    guide.append(
        ["", "Une ligne par professionnel et par situation. La première ligne (les noms de colonnes) ne change pas."]
    )
    guide.append(["", "Le fichier est vérifié avant tout enregistrement : vous confirmez ensuite l'import."])
    for letter, width in (("A", 28), ("B", 100), ("C", 28)):
        guide.column_dimensions[letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def code_lists_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["colonne", "code", "libelle"])
    for column, table in CODE_LISTS.items():
        for entry in lookup.entries(table):
            writer.writerow([column, neutralise(entry.code), neutralise(entry.label)])
    return "\ufeff" + out.getvalue()


def report_csv(bulk: BulkImport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["ligne", "nom_naissance", "prenoms_naissance", "statut", "rpps", "colonne", "message"])
    for entry in bulk.report:
        status = STATUS_LABELS.get(entry["status"], entry["status"])
        head = [entry["line"], *(neutralise(value) for value in entry.get("typed", ("", "")))]
        head += [neutralise(status), entry.get("rpps", "")]
        for column, message in entry["errors"] or [("", "")]:
            writer.writerow([*head, column, neutralise(message)])
    return "\ufeff" + out.getvalue()
