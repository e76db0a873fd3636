from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from rpps.registry.models import Person
from rpps.registry.population.run import generate, refuse_synthetic_data

DEMO_PERSONS = 400
DEMO_SEED = 2026
DEMO_ADMIN = ("admin", "admin-demo-rpps")


class Command(BaseCommand):
    help = "Charge le jeu de démonstration (une fois : relancer ne change rien) et un compte opérateur de démo."

    def handle(self, *args, **options):
        refuse_synthetic_data()
        if Person.objects.exists():
            self.stdout.write("Données déjà présentes : rien n'est rechargé.")
        else:
            counts = generate(DEMO_PERSONS, DEMO_SEED, progress=False)
            self.stdout.write(
                f"Démo chargée : {counts['registry.Person']} personnes, {counts['registry.Structure']} structures, "
                f"{counts['registry.Activity']} situations."
            )
        user_model = get_user_model()
        username, password = DEMO_ADMIN
        if not user_model.objects.filter(username=username).exists():
            user_model.objects.create_superuser(username, "admin@example.org", password)
        self.stdout.write(
            f"Administration : http://127.0.0.1:8000/admin/ (identifiant {username}, mot de passe {password})"
        )
