from django_otp.admin import OTPAdminSite


class OperatorAdminSite(OTPAdminSite):
    """Operators sign in with a local account, its password and the code of their TOTP device.

    Failed passwords are counted by django-axes (AUTHENTICATION_BACKENDS); failed codes are slowed
    down by the device's own throttling (django-otp).
    """

    site_header = "RPPS — console des opérateurs"
    site_title = "Console des opérateurs RPPS"
    index_title = "Répertoire partagé des professionnels"

    def __init__(self, name="admin"):
        # Keep the "admin" URL namespace the rest of the project reverses.
        super().__init__(name)
