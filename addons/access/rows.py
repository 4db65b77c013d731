"""Insert many rows a statement, below the ORM: the first sync of a large world writes a lot."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connections, router


class RowWriter:
    """INSERT rows into MODEL's table, many rows a statement, skipping the ORM's per-object work.

    A first sync inserts tens of thousands of AccessGrant and AccessChange rows; building a model
    instance and preparing every field of every row through bulk_create cost more CPU time than
    all the HTTP of the sync. Strings go to the database as they are; any other value goes through
    its field's get_db_prep_save once and is reused (CONSTANTS, timestamps, sources). Rows go in
    multi-row INSERTs as large as the database allows: each statement releases and re-takes the
    GIL, which under 64 fetch threads costs far more than the statement itself.
    """

    def __init__(self, model, fields: list[str], *, constants: dict | None = None):
        self.connection = connections[router.db_for_write(model)]
        meta = model._meta
        self.fields = [meta.get_field(name) for name in fields]
        constants = constants or {}
        constant_fields = [meta.get_field(name) for name in constants]
        self.constants = tuple(
            field.get_db_prep_save(value, self.connection)
            for field, value in zip(constant_fields, constants.values(), strict=True)
        )
        self.all_fields = [*self.fields, *constant_fields]
        quote = self.connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in self.all_fields)
        self.head = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "
        self.row_sql = "(" + ", ".join(["%s"] * len(self.all_fields)) + ")"

    def insert(self, rows: Iterable[tuple]) -> None:
        """Insert ROWS (tuples of the FIELDS' values, in order), as few statements as possible."""
        prepared: dict = {}

        def prepare(index, value):
            if value.__class__ is str or value is None:
                return value
            key = (index, tuple(value) if isinstance(value, list) else value)
            done = prepared.get(key)
            if done is None:
                done = prepared[key] = self.fields[index].get_db_prep_save(value, self.connection)
            return done

        params = [
            (*(prepare(i, value) for i, value in enumerate(row)), *self.constants) for row in rows
        ]
        batch = max(self.connection.ops.bulk_batch_size(self.all_fields, params), 1)
        with self.connection.cursor() as cursor:
            for start in range(0, len(params), batch):
                chunk = params[start : start + batch]
                cursor.execute(
                    self.head + ", ".join([self.row_sql] * len(chunk)),
                    [value for row in chunk for value in row],
                )
