"""Pro Santé Connect sign-in against the development provider, including forged and replayed answers."""

import html
import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from rpps.devpsc import keys
from rpps.portal.models import Account, AuditEvent

from .conftest import pick_identity, sign_in, start_sign_in

pytestmark = pytest.mark.django_db


def test_discovery_document_is_served_under_the_issuer(client):
    document = client.get("/dev-psc/.well-known/openid-configuration").json()
    assert document["issuer"] == "http://testserver/dev-psc/"
    assert document["authorization_endpoint"].startswith("http://testserver/dev-psc/")
    assert {"code"} == set(document["response_types_supported"])
    assert "eidas1" in document["acr_values_supported"]
    assert client.get("/dev-psc/jwks").json()["keys"][0]["kty"] == "RSA"


def test_authorization_request_follows_the_psc_profile(client, provider):
    url = start_sign_in(client)
    params = parse_qs(urlsplit(url).query)
    assert url.startswith("http://testserver/dev-psc/auth")
    assert params["scope"] == ["openid scope_all"]
    assert params["acr_values"] == ["eidas1"]
    assert params["response_type"] == ["code"]
    assert len(params["state"][0]) >= 32 and len(params["nonce"][0]) == 64
    assert params["redirect_uri"] == ["http://testserver/portail/connexion/retour/"]


def test_representative_signs_in_and_sees_their_structure(client, provider, portal_demo):
    response = sign_in(client, identity="representant")
    assert response.status_code == 302 and response["Location"] == "/portail/"
    page = client.get("/portail/").content.decode()
    assert "Claire LEMAIRE" in page and "ASSOCIATION LES TILLEULS" in page and "Représentant légal" in page
    account = Account.objects.get(family_name="LEMAIRE")
    assert account.national_id == "8" + portal_demo["persons"]["representant"].rpps
    assert account.person == portal_demo["persons"]["representant"] and account.last_acr == "eidas1"
    event = AuditEvent.objects.filter(action=AuditEvent.Action.SIGN_IN).latest("pk")
    assert event.actor_national_id == account.national_id and event.ip_address == "127.0.0.1"


def test_card_level_eidas2_is_accepted(client, provider, portal_demo):
    sign_in(client, identity="gestionnaire", level="eidas2")
    assert Account.objects.get(family_name="NGUYEN").last_acr == "eidas2"
    page = client.get("/portail/").content.decode()
    # signed in at that level, with the habilitation of the demo: the EHPAD the gestionnaire manages
    assert "EHPAD LES TILLEULS" in page and "aucune habilitation ouverte" not in page


def test_person_without_rpps_number_can_sign_in(client, provider, portal_demo):
    sign_in(client, identity="sans-rpps")
    page = client.get("/portail/").content.decode()
    assert "Inès MOREAU" in page and "pas encore de numéro RPPS" in page
    assert Account.objects.get(family_name="MOREAU").national_id == ""


def test_any_registry_professional_can_be_picked_by_national_id(client, provider, portal_demo):
    person = portal_demo["persons"]["professionnel"]
    sign_in(client, national_id="8" + person.rpps)
    assert Account.objects.get(national_id="8" + person.rpps).person == person
    bad = urlsplit(start_sign_in(client))
    params = {k: v[0] for k, v in parse_qs(bad.query).items()}
    page = client.post(bad.path, params | {"national_id": "812345678901"})
    assert page.status_code == 400 and "clé de contrôle" in page.content.decode()


def _refused(client, response, reason_part):
    assert response.status_code == 400
    assert "Connexion refusée" in response.content.decode()
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.filter(action=AuditEvent.Action.SIGN_IN_REFUSED).latest("pk")
    assert event.outcome == AuditEvent.Outcome.REFUSED and reason_part in event.message
    # Nobody was signed in: login() stamps last_login, and no account has one.
    assert not Account.objects.filter(user__last_login__isnull=False).exists()


def test_bad_state_is_refused(client, provider, portal_demo):
    callback = pick_identity(client, start_sign_in(client), identity="representant")
    parts = urlsplit(callback)
    params = {k: v[0] for k, v in parse_qs(parts.query).items()} | {"state": "forged"}
    _refused(client, client.get(parts.path, params), "state")


def test_replayed_answer_is_refused(client, provider, portal_demo):
    callback = pick_identity(client, start_sign_in(client), identity="representant")
    assert client.get(callback).status_code == 302
    client.logout()
    replay = client.get(callback)
    assert replay.status_code == 400 and "_auth_user_id" not in client.session
    event = AuditEvent.objects.filter(action=AuditEvent.Action.SIGN_IN_REFUSED).latest("pk")
    assert "rejouée" in event.message


def test_answer_without_a_pending_request_is_refused(client, provider, portal_demo):
    other_browser_callback = pick_identity(client, start_sign_in(client), identity="representant")
    client.cookies.clear()
    _refused(client, client.get(other_browser_callback), "rejouée")


def _forge(provider, mutate):
    """Rewrites the provider's token answer: `mutate(claims)` then re-sign (or sign with another key)."""

    def rewrite(url, response):
        if url.endswith("/token") and response.status_code == 200:
            body = json.loads(response.content)
            claims = jwt.decode(body["id_token"], keys.signing_key()).claims
            key = mutate(claims) or keys.signing_key()
            body["id_token"] = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)
            response._content = json.dumps(body).encode()
        return response

    provider.rewrite = rewrite


def test_id_token_signed_by_another_key_is_refused(client, provider, portal_demo):
    intruder = RSAKey.generate_key(2048, parameters={"kid": keys.signing_key().kid}, private=True)
    _forge(provider, lambda claims: intruder)
    _refused(client, sign_in(client, identity="representant"), "signature")


def test_id_token_with_another_nonce_is_refused(client, provider, portal_demo):
    _forge(provider, lambda claims: claims.update(nonce="0" * 64))
    _refused(client, sign_in(client, identity="representant"), "nonce")


def test_expired_id_token_is_refused(client, provider, portal_demo):
    _forge(provider, lambda claims: claims.update(exp=int(time.time()) - 3600))
    _refused(client, sign_in(client, identity="representant"), "exp")


def test_id_token_for_another_client_is_refused(client, provider, portal_demo):
    _forge(provider, lambda claims: claims.update(aud="autre-application"))
    _refused(client, sign_in(client, identity="representant"), "aud")


def test_id_token_for_several_audiences_needs_this_client_as_authorised_party(client, provider, portal_demo):
    _forge(provider, lambda claims: claims.update(aud=["rpps-plus-dev", "autre-application"]))
    _refused(client, sign_in(client, identity="representant"), "azp None pour 2 audiences")


def test_id_token_issued_to_another_party_is_refused(client, provider, portal_demo):
    _forge(provider, lambda claims: claims.update(aud=["rpps-plus-dev", "autre"], azp="autre"))
    _refused(client, sign_in(client, identity="representant"), "azp autre")


def test_id_token_for_several_audiences_issued_to_this_client_is_accepted(client, provider, portal_demo):
    _forge(provider, lambda claims: claims.update(aud=["rpps-plus-dev", "autre"], azp="rpps-plus-dev"))
    response = sign_in(client, identity="representant")
    assert "_auth_user_id" in client.session, response.content[:300]


def test_insufficient_eidas_level_is_refused_with_a_clear_message(client, provider, portal_demo):
    _forge(provider, lambda claims: claims.update(acr="eidas0"))
    response = sign_in(client, identity="representant")
    assert "niveau d'authentification" in html.unescape(response.content.decode()).lower()
    _refused(client, response, "eidas0")


def test_code_is_good_once_at_the_token_endpoint(client, provider, portal_demo):
    callback = pick_identity(client, start_sign_in(client), identity="representant")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "http://testserver/portail/connexion/retour/",
        "client_id": "rpps-plus-dev",
        "client_secret": "dev-psc-client-secret",
    }
    assert client.post("/dev-psc/token", data).status_code == 200
    assert client.post("/dev-psc/token", data).json() == {"error": "invalid_grant"}
    assert client.post("/dev-psc/token", data | {"client_secret": "x"}).status_code == 401


def test_provider_refuses_unregistered_redirect(client):
    response = client.get(
        "/dev-psc/auth",
        {
            "client_id": "rpps-plus-dev",
            "redirect_uri": "http://evil.example/cb",
            "response_type": "code",
            "scope": "openid",
            "state": "s",
            "nonce": "n",
        },
    )
    assert response.status_code == 400 and "Adresse de retour non enregistrée" in response.content.decode()


def test_logout_ends_the_portal_and_provider_sessions(client, provider, portal_demo):
    sign_in(client, identity="representant")
    assert client.session.get("devpsc_identity")
    response = client.post("/portail/deconnexion/")
    location = response["Location"]
    assert location.startswith("http://testserver/dev-psc/logout?")
    params = parse_qs(urlsplit(location).query)
    assert params["post_logout_redirect_uri"] == ["http://testserver/portail/"] and params["id_token_hint"]
    assert "_auth_user_id" not in client.session
    back = client.get(location)
    assert back.status_code == 302 and back["Location"].startswith("http://testserver/portail/")
    assert "devpsc_identity" not in client.session
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SIGN_OUT).count() == 1
    # Signing out needs a POST with the CSRF token: a link cannot sign anyone out.
    assert client.get("/portail/deconnexion/").status_code == 405


def test_a_person_registered_through_their_own_request_stays_linked_at_next_sign_in(client, provider, portal_demo):
    sign_in(client, identity="sans-rpps")
    account = Account.objects.get(family_name="MOREAU")
    account.person = portal_demo["persons"]["professionnel"]  # as after a validated request
    account.save()
    client.post("/portail/deconnexion/")
    sign_in(client, identity="sans-rpps")
    account.refresh_from_db()
    assert account.person == portal_demo["persons"]["professionnel"]
