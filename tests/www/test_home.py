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
    assert f'href="{reverse("admin:index")}"' in html
    assert "1 professionnel," in html and "1 situation d'exercice en cours" in html
