from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class RuntimeConfig(AppConfig):
    name = "rpps.runtime"
    label = "runtime"
    verbose_name = "Traitements et planification"

    def ready(self):
        # Every app declares its job handlers in its own `tasks.py`: each process (web server,
        # worker, command) knows them all, so a job enqueued anywhere runs anywhere.
        autodiscover_modules("tasks")
