"""The console's view of background work: every job with its state, progress and message; failed
jobs can be run again; the periodic jobs with their last run and next run."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from . import jobs, schedule
from .models import Job


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by services (jobs, history, audit, decisions): operators read them, never edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = (
        "label",
        "state",
        "progress",
        "requested_by",
        "created_at",
        "started_at",
        "finished_at",
        "attempts",
        "message",
    )
    list_filter = ("state", "kind")
    search_fields = ("label", "kind", "requested_by")
    # Arguments are not shown: an e-mail job's carry the recipient's address.
    fields = (
        "label",
        "kind",
        "state",
        "progress",
        "message",
        "requested_by",
        "attempts",
        "worker",
        "slot",
        "created_at",
        "started_at",
        "heartbeat_at",
        "finished_at",
    )
    readonly_fields = fields
    actions = ["retry"]
    change_list_template = "admin/runtime/job/change_list.html"

    @admin.display(description="avancement")
    def progress(self, job):
        if job.total:
            return f"{job.done} / {job.total} ({job.percent} %)"
        return str(job.done) if job.done else "—"

    @admin.action(description="Relancer les traitements échoués sélectionnés")
    def retry(self, request, queryset):
        who = f"opérateur {request.user.get_username()}"
        count = sum(jobs.retry(job, requested_by=who) for job in queryset.filter(state=Job.State.FAILED))
        self.message_user(
            request, f"{count} traitement(s) relancé(s).", messages.SUCCESS if count else messages.WARNING
        )

    def get_urls(self):
        return [
            path("planification/", self.admin_site.admin_view(self.schedule_view), name="runtime_schedule"),
            *super().get_urls(),
        ]

    def schedule_view(self, request):
        now = timezone.now()
        if request.method == "POST" and request.POST.get("kind") in {e.kind for e in schedule.entries()}:
            entry = schedule.entry(request.POST["kind"])
            jobs.enqueue(entry.kind, requested_by=f"opérateur {request.user.get_username()}")
            self.message_user(request, f"« {entry.label} » mis en file.", messages.SUCCESS)
        rows = [{"entry": e, "last": e.last_run(), "next": e.next_run(now)} for e in schedule.entries()]
        context = {
            **self.admin_site.each_context(request),
            "title": "Tâches planifiées",
            "rows": rows,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/runtime/schedule.html", context)
