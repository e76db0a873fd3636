"""Signals of the registry for the outputs derived from it."""

from django.dispatch import Signal

# Sent after a bulk loader wrote rows without going through the models (no post_save per row), so
# that derived data (the public search index) is rebuilt.
bulk_written = Signal()

# Sent inside ``history.as_of`` once the registry has been rewound to an earlier moment (in a
# transaction that will be rolled back), with the persons and structures whose records moved.
rewound = Signal()
