"""Bulk work without Python's cycle collector.

Bulk outputs and loads hold hundreds of thousands of tuples, dicts and lists at once (a page of
resources, an export chunk, an extraction's rows). They form no reference cycles and are freed by
reference counting; the cycle collector, started every 700 new containers, would walk every one
still alive again and again — measured: 40 % of an export's Python time.
"""

import gc
from contextlib import contextmanager


@contextmanager
def without_cycle_collector():
    """The collector off for the block, back on after it, even on error. It is process-wide: left
    off if it was off already (another thread's block), never switched on under it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
