"""Writing registry rows in bulk, without the models: the production machinery of every bulk writer
(the extraction loader, the synthetic generator, the search and identity index builders).

- ``columns``: the columns each writer gives, per table, in order;
- ``writer``: COPY on PostgreSQL, executemany elsewhere, optionally from a background thread;
- ``mode``: PostgreSQL bulk-load mode (indexes and foreign keys built once, after the load).

Rows written here bypass the models' signals: writers record their change records themselves
(``history.change_row``) and send ``signals.bulk_written``.
"""
