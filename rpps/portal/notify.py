"""E-mails: to professionals (their RPPS number at registration, every change someone else makes), to a
representative when their contract is decided, to a designated person when their habilitation opens,
closes or reopens.

Sent by a job (`portal.send_email`) recorded in the writer's transaction and sent after it commits:
nothing is announced that was rolled back, and a mail server that is down delays the mail (the job is
retried) without failing the registration. The messages carry the RPPS number, names of exercise and
the structure's name: never birth data.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from rpps.runtime import jobs

from . import services


def _mail(recipient: str, subject: str, template: str, context: dict, label: str) -> None:
    if not recipient:
        return
    body = render_to_string(template, context)
    jobs.enqueue("portal.send_email", label=label, after_commit=True, subject=subject, body=body, recipient=recipient)


def _registered_mail(person, structure, last_name: str, first_name: str) -> tuple[str, dict]:
    context = {"person": person, "structure": structure, "first_name": first_name, "last_name": last_name}
    args = {
        "subject": f"Votre numéro RPPS : {person.rpps}",
        "body": render_to_string("portal/mail/registered.txt", context),
        "recipient": person.email,
    }
    return f"E-mail au professionnel RPPS {person.rpps}", args


def _send(person, subject: str, template: str, context: dict, *, recipient: str | None = None):
    label = f"E-mail au professionnel RPPS {person.rpps}"
    _mail(recipient or person.email, subject, template, {"person": person, **context}, label)


def contract_decided(contract) -> None:
    """To the legal representative named in the request: approved, or rejected with the reason."""
    approved = contract.state == contract.State.ACTIVE
    _mail(
        contract.representative_email,
        f"Votre demande de contrat RPPS+ n° {contract.pk} est {'approuvée' if approved else 'rejetée'}",
        "portal/mail/contract_decided.txt",
        {"contract": contract, "approved": approved},
        f"E-mail au représentant légal du contrat n° {contract.pk}",
    )


def habilitation_changed(habilitation, verb: str) -> None:
    """To the person designated: ``verb`` is "ouverte", "fermée" or "rouverte"."""
    _mail(
        habilitation.email,
        f"Votre habilitation RPPS+ a été {verb}",
        "portal/mail/habilitation_changed.txt",
        {"habilitation": habilitation, "verb": verb},
        f"E-mail à {habilitation.national_id} (habilitation {verb})",
    )


def registered(person, structure, *, by_self: bool):
    if person.email:
        label, args = _registered_mail(person, structure, *services.exercise_names(person))
        jobs.enqueue("portal.send_email", label=label, after_commit=True, **args)


def registered_many(items) -> None:
    """``registered`` for a file's rows: (person, structure, name of exercise, first name of exercise)."""
    mails = [
        _registered_mail(person, structure, last, first) for person, structure, last, first in items if person.email
    ]
    jobs.enqueue_many("portal.send_email", mails)


def changed(person, structure, verb: str):
    last, first = services.exercise_names(person)
    _send(
        person,
        "Votre situation dans le répertoire RPPS a été mise à jour",
        "portal/mail/changed.txt",
        {"structure": structure, "verb": verb, "first_name": first, "last_name": last},
    )


def email_confirmation(person, email: str, token: str, by: str, days: int):
    """To the new address: the link that makes it the record's address (nothing changes without it)."""
    last, first = services.exercise_names(person)
    link = settings.SITE_URL.rstrip("/") + reverse("portal:confirm_email", args=[token])
    _send(
        person,
        "Confirmez la nouvelle adresse e-mail de votre dossier RPPS",
        "portal/mail/email_confirmation.txt",
        {"by": by, "first_name": first, "last_name": last, "link": link, "days": days},
        recipient=email,
    )


def email_replaced(person, previous: str, by: str):
    """Told at the address being replaced: if the change was not wanted, its owner learns it there (the
    new address is not named in the message)."""
    last, first = services.exercise_names(person)
    _send(
        person,
        "L'adresse e-mail de votre dossier RPPS a été remplacée",
        "portal/mail/email_replaced.txt",
        {"by": by, "first_name": first, "last_name": last},
        recipient=previous,
    )
