"""Every page carries a strict Content-Security-Policy that its HTML keeps to, and pages with private
data are never cached."""

import re

import pytest
from django.test import Client

from rpps.runtime.headers import content_security_policy

pytestmark = pytest.mark.django_db

PUBLIC = ["/", "/recherche/", "/recherche/?nom=dupont", "/portail/", "/admin/login/"]
CONSOLE = [
    "/admin/",
    "/admin/registry/person/",
    "/admin/registry/person/add/",
    "/admin/registry/structure/",
    "/admin/runtime/job/",
    "/admin/portal/auditevent/",
]


def _inline(html: str) -> list[str]:
    scripts = [
        s
        for s in re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>", html, re.S)
        if s.strip()
    ]
    return scripts + re.findall(r"<[^>]+\son[a-z]+=", html) + re.findall(r"<[^>]+\sstyle=\"", html)


@pytest.mark.parametrize("url", PUBLIC)
def test_public_pages_carry_the_policy_and_hold_nothing_inline(client, url):
    response = client.get(url, follow=True)
    assert response.status_code == 200
    assert response["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self';")
    assert "camera=()" in response["Permissions-Policy"]
    assert _inline(response.content.decode()) == []


@pytest.mark.parametrize("url", CONSOLE)
def test_console_pages_hold_nothing_inline_and_are_never_cached(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code == 200
    assert _inline(response.content.decode()) == []
    assert "no-store" in response["Cache-Control"]


def test_public_search_may_be_cached_but_a_signed_in_page_may_not(admin_client):
    anonymous = Client()  # (pytest-django's admin_client is its client fixture, signed in)
    assert "no-store" not in anonymous.get("/recherche/").get("Cache-Control", "")
    assert "no-store" in anonymous.get("/portail/", follow=True)["Cache-Control"]
    assert "no-store" in admin_client.get("/recherche/")["Cache-Control"]


def test_the_sign_in_provider_may_receive_the_sign_in_redirect(settings):
    settings.PSC_ISSUER = "https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet"
    assert content_security_policy().endswith("form-action 'self' https://auth.esw.esante.gouv.fr")
