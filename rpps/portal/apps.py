from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "rpps.portal"
    verbose_name = "Portail RPPS+"

    def ready(self):
        from . import registration, signals  # noqa: F401  (their signal receivers: audit of operator sign-ins,
        # registrations finished by an operator's identity decision)
