from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse

from rpps.registry.models import Activity, Person, Structure


def home(request):
    links = [
        {
            "title": "Rechercher un professionnel",
            "description": "L'annuaire public : un professionnel par son nom, sa profession, sa spécialité, son lieu "
            "d'exercice ou son numéro RPPS ; une structure par son nom, son FINESS ou son SIRET.",
            "url": reverse("directory:search"),
        },
        {
            "title": "Portail RPPS+",
            "description": "Structures sanitaires, sociales et médico-sociales : contrat, habilitation des "
            "gestionnaires, connexion Pro Santé Connect.",
            "url": reverse("portal:home"),
        },
        {
            "title": "API FHIR",
            "description": "L'annuaire pour les logiciels : Practitioner, PractitionerRole, Organization en FHIR R4, "
            "compatible avec l'API Annuaire Santé v2 (clé d'API).",
            "url": reverse("fhir:metadata"),
        },
        {
            "title": "Extractions en libre accès",
            "description": "Les fichiers publics du répertoire (PS_LibreAcces, MSSanté, porteurs de cartes) et leur "
            "webservice de téléchargement.",
            "url": reverse("publication:listing"),
        },
        {
            "title": "Console des opérateurs",
            "description": "Personnes, exercices, structures, situations, nomenclatures, historique, revue des "
            "identités, contrats, habilitations et journal d'audit (mot de passe + code TOTP).",
            "url": reverse("admin:index"),
        },
    ]
    counts = {
        "persons": Person.objects.current().count(),  # merged aliases are not professionals
        "structures": Structure.objects.count(),
        "open_activities": Activity.objects.open_today().count(),
    }
    return render(request, "www/home.html", {"title": "Accueil", "links": links, "counts": counts})


def accessibility(request):
    return render(request, "www/accessibility.html", {"title": "Déclaration d'accessibilité"})


def legal_notice(request):
    return render(request, "www/legal_notice.html", {"title": "Mentions légales"})


def personal_data(request):
    return render(request, "www/personal_data.html", {"title": "Données personnelles"})


def favicon(request):
    # Browsers ask for /favicon.ico whatever the page links to: the DSFR's icon (its URL is resolved per
    # request, after the static manifest exists).
    return redirect(static("dsfr/dist/favicon/favicon.ico"), permanent=True)
