"""Jobs of the public search site: the daily re-indexing of situations that opened or closed, and
the full rebuild of the search index (after a bulk load, or launched from the console)."""

from rpps.runtime import jobs

from . import search_index


@jobs.handler("directory.index_dates", label="Réindexation des situations ouvertes ou closes", attempts=2)
def index_dates(job, days: int = 7):
    jobs.progress(job, 1, 1, f"{search_index.refresh_dates(days=days)} ligne(s) d'index écrite(s)")


@jobs.handler("directory.rebuild", label="Reconstruction de l'index de recherche de l'annuaire", attempts=2)
def rebuild(job):
    jobs.progress(job, 1, 1, f"{search_index.rebuild()} ligne(s) d'index écrite(s)")
