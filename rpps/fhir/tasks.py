"""Jobs of the FHIR app: $export, and the periodic clean-ups (expired exports, tombstones past their
retention)."""

from rpps.runtime import jobs

from . import export, tombstones

jobs.handler("fhir.export", label="Export FHIR ($export)", attempts=2, on_failure=export.failed)(export.run)


@jobs.handler("fhir.purge_exports", label="Suppression des exports FHIR expirés", attempts=1)
def purge_exports(job):
    jobs.progress(job, 1, 1, f"{export.clean_expired()} export(s) supprimé(s)")


@jobs.handler(
    "fhir.purge_tombstones", label="Suppression des ressources supprimées au-delà de leur rétention", attempts=1
)
def purge_tombstones(job):
    jobs.progress(job, 1, 1, f"{tombstones.purge()} ressource(s) supprimée(s) retirée(s)")
