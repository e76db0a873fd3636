"""A reader of untrusted input runs in a child with its own limits: what it gives, raises, or how it was
stopped reaches the caller, and the caller's process carries on."""

import os
import signal
import time

import pytest

from rpps.runtime import sandbox

LIMITS = {"cpu_seconds": 2, "memory_bytes": 64 * 1_048_576, "wall_seconds": 20}


def _rows(n):
    return [{"ligne": i} for i in range(n)]


def _refuse():
    raise ValueError("colonne inconnue")


def _loop():
    while True:
        pass


def _sleep():
    time.sleep(600)


def _swell():
    return bytearray(2 * 1024**3)


def _segfault():
    os.kill(os.getpid(), signal.SIGSEGV)


def test_the_value_and_the_exception_come_back():
    assert sandbox.run(_rows, 3, **LIMITS) == [{"ligne": 0}, {"ligne": 1}, {"ligne": 2}]
    with pytest.raises(ValueError, match="colonne inconnue"):
        sandbox.run(_refuse, **LIMITS)


@pytest.mark.parametrize(
    ("function", "reason", "limits"),
    [
        (_loop, "time", LIMITS),  # stopped by its CPU limit
        (_sleep, "time", LIMITS | {"wall_seconds": 1}),  # stopped by the clock: waiting costs no CPU
        (_swell, "memory", LIMITS),
        (_segfault, "crash", LIMITS),
    ],
)
def test_a_reader_that_loops_swells_or_crashes_is_stopped_and_the_caller_carries_on(function, reason, limits):
    with pytest.raises(sandbox.SandboxFailed) as stopped:
        sandbox.run(function, **limits)
    assert stopped.value.reason == reason
    assert sandbox.run(_rows, 1, **LIMITS) == [{"ligne": 0}]
