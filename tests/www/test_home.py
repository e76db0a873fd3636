import html

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def test_home_page_links_to_everything_that_exists(client, recording, django_assert_max_num_queries):
    factories.activity()
    with django_assert_max_num_queries(6):
        response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Accueil — Répertoire RPPS</title>" in html
    assert 'lang="fr"' in html
    for name in ("directory:search", "portal:home", "fhir:metadata", "publication:listing", "admin:index"):
        assert f'href="{reverse(name)}"' in html, name
    assert "1 professionnel," in html and "1 situation d'exercice en cours" in html


def test_an_unexpected_error_answers_the_french_500_page(recording):
    from unittest import mock

    from django.test import Client

    browser = Client(raise_request_exception=False)
    with mock.patch("rpps.www.views.render", side_effect=RuntimeError("panne")):
        response = browser.get("/")
    assert response.status_code == 500
    html = response.content.decode()
    assert 'lang="fr"' in html and "Une erreur inattendue s'est produite" in html
    assert "panne" not in html and "Traceback" not in html


def test_merged_aliases_are_not_counted_as_professionals(client, recording):
    kept, alias = factories.person(), factories.person()
    alias.merged_into = kept
    alias.save()
    assert "1 professionnel," in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("url", "heading", "says"),
    [
        ("/accessibilite/", "Déclaration d'accessibilité", "non conforme"),
        ("/mentions-legales/", "Mentions légales", "ne sont jamais publiés"),
        ("/donnees-personnelles/", "Données personnelles", "liste rouge"),
    ],
)
def test_every_page_links_to_the_statements_a_public_service_owes(client, url, heading, says):
    footer = client.get("/recherche/").content.decode()
    assert f'href="{url}"' in footer and f'href="{url}"' in client.get("/portail/").content.decode()
    page = html.unescape(client.get(url).content.decode())
    assert f"<h1>{heading}</h1>" in page and says in page


def test_the_browser_s_favicon_request_finds_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.ico")
    assert "/static/" in response["Location"]
