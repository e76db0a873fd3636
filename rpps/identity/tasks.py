"""Jobs of identity resolution: rebuilding the identity index (after a bulk load, or from the console)."""

from rpps.runtime import jobs

from .identity_index import rebuild as rebuild_index


@jobs.handler("identity.rebuild", label="Reconstruction de l'index des identités", attempts=2)
def rebuild(job, full: bool = True):
    jobs.progress(job, 1, 1, f"{rebuild_index(full=full)} identité(s) indexée(s)")
