"""Operators' sign-ins to the console, accepted or refused, go to the portal's audit log."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from . import audit
from .models import AuditEvent


@receiver(user_logged_in)
def operator_signed_in(sender, request, user, **kwargs):
    if request is None or hasattr(user, "portal_account"):
        return  # portal sign-ins are recorded by services.sign_in
    audit.record(audit.Who.from_request(request), AuditEvent.Action.OPERATOR_SIGN_IN)


@receiver(user_login_failed)
def operator_sign_in_failed(sender, credentials, request=None, **kwargs):
    # Only the username typed: never the password (Django masks it anyway).
    who = audit.Who(
        f"opérateur {str(credentials.get('username', ''))[:100]}", ip=audit.client_ip(request) if request else None
    )
    audit.record(who, AuditEvent.Action.OPERATOR_SIGN_IN_REFUSED, refused=True)
