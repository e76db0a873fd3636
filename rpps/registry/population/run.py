"""Write a synthetic population into the database (used by generate_population and load_demo)."""

import sys

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from tqdm import tqdm

from .. import signals
from ..bulkwrite.columns import COLUMNS
from ..bulkwrite.mode import postgres_bulk_mode
from ..bulkwrite.writer import BulkWriter, write_in_background
from ..models import Person
from .generator import WRITE_ORDER, PopulationGenerator


class RegistryNotEmpty(RuntimeError):
    pass


def _write_batch(writer: BulkWriter, batch, counts: dict) -> None:
    for model in WRITE_ORDER:
        rows = batch.rows[model]
        writer.write(model, COLUMNS[model], rows)
        counts[model._meta.label] += len(rows)


def refuse_synthetic_data() -> None:
    """Demo and synthetic persons are for development, tests and benchmarks: never in a production registry."""
    if not settings.SYNTHETIC_DATA_ALLOWED:
        raise CommandError(
            "Refusé : ces réglages (production) n'admettent pas de données de démonstration ou synthétiques "
            "(SYNTHETIC_DATA_ALLOWED)."
        )


def generate(persons: int, seed: int, *, batch_size: int = 5000, progress: bool = True, stream=None) -> dict:
    """Generate ``persons`` into an empty registry; one transaction per batch. Returns row counts."""
    if Person.objects.exists():
        raise RegistryNotEmpty(
            "Le répertoire contient déjà des personnes : la population synthétique ne se génère que dans un "
            "répertoire vide (identifiants FINESS/SIRET/RPPS synthétiques déterministes)."
        )
    first_ids = {model: (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1 for model in WRITE_ORDER}
    # A second connection only helps PostgreSQL, and must not be used inside a caller's transaction
    # (it would not see it, nor be rolled back with it).
    background = connection.vendor == "postgresql" and not connection.in_atomic_block
    generator = PopulationGenerator(
        persons,
        seed,
        now=timezone.now(),
        first_ids=first_ids,
        batch_size=batch_size,
        text_values=connection.vendor == "postgresql",
    )
    counts = {model._meta.label: 0 for model in WRITE_ORDER}
    bar = tqdm(total=persons, unit="pers", disable=not progress, file=stream or sys.stderr, mininterval=1.0)
    try:
        if background:
            with postgres_bulk_mode(connection, WRITE_ORDER):
                write_in_background(
                    generator.batches(),
                    lambda writer, batch: _write_batch(writer, batch, counts),
                    lambda batch: bar.update(batch.persons),
                )
                if progress:
                    bar.write(
                        "Reconstruction des index et vérification des clés étrangères…", file=stream or sys.stderr
                    )
        else:
            writer = BulkWriter(connection)
            for batch in generator.batches():
                with transaction.atomic():
                    _write_batch(writer, batch, counts)
                bar.update(batch.persons)
    finally:
        bar.close()
    BulkWriter(connection).reset_sequences(WRITE_ORDER)
    signals.bulk_written.send(sender=generate)
    return counts
