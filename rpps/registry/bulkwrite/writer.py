"""Bulk writing of registry rows behind one interface: COPY on PostgreSQL, executemany elsewhere."""

import json
import queue
import threading
from collections.abc import Iterable

from django.core.management.color import no_style
from django.db import connection, connections, transaction
from psycopg.copy import QueuedLibpqWriter


class BulkWriter:
    def __init__(self, using_connection=None):
        self.connection = using_connection or connection
        self.postgres = self.connection.vendor == "postgresql"

    @staticmethod
    def _encode(value):
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False)
        return value

    def write(self, model, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        json_positions = [
            i for i, c in enumerate(columns) if model._meta.get_field(c).get_internal_type() == "JSONField"
        ]
        if json_positions:
            rows = [list(row) for row in rows]
            for row in rows:
                for i in json_positions:
                    row[i] = self._encode(row[i])
        self.write_table(model._meta.db_table, columns, rows)

    def write_table(self, name: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """Rows into any table (a staging table, say), values as the database takes them."""
        if not rows:
            return
        with self.connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {self._target(name, columns)} FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {self._target(name, columns)} VALUES ({placeholders})", rows)

    def _target(self, name: str, columns: tuple[str, ...]) -> str:
        """``"table" ("column", …)``, quoted for the database."""
        quote = self.connection.ops.quote_name
        return f"{quote(name)} ({', '.join(quote(c) for c in columns)})"

    def write_delimited(
        self, name: str, columns: tuple[str, ...], batches: Iterable[list[str]], separator: str
    ) -> None:
        """Batches of lines of ``separator``-delimited text into a table of text columns, one field per
        column. On PostgreSQL, one COPY for all the batches, the database splitting the lines (COPY's
        text format, where only the backslash needs escaping; lines hold no line end): it parses a batch
        while the next one is read, in psycopg's writer thread."""
        if not self.postgres:
            for lines in batches:
                self.write_table(name, columns, [line.split(separator) for line in lines])
            return
        with self.connection.cursor() as cursor:
            statement = f"COPY {self._target(name, columns)} FROM STDIN (DELIMITER '{separator}')"
            with cursor.cursor.copy(statement, writer=QueuedLibpqWriter(cursor.cursor)) as copy:
                for lines in batches:
                    text = "\n".join(lines) + "\n"
                    if "\\" in text:
                        text = text.replace("\\", "\\\\")
                    copy.write(text)

    def reset_sequences(self, models) -> None:
        statements = self.connection.ops.sequence_reset_sql(no_style(), list(models))
        with self.connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


class _BackgroundWriter(threading.Thread):
    def __init__(self, write, on_written):
        super().__init__(name="bulk-writer", daemon=True)
        self.items: queue.Queue = queue.Queue(maxsize=2)  # short: memory stays bounded
        self.write, self.on_written = write, on_written
        self.error: BaseException | None = None

    def run(self):
        db = connections["default"]
        try:
            writer = BulkWriter(db)
            with db.cursor() as cursor:
                # A crash may lose the last batches, never corrupt: acceptable for a bulk load.
                cursor.execute("SET synchronous_commit TO off")
            while (item := self.items.get()) is not None:
                if self.error is None:
                    with transaction.atomic(using=db.alias):
                        self.write(writer, item)
                    if self.on_written:
                        self.on_written(item)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            self.error = exc
            while self.items.get() is not None:  # drain so that the producer never blocks
                pass
        finally:
            db.close()


def write_in_background(items, write, on_written=None) -> None:
    """PostgreSQL: ``write(writer, item)`` for each item, one transaction each, on a second connection.

    Python produces the next item on one core while PostgreSQL stores the previous one on the other.
    Must not be used inside a caller's transaction (the second connection would not see it).
    """
    worker = _BackgroundWriter(write, on_written)
    worker.start()
    try:
        for item in items:
            if worker.error is not None:
                break
            worker.items.put(item)
    finally:
        worker.items.put(None)
        worker.join()
    if worker.error is not None:
        raise worker.error
