from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from rpps.runtime import jobs, schedule
from rpps.runtime.models import Job


class Command(BaseCommand):
    help = (
        "Tâches périodiques (settings.JOB_SCHEDULE) : sans argument, les liste avec leur dernière et leur prochaine "
        "exécution ; avec un nom, l'exécute tout de suite dans ce processus (comme le ferait un processus de travail)."
    )

    def add_arguments(self, parser):
        parser.add_argument("tache", nargs="?", help="nom de la tâche, ex. publication.publish")

    def handle(self, *args, tache=None, **options):
        if tache is None:
            for entry in schedule.entries():
                last = entry.last_run()
                when = timezone.localtime(entry.next_run()).strftime("%d/%m/%Y %H:%M")
                done = (
                    f"{last.get_state_display()} le {timezone.localtime(last.created_at):%d/%m/%Y %H:%M}"
                    if last
                    else "jamais"
                )
                self.stdout.write(
                    f"{entry.kind:28} {entry.cron:14} prochaine : {when}  dernière : {done}  — {entry.label}"
                )
            return
        try:
            entry = schedule.entry(tache)
        except KeyError as exc:
            known = ", ".join(e.kind for e in schedule.entries())
            raise CommandError(f"Tâche périodique inconnue : {tache}. Tâches : {known}.") from exc
        job = jobs.run_here(entry.kind, requested_by="commande periodic")
        self.stdout.write(f"{entry.label} : {job.get_state_display()}. {job.message}".strip())
        if job.state != Job.State.DONE:
            raise CommandError(job.message or "échec")
