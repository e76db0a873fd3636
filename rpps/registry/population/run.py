"""Write a synthetic population into the database (used by generate_population and load_demo)."""

import queue
import sys
import threading

from django.db import connection, connections, transaction
from django.db.models import Max
from django.utils import timezone
from tqdm import tqdm

from ..models import Person
from .bulkmode import postgres_bulk_mode
from .generator import COLUMNS, WRITE_ORDER, PopulationGenerator
from .writer import BulkWriter


class RegistryNotEmpty(RuntimeError):
    pass


def _write_batch(writer: BulkWriter, batch, counts: dict) -> None:
    with transaction.atomic(using=writer.connection.alias):
        for model in WRITE_ORDER:
            rows = batch.rows[model]
            writer.write(model, COLUMNS[model], rows)
            counts[model._meta.label] += len(rows)


class _BackgroundWriter(threading.Thread):
    """Writes batches on its own connection while the caller generates the next ones.

    PostgreSQL then works on one core while Python generates on the other. The queue is short so
    memory stays bounded.
    """

    def __init__(self, counts: dict, bar):
        super().__init__(name="population-writer", daemon=True)
        self.batches: queue.Queue = queue.Queue(maxsize=2)
        self.counts = counts
        self.bar = bar
        self.error: BaseException | None = None

    def run(self):
        try:
            writer = BulkWriter(connections["default"])
            if writer.postgres:
                with writer.connection.cursor() as cursor:
                    # A crash may lose the last batches, never corrupt: acceptable for a bulk load.
                    cursor.execute("SET synchronous_commit TO off")
            while (batch := self.batches.get()) is not None:
                if self.error is None:
                    _write_batch(writer, batch, self.counts)
                    self.bar.update(batch.persons)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            self.error = exc
            while self.batches.get() is not None:  # drain so that the producer never blocks
                pass
        finally:
            connections["default"].close()


def _generate_in_background(generator, counts, bar) -> None:
    worker = _BackgroundWriter(counts, bar)
    worker.start()
    try:
        for batch in generator.batches():
            if worker.error is not None:
                break
            worker.batches.put(batch)
    finally:
        worker.batches.put(None)
        worker.join()
    if worker.error is not None:
        raise worker.error


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
                _generate_in_background(generator, counts, bar)
                if progress:
                    bar.write(
                        "Reconstruction des index et vérification des clés étrangères…", file=stream or sys.stderr
                    )
        else:
            writer = BulkWriter(connection)
            for batch in generator.batches():
                _write_batch(writer, batch, counts)
                bar.update(batch.persons)
    finally:
        bar.close()
    BulkWriter(connection).reset_sequences(WRITE_ORDER)
    return counts
