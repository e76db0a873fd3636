"""The portal's audit log: who did what, when, on which structure, from which address.

Refusals are written outside the refused action's transaction, so a refused attempt leaves its
trace while nothing of the action itself is written. Messages never hold private data (birth data,
personal contacts): only names of exercise, national identifiers and structure identifiers.
"""

from dataclasses import dataclass

from .models import AuditEvent


@dataclass(frozen=True)
class Who:
    """The author of an action: a portal account, an operator, or an anonymous visitor."""

    label: str
    national_id: str = ""
    ip: str | None = None
    account: object | None = None  # portal.Account
    user: object | None = None  # auth.User (operators and portal users alike)

    def to_json(self) -> dict:
        """What a job needs to act as this author in another process."""
        account = getattr(self.account, "pk", None)
        return {
            "label": self.label,
            "national_id": self.national_id,
            "ip": self.ip,
            "account": account,
            "user": getattr(self.user, "pk", None),
        }

    @classmethod
    def from_json(cls, data: dict) -> "Who":
        from django.contrib.auth import get_user_model

        from .models import Account

        account = Account.objects.filter(pk=data["account"]).first() if data.get("account") else None
        user = get_user_model().objects.filter(pk=data["user"]).first() if data.get("user") else None
        return cls(data["label"], data["national_id"], data["ip"], account, user)

    @classmethod
    def from_request(cls, request) -> "Who":
        ip = client_ip(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return cls("anonyme", ip=ip)
        account = getattr(user, "portal_account", None)
        if account is not None:
            return cls(str(account), account.national_id, ip, account, user)
        return cls(f"opérateur {user.get_username()}", ip=ip, user=user)


def client_ip(request) -> str | None:
    # The production proxy sets REMOTE_ADDR through the WSGI server; forwarded headers are not
    # trusted here because any client can send them.
    return request.META.get("REMOTE_ADDR") or None


def record(who: Who, action: str, *, refused: bool = False, structure=None, contract=None, target="", message=""):
    event_ = event(who, action, refused=refused, structure=structure, contract=contract, target=target, message=message)
    event_.save()
    return event_


def event(who: Who, action: str, *, refused: bool = False, structure=None, contract=None, target="", message=""):
    """An audit event, unsaved (``record`` saves one; a bulk writer saves many at once)."""
    if contract is not None and structure is None:
        structure = contract.structure
    return AuditEvent(
        actor=who.label[:200],
        actor_national_id=who.national_id,
        action=action,
        outcome=AuditEvent.Outcome.REFUSED if refused else AuditEvent.Outcome.DONE,
        structure_technical_id=structure.technical_id if structure is not None else "",
        structure_name=structure.name[:200] if structure is not None else "",
        contract_id_ref=contract.pk if contract is not None else None,
        target=target[:300],
        message=message,
        ip_address=who.ip,
    )
