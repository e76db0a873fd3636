"""The one lookup API for codes: code -> label, validity, and the check every coded field goes through.

Deprecated codes stay readable (old records keep them) but are refused for new values.
Tables are small (hundreds of rows); they are cached per process and reloaded when any process loads
them (a shared version number, `runtime.versions`).
"""

import datetime
import threading
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from rpps.runtime import versions

from . import catalog


@dataclass(frozen=True)
class Entry:
    table: str
    code: str
    label: str
    status: str
    end_date: datetime.date | None

    @property
    def is_active(self) -> bool:
        return self.status == "active"


_cache: dict[str, dict[str, Entry]] | None = None
_cache_version: tuple[int, int] | None = None
_lock = threading.Lock()
_local_reloads = 0
VERSION = "nomenclatures"


def clear_cache() -> None:
    """The tables changed: this process reloads now, every other one within SHARED_CACHE_CHECK_SECONDS."""
    global _cache, _local_reloads
    versions.bump(VERSION)
    with _lock:
        _cache = None
        _local_reloads += 1


def generation() -> tuple[int, int]:
    """Changes each time the tables are reloaded, here or in any process: caches of labels built from
    them (FHIR codings) key on it."""
    return versions.current(VERSION), _local_reloads


def _tables() -> dict[str, dict[str, Entry]]:
    global _cache, _cache_version
    version = generation()
    cache = _cache
    if cache is None or _cache_version != version:
        from .models import Concept

        cache = {}
        for table_name, code, label, status, end_date in Concept.objects.values_list(
            "table__name", "code", "label", "status", "end_date"
        ):
            cache.setdefault(table_name, {})[code] = Entry(table_name, code, label, status, end_date)
        with _lock:
            _cache, _cache_version = cache, version
    return cache


def table_label(table: str) -> str:
    from .catalog import TABLES_BY_NAME

    return TABLES_BY_NAME[table].label if table in TABLES_BY_NAME else table


def get(table: str, code: str) -> Entry | None:
    return _tables().get(table, {}).get(code)


def label(table: str, code: str) -> str:
    """The label of a code, or an empty string for an empty or unknown code (extraction files print blanks)."""
    entry = get(table, code) if code else None
    return entry.label if entry else ""


def entries(table: str, *, active_only: bool = True) -> list[Entry]:
    values = _tables().get(table, {}).values()
    return sorted((e for e in values if e.is_active or not active_only), key=lambda e: e.code)


def choices(table: str) -> list[tuple[str, str]]:
    return [(e.code, f"{e.code} — {e.label}") for e in entries(table)]


def by_label(table: str) -> list[tuple[str, str]]:
    """(code, label) once per label, by label: a table that renumbered its entries (Ostéopathe 71 and
    171, the social professions 4x and 20x) would list each label twice. The code kept is the active
    one (else the first by code); ``same_label`` gives the others back to a search."""
    kept: dict[str, Entry] = {}
    for entry in entries(table, active_only=False):
        key = entry.label.casefold()
        if key not in kept or (entry.is_active and not kept[key].is_active):
            kept[key] = entry
    return sorted(((e.code, e.label) for e in kept.values()), key=lambda pair: pair[1].casefold())


def same_label(table: str, code: str) -> list[str]:
    """The codes of ``table`` labelled as ``code`` is (``code`` itself when unknown)."""
    wanted = label(table, code).casefold()
    if not wanted:
        return [code]
    return [e.code for e in entries(table, active_only=False) if e.label.casefold() == wanted]


# What a citizen reads for a code whose official label is written for the registry's own users.
CITIZEN_LABELS = {
    (catalog.PROFESSION, catalog.ROLE_PROFESSION): "Professionnel enregistré par sa structure",
}


def citizen_label(table: str, code: str) -> str:
    return CITIZEN_LABELS.get((table, code)) or label(table, code) or code


def check(table: str, code: str, *, allow_deprecated: bool = False) -> Entry:
    """Return the entry for ``code`` or raise a ValidationError with a French message.

    ``allow_deprecated`` is for values already stored on a record: a code that was valid when it was
    recorded stays acceptable on that record.
    """
    entry = get(table, code)
    if entry is None:
        raise ValidationError(
            "Le code « %(code)s » n'existe pas dans la nomenclature %(table)s.",
            code="unknown_code",
            params={"code": code, "table": table_label(table)},
        )
    if not entry.is_active and not allow_deprecated:
        ended = f" depuis le {entry.end_date:%d/%m/%Y}" if entry.end_date else ""
        raise ValidationError(
            "Le code « %(code)s » (%(label)s) de la nomenclature %(table)s n'est plus valide%(ended)s : "
            "il ne peut pas être utilisé pour un nouvel enregistrement.",
            code="deprecated_code",
            params={"code": code, "label": entry.label, "table": table_label(table), "ended": ended},
        )
    return entry
