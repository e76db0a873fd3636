from django.contrib.admin.apps import AdminConfig


class OperatorAdminConfig(AdminConfig):
    """Django's admin is the operator console; its site asks for a TOTP code after the password."""

    default_site = "config.admin_site.OperatorAdminSite"
