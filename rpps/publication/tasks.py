"""Jobs of the publication app: the daily publication of the extraction files."""

from rpps.runtime import jobs

from .publish import PublicationError, publish


@jobs.handler("publication.publish", label="Publication des fichiers d'extraction")
def publish_extractions(job):
    # Run again after an interrupted attempt: the incomplete folder is removed, nothing is served twice.
    try:
        publication = publish(on_lines=lambda lines: jobs.progress(job, lines) if lines % 100_000 < 5000 else None)
    except PublicationError as exc:
        raise jobs.JobFailed(str(exc)) from exc
    lines = sum(f["lines"] for e in publication.manifest["extractions"] for f in e["files"])
    jobs.progress(job, lines, lines, f"Publication {publication.stamp} : {lines} lignes.")
