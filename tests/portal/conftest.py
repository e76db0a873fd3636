"""Portal fixtures: the portal's back-channel calls to the development provider reach this very app.

The portal talks to its OpenID Connect provider with `requests`; in tests, a transport adapter hands
those requests to Django's test client (a separate one: the provider's back channel carries no
browser cookies), so the real provider code answers them.
"""

import html
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client

from rpps.devpsc import demo
from rpps.portal import oidc
from rpps.portal.models import Account


class DjangoAppAdapter(requests.adapters.BaseAdapter):
    def __init__(self, rewrite=None):
        super().__init__()
        self.client = Client()
        self.rewrite = rewrite  # optional hook (url, response) -> response, to forge answers

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {k: v for k, v in request.headers.items() if k.lower() in {"authorization", "accept"}}
        if request.method == "POST":
            answer = self.client.post(
                path, data=request.body, content_type=request.headers.get("Content-Type"), headers=headers
            )
        else:
            answer = self.client.generic(request.method, path, headers=headers)
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.content
        response.headers.update(dict(answer.items()))
        response.url = request.url
        response.request = request
        if self.rewrite is not None:
            response = self.rewrite(request.url, response)
        return response

    def close(self):
        pass


@pytest.fixture
def provider(monkeypatch):
    """Routes the portal's calls to the development provider; `provider.rewrite` can forge answers."""
    adapter = DjangoAppAdapter()

    def session():
        http = requests.Session()
        http.mount("http://testserver/", adapter)
        return http

    monkeypatch.setattr(oidc, "_http", session)
    original_client = oidc._client

    def client(redirect_uri):
        oauth = original_client(redirect_uri)
        oauth.mount("http://testserver/", adapter)
        return oauth

    monkeypatch.setattr(oidc, "_client", client)
    oidc._metadata_cache.clear()
    yield adapter
    oidc._metadata_cache.clear()


@pytest.fixture
def portal_demo(db):
    return demo.load()


def start_sign_in(client):
    """Portal → provider: returns the provider's authorization URL (path and query)."""
    response = client.get("/portail/connexion/")
    assert response.status_code == 302, response.content
    return response["Location"]


def pick_identity(client, authorize_url, **choice):
    """On the provider's page, pick an identity; returns the portal callback URL it redirects to."""
    parts = urlsplit(authorize_url)
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    page = client.get(parts.path, params)
    assert page.status_code == 200
    response = client.post(parts.path, params | choice)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def sign_in(client, **choice):
    """The whole browser round trip; returns the portal's last response."""
    callback = pick_identity(client, start_sign_in(client), **choice)
    return client.get(callback)


def account_client(national_id: str, family_name="TEST", given_name="Test") -> Client:
    """A browser signed in as a portal account, without the provider round trip (permission tests)."""
    user = get_user_model().objects.create(username=f"psc:{national_id}")
    Account.objects.create(
        user=user, subject=national_id, national_id=national_id, family_name=family_name, given_name=given_name
    )
    browser = Client()
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return browser


# The birth date professional_form types, in every form a page, a message or a repr may write it: a test
# that it is not shown looks for these, not for "1992", which a random RPPS number or key may hold.
BIRTH_DATE_FORMS = ("1992-06-15", "15/06/1992", "15 juin 1992", "1992, 6, 15", "19920615")


def shows_birth_date(content: str) -> bool:
    return any(form in content for form in BIRTH_DATE_FORMS)


def text(response) -> str:
    """A page's text with HTML entities decoded, for assertions on French messages."""
    return html.unescape(response.content.decode())


def approved_contract(legal, representative, requester):
    """A contract requested by ``requester`` for ``legal``, naming ``representative``, approved by an operator."""
    from rpps.portal import services
    from rpps.portal.audit import Who

    contract = services.request_contract(
        Who("tests", "", None, requester),
        identifier_type="FINESS",
        identifier=legal.finess,
        data={
            "representative_national_id": "8" + representative.rpps,
            "representative_family_name": "X",
            "representative_given_name": "Y",
            "representative_function": "representant_legal",
            "representative_email": "rep@example.org",
        },
    )
    services.approve_contract(Who("opérateur"), contract)
    contract.refresh_from_db()
    return contract


def designated(representative, contract, structure, person, kind="gestionnaire", **fields):
    """``representative`` designates ``person`` on ``structure`` (a trained gestionnaire by default)."""
    import datetime

    from rpps.portal import services
    from rpps.portal.audit import Who

    if kind == "gestionnaire":
        fields.setdefault("training_date", datetime.date(2025, 1, 1))
    return services.designate(
        Who("rep", "8" + representative.rpps),
        contract=contract,
        structure=structure,
        kind=kind,
        person=person,
        terms_accepted=True,
        **{"email": "x@example.org"} | fields,
    )


@pytest.fixture
def managed(db):
    """An active contract for an association and its two sites, a gestionnaire on one site, and another
    association under contract with its own gestionnaire."""
    import datetime

    from rpps.registry.history import Actor, acting_as
    from tests import factories

    def professional(name, first):
        return factories.professional(name, first, birth_date=datetime.date(1970, 1, 1))

    with acting_as(Actor.system("tests"), "jeu d'essai"):
        legal = factories.structure(name="ASSOCIATION ALPHA", is_legal_entity=True, sector_code="SA41")
        site = factories.structure(name="EHPAD ALPHA", legal_entity=legal, sector_code="SA17")
        other_site = factories.structure(name="FOYER ALPHA", legal_entity=legal, sector_code="SA16")
        foreign = factories.structure(name="ASSOCIATION OMEGA", is_legal_entity=True, sector_code="SA41")
        rep, manager = professional("DIRECTRICE", "Rose"), professional("GESTIONNAIRE", "Gaston")
        foreign_rep, foreign_manager = professional("AUTRE", "Directeur"), professional("AUTRE", "Gestionnaire")
    user = get_user_model().objects.create(username="psc:demandeur")
    requester = Account.objects.create(user=user, subject="demandeur")
    contracts = {}
    for key, structure, head, gest, scope in (
        ("alpha", legal, rep, manager, site),
        ("omega", foreign, foreign_rep, foreign_manager, foreign),
    ):
        contract = approved_contract(structure, head, requester)
        designated(head, contract, scope, gest, email="g@example.org")
        contracts[key] = contract
    return {
        "legal": legal,
        "site": site,
        "other_site": other_site,
        "foreign": foreign,
        "contracts": contracts,
        "manager": "8" + manager.rpps,
        "foreign_manager": "8" + foreign_manager.rpps,
        "rep": "8" + rep.rpps,
    }


def professional_form(site, **overrides):
    data = {
        "civility_code": "MME",
        "birth_name": "Lefèvre",
        "given_names": "Chloé Marie",
        "usage_name": "",
        "sex_code": "F",
        "birth_date": "1992-06-15",
        "birth_place_code": "49007",
        "birth_city_abroad": "",
        "role_code": "313",
        "category_code": "C",
        "exercise_last_name": "LEFEVRE",
        "exercise_first_name": "Chloé",
        "structure": site.pk,
        "mode_code": "S",
        "genre_code": "GENR11",
        "start_date": "2026-09-01",
        "end_date": "",
        "email": "chloe.lefevre@example.org",
        "phone": "06 12 34 56 78",
    }
    return data | overrides
