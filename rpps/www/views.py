from django.shortcuts import render
from django.urls import reverse

from rpps.registry.models import Activity, Person, Structure


def home(request):
    links = [
        {
            "title": "Administration du répertoire",
            "description": "Back-office des opérateurs : personnes, exercices, structures, situations, "
            "nomenclatures et historique des modifications.",
            "url": reverse("admin:index"),
        },
    ]
    counts = {
        "persons": Person.objects.count(),
        "structures": Structure.objects.count(),
        "open_activities": Activity.objects.open_today().count(),
    }
    return render(request, "www/home.html", {"title": "Accueil", "links": links, "counts": counts})
