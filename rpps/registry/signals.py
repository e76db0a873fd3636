"""Signals of the registry for the outputs derived from it."""

from django.dispatch import Signal

# Sent after a bulk loader wrote rows without going through the models (no post_save per row), so
# that derived data (the public search index) is rebuilt.
bulk_written = Signal()
