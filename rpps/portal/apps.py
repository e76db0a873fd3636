from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "rpps.portal"
    verbose_name = "Portail RPPS+"

    def ready(self):
        from . import signals  # noqa: F401  (operator sign-ins go to the audit log)
