from django.core.exceptions import ValidationError
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.models import Device

from rpps.portal import audit
from rpps.portal.models import AuditEvent


class OperatorAuthenticationForm(OTPAdminAuthenticationForm):
    """Password, then TOTP code; a right password with a wrong code is a refused sign-in too."""

    def _chosen_device(self, user):
        # An operator with one device types the code without picking the device first.
        device = super()._chosen_device(user)
        if device is None:
            devices = list(devices_for_user(user, confirmed=True))
            if len(devices) == 1:
                device = Device.from_persistent_id(devices[0].persistent_id, for_verify=True)
        return device

    # One answer to every failure: which of the password and the code was wrong is not said (a message
    # asking for the code only after a right password told an attacker the password was right).
    GENERIC = "Identifiant, mot de passe ou code à usage unique incorrect (les trois sont demandés ensemble)."

    def clean(self):
        try:
            return super().clean()
        except ValidationError as exc:
            if self.get_user() is not None:  # password accepted, code refused
                who = audit.Who(f"opérateur {self.get_user().get_username()}", ip=audit.client_ip(self.request))
                audit.record(
                    who, AuditEvent.Action.OPERATOR_SIGN_IN_REFUSED, refused=True, message="code TOTP absent ou faux"
                )
                self.user_cache = None
            if getattr(exc, "code", None) == "inactive":
                raise
            raise ValidationError(self.GENERIC, code="invalid_login") from None


class OperatorAdminSite(OTPAdminSite):
    """Operators sign in with a local account, its password and the code of their TOTP device.

    Failed passwords are counted by django-axes (AUTHENTICATION_BACKENDS) and locked out after
    AXES_FAILURE_LIMIT; failed codes are slowed down by the device's own throttling (django-otp).
    """

    site_header = "RPPS — console des opérateurs"
    site_title = "Console des opérateurs RPPS"
    index_title = "Répertoire partagé des professionnels"
    login_form = OperatorAuthenticationForm

    def __init__(self, name="admin"):
        # Keep the "admin" URL namespace the rest of the project reverses.
        super().__init__(name)
