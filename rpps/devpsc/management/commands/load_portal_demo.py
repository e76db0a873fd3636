from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from rpps.devpsc import demo
from rpps.devpsc.identities import TEST_IDENTITIES


class Command(BaseCommand):
    help = "Charge les identités de test du portail RPPS+ et un contrat actif de démonstration (idempotent)."

    def handle(self, *args, **options):
        loaded = demo.load()
        self.stdout.write("Portail RPPS+ : http://127.0.0.1:8000/portail/ — identités de test :")
        for identity in TEST_IDENTITIES:
            person = loaded["persons"].get(identity.slug)
            national = f"8{person.rpps}" if person else "sans identifiant national"
            self.stdout.write(f"  - {identity.given_name} {identity.family_name} ({national}) : {identity.role}")
        if get_user_model().objects.filter(username="admin", is_staff=True).exists():
            call_command("operator_totp", "admin", stdout=self.stdout)
            self.stdout.write(
                "Console des opérateurs : code TOTP du moment avec « python manage.py operator_totp admin --code »."
            )
        self.stdout.write(
            f"Structure sans contrat pour essayer une demande : {loaded['free'].name} (FINESS {loaded['free'].finess})."
        )
