"""Signals of the registry for the outputs derived from it."""

from django.dispatch import Signal

# Sent after a bulk loader wrote rows without going through the models (no post_save per row), so
# that derived data (the public search index) is rebuilt.
bulk_written = Signal()

# Sent inside ``past.as_of`` once queries read the registry as it was at an earlier moment, with
# the persons and structures whose records moved and the ``past`` (rpps.registry.past.Past) that
# derived tables hand their own rows as of then to.
rewound = Signal()
