"""E-mails to professionals: their RPPS number at registration, and every change someone else makes.

Sent once the transaction commits (nothing is announced that was rolled back). The messages carry
the RPPS number, names of exercise and the structure's name: never birth data.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

from .services import exercise_names


def _send(person, subject: str, template: str, context: dict):
    if not person.email:
        return
    body = render_to_string(template, {"person": person, **context})
    recipient = person.email
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient], fail_silently=False)
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
