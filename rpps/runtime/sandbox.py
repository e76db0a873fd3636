"""Run a parser of untrusted input in a child process with its own CPU-time, memory and wall-clock limits.

A hostile file that makes a parser loop, swell or crash (a fault in a C library such as expat) then
costs one short-lived child, never the web worker that received it. The child is forked (it inherits
the loaded code and settings, and touches no database connection) and leaves with `os._exit`, so
nothing of the parent's state is closed or flushed twice.
"""

import faulthandler
import multiprocessing
import os
import resource


class SandboxFailed(Exception):
    """The child did not give an answer: ``reason`` is "time", "memory" or "crash"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _child(connection, function, args, cpu_seconds: int, memory_bytes: int) -> None:
    faulthandler.disable()  # a crash here is the file's doing, answered to the caller: no dump in the logs
    # the budget comes on top of what the forked process already maps
    limit = _address_space() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    try:
        result = (True, function(*args))
    except MemoryError:
        result = (False, SandboxFailed("memory"))
    except Exception as exc:  # given back to the caller, which decides what it means
        result = (False, exc)
    try:
        connection.send(result)
    except Exception:  # an exception or a value that does not pickle: the caller sees a crash
        connection.send((False, SandboxFailed("crash")))
    connection.close()


def run(function, *args, cpu_seconds: int, memory_bytes: int, wall_seconds: float):
    """``function(*args)`` in a child process; its value, or its exception raised here, or SandboxFailed."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(sender, function, args, cpu_seconds, memory_bytes), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(wall_seconds):
            raise SandboxFailed("time")
        ok, value = receiver.recv()
    except EOFError:
        # killed by its CPU limit (SIGXCPU/SIGKILL), or crashed (SIGSEGV, abort) before answering
        child.join(5)
        raise SandboxFailed("time" if child.exitcode in (-9, -24) else "crash") from None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join(5)
    if ok:
        return value
    raise value
