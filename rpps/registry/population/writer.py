"""Bulk writing of registry rows behind one interface: COPY on PostgreSQL, executemany elsewhere."""

import json

from django.core.management.color import no_style
from django.db import connection


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
        table = self.connection.ops.quote_name(model._meta.db_table)
        cols = ", ".join(self.connection.ops.quote_name(c) for c in columns)
        json_positions = [
            i for i, c in enumerate(columns) if model._meta.get_field(c).get_internal_type() == "JSONField"
        ]
        if json_positions:
            rows = [tuple(self._encode(v) for v in row) for row in rows]
        with self.connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({placeholders})", rows)

    def reset_sequences(self, models) -> None:
        statements = self.connection.ops.sequence_reset_sql(no_style(), list(models))
        with self.connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
