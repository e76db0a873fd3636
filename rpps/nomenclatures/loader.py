"""Build the code tables from the shipped files and apply them to the database as a diff."""

import csv
import datetime
from dataclasses import dataclass, field

from django.db import transaction

from .catalog import DATA_DIR, TABLES, Source, TableSpec


@dataclass(frozen=True)
class Row:
    code: str
    label: str
    status: str
    end_date: datetime.date | None
    code_system: str


def _parse_date(value: str) -> datetime.date | None:
    value = (value or "").strip()
    return datetime.date.fromisoformat(value) if value else None


def read_source(source: Source) -> list[Row]:
    path = DATA_DIR / source.filename
    rows: list[Row] = []
    if source.kind == "tabs":
        with path.open(encoding="utf-8", newline="") as fh:
            for line in fh:
                parts = line.rstrip("\r\n").split(";")
                if len(parts) != 3 or parts[0].startswith("<"):
                    continue  # header lines and the file-metadata line
                oid, code, label = parts
                rows.append(Row(code.strip(), label.strip(), "active", None, f"urn:oid:{oid}"))
        return rows
    with path.open(encoding="utf-8", newline="") as fh:
        for record in csv.DictReader(fh):
            if source.kind == "nos_csv":
                status = "deprecated" if record["statut"] == "deprecated" else "active"
                rows.append(
                    Row(
                        record["code"].strip(),
                        record["libelle"].strip(),
                        status,
                        _parse_date(record["date_fin"]),
                        record.get("canonical_url", ""),
                    )
                )
            elif source.kind == "jdv_csv":
                rows.append(
                    Row(record["code"].strip(), record["libelle"].strip(), "active", None, record["system_url"])
                )
            elif source.kind == "portal_csv":
                rows.append(
                    Row(
                        record["code"].strip(), record["display"].strip(), "active", None, record.get("code_system", "")
                    )
                )
            else:
                raise ValueError(f"unknown source kind {source.kind!r}")
    return rows


def build_table(spec: TableSpec) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    for source in spec.sources:
        for row in read_source(source):
            rows.setdefault(row.code, row)
    if spec.allowed is not None:
        allowed = {row.code for row in read_source(spec.allowed)}
        for code, row in rows.items():
            if code not in allowed and row.status == "active":
                rows[code] = Row(row.code, row.label, "deprecated", None, row.code_system)
    return rows


@dataclass
class LoadReport:
    tables_created: list[str] = field(default_factory=list)
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    # Codes present in the database but no longer in the files are kept: old records still use them.
    kept_absent: int = 0

    def summary(self) -> str:
        return (
            f"{len(self.tables_created)} table(s) créée(s), {self.added} code(s) ajouté(s), "
            f"{self.changed} modifié(s), {self.unchanged} inchangé(s), {self.kept_absent} absent(s) des fichiers conservé(s)"
        )


def load_tables(table_model, concept_model, *, apply: bool) -> LoadReport:
    """Compare the shipped files with the database; write the difference only when ``apply``."""
    report = LoadReport()
    with transaction.atomic():
        for spec in TABLES:
            rows = build_table(spec)
            sources = ", ".join(s.filename for s in spec.sources)
            table = table_model.objects.filter(name=spec.name).first()
            if table is None:
                report.tables_created.append(spec.name)
                if apply:
                    table = table_model.objects.create(
                        name=spec.name, label=spec.label, sources=sources, note=spec.note
                    )
            elif apply:
                table.label, table.sources, table.note = spec.label, sources, spec.note
                table.save()
            existing = {c.code: c for c in concept_model.objects.filter(table=table)} if table is not None else {}
            to_create, to_update = [], []
            for code, row in rows.items():
                values = {
                    "label": row.label,
                    "status": row.status,
                    "end_date": row.end_date,
                    "code_system": row.code_system,
                }
                current = existing.get(code)
                if current is None:
                    report.added += 1
                    to_create.append(values | {"code": code})
                elif any(getattr(current, k) != v for k, v in values.items()):
                    report.changed += 1
                    for k, v in values.items():
                        setattr(current, k, v)
                    to_update.append(current)
                else:
                    report.unchanged += 1
            report.kept_absent += len(set(existing) - set(rows))
            if apply:
                concept_model.objects.bulk_create([concept_model(table=table, **v) for v in to_create])
                concept_model.objects.bulk_update(to_update, ["label", "status", "end_date", "code_system"])
    if apply and table_model.__module__ != "__fake__":  # not a migration's historical model: processes cache tables
        from . import lookup

        lookup.clear_cache()
    return report


def load_in_migration(apps, schema_editor):
    """Data migrations load the shipped tables with the historical models (idempotent)."""
    load_tables(apps.get_model("nomenclatures", "Table"), apps.get_model("nomenclatures", "Concept"), apply=True)
