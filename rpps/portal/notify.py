"""E-mails to professionals: their RPPS number at registration, and every change someone else makes.

Sent by a job (`portal.send_email`) recorded in the writer's transaction and sent after it commits:
nothing is announced that was rolled back, and a mail server that is down delays the mail (the job is
retried) without failing the registration. The messages carry the RPPS number, names of exercise and
the structure's name: never birth data.
"""

from django.template.loader import render_to_string

from rpps.runtime import jobs

from .services import exercise_names


def _send(person, subject: str, template: str, context: dict, *, recipient: str | None = None):
    recipient = recipient or person.email
    if not recipient:
        return
    body = render_to_string(template, {"person": person, **context})
    jobs.enqueue(
        "portal.send_email",
        label=f"E-mail au professionnel RPPS {person.rpps}",
        after_commit=True,
        subject=subject,
        body=body,
        recipient=recipient,
    )


def registered(person, structure, *, by_self: bool):
    last, first = exercise_names(person)
    _send(
        person,
        f"Votre numéro RPPS : {person.rpps}",
        "portal/mail/registered.txt",
        {"structure": structure, "first_name": first, "last_name": last},
    )


def changed(person, structure, verb: str):
    last, first = exercise_names(person)
    _send(
        person,
        "Votre situation dans le répertoire RPPS a été mise à jour",
        "portal/mail/changed.txt",
        {"structure": structure, "verb": verb, "first_name": first, "last_name": last},
    )


def email_replaced(person, previous: str, by: str):
    """Told at the address being replaced: if the change was not wanted, its owner learns it there (the
    new address is not named in the message)."""
    last, first = exercise_names(person)
    _send(
        person,
        "L'adresse e-mail de votre dossier RPPS a été remplacée",
        "portal/mail/email_replaced.txt",
        {"by": by, "first_name": first, "last_name": last},
        recipient=previous,
    )
