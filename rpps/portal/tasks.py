"""Jobs of the portal: file imports (check, apply), e-mails to professionals, and the daily
expiry of pre-registrations and purge of unconfirmed imports."""

from django.conf import settings
from django.core.mail import send_mail

from rpps.runtime import jobs

from . import bulk, registration

jobs.handler("portal.bulk_check", label="Vérification d'un fichier d'import", on_failure=bulk.check_failed)(
    bulk.check_job
)
jobs.handler("portal.bulk_apply", label="Import d'un fichier de professionnels", on_failure=bulk.apply_failed)(
    bulk.apply_job
)


@jobs.handler("portal.send_email", label="E-mail à un professionnel", attempts=5)
def send_email(job, subject: str, body: str, recipient: str):
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient], fail_silently=False)


@jobs.handler("portal.expire_requests", label="Expiration des demandes d'enregistrement non instruites", attempts=1)
def expire_requests(job):
    jobs.progress(job, 1, 1, f"{registration.expire_requests()} demande(s) expirée(s)")


@jobs.handler("portal.purge_imports", label="Effacement des imports non confirmés", attempts=1)
def purge_imports(job):
    jobs.progress(job, 1, 1, f"{bulk.purge_unconfirmed()} import(s) effacé(s)")
