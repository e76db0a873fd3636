"""The FHIR API as its clients use it: resources, search semantics, paging, errors and access."""

import datetime
import json
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole

from rpps.fhir.models import ApiKey
from rpps.registry.models import Authorization, Exercise, Mailbox, Person, Structure
from rpps.runtime import ratelimit
from tests import factories
from tests.canary import assert_no_canary, plant_canaries

pytestmark = pytest.mark.django_db
MODELS = {
    "Practitioner": Practitioner,
    "PractitionerRole": PractitionerRole,
    "Organization": Organization,
    "OperationOutcome": OperationOutcome,
}


def without_display(value):
    if isinstance(value, dict):
        return {k: without_display(v) for k, v in value.items() if k != "display"}
    if isinstance(value, list):
        return [without_display(v) for v in value]
    return value


def ids(bundle: dict) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


def later_pages(api, bundle):
    """(next link, bundle) for each page after ``bundle``, following the next links."""
    while next_links := [link["url"] for link in bundle["link"] if link["relation"] == "next"]:
        url = urlsplit(next_links[0])
        bundle = api.get(f"{url.path}?{url.query}").json()
        yield url, bundle


def search(api, resource_type, **params):
    response = api.get(f"/fhir/v2/{resource_type}", params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    bundle = response.json()
    Bundle.model_validate(bundle)
    for entry in bundle.get("entry", []):
        MODELS[entry["resource"]["resourceType"]].model_validate(entry["resource"])
    return bundle


@pytest.fixture
def data(recording):
    legal = factories.structure(name="CHU DE NANTES", is_legal_entity=True, sector_code="SA01")
    site = factories.structure(name="HÔPITAL NORD", legal_entity=legal, **factories.SAINT_JACQUES)
    helene = factories.person()
    doctor = factories.exercise(helene, last_name="BÉRANGER", first_name="Hélène")
    factories.expertise(doctor, code="SM54")
    role = factories.activity(doctor, site, function_code="FON-33")
    factories.mailbox(helene, address="helene.beranger@medecin.mssante.fr")
    factories.mailbox(helene, address="secret@medecin.mssante.fr", red_list=True)
    nurse = factories.exercise(profession_code="60", exercise_civility_code="", last_name="DURAND", first_name="Paul")
    return {"legal": legal, "site": site, "doctor": doctor, "role": role, "nurse": nurse}


def test_resources_parse_and_follow_the_public_profiles(api, data):
    doctor, role, site = data["doctor"], data["role"], data["site"]
    practitioner = api.get(f"/fhir/v2/Practitioner/003-{doctor.pk}").json()
    Practitioner.model_validate(practitioner)
    rpps = doctor.person.rpps
    assert [(i["system"], i["value"], i["type"]["coding"][0]["code"]) for i in practitioner["identifier"]] == [
        ("urn:oid:1.2.250.1.71.4.2.1", "8" + rpps, "IDNPS"),
        ("https://rpps.esante.gouv.fr", rpps, "RPPS"),
    ]
    assert practitioner["meta"]["profile"][1].startswith(
        "https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-dp-practitioner|"
    )
    assert practitioner["language"] == "fr" and practitioner["meta"]["source"] == "https://annuaire.esante.gouv.fr"
    assert practitioner["name"] == [
        {"use": "usual", "family": "BÉRANGER", "given": ["Hélène"], "prefix": ["MME"], "suffix": ["DR"]}
    ]
    assert [t["value"] for t in practitioner["telecom"]] == ["helene.beranger@medecin.mssante.fr"]  # no red list
    codes = [
        {(c["system"].split("/")[4], c["code"]) for c in q["code"]["coding"]} for q in practitioner["qualification"]
    ]
    assert {("TRE_G15-ProfessionSante", "10"), ("TRE_R09-CategorieProfessionnelle", "C")} in codes
    assert {("TRE_R38-SpecialiteOrdinale", "SM54"), ("TRE_R04-TypeSavoirFaire", "S")} in codes

    practitioner_role = api.get(f"/fhir/v2/PractitionerRole/005-{role.pk}").json()
    PractitionerRole.model_validate(practitioner_role)
    assert practitioner_role["practitioner"] == {"reference": f"Practitioner/003-{doctor.pk}"}
    assert practitioner_role["organization"] == {"reference": f"Organization/001-{site.pk}"}
    assert {c["coding"][0]["code"] for c in practitioner_role["code"]} == {"GENR01", "S", "FON-33"}

    organization = api.get(f"/fhir/v2/Organization/001-{site.pk}").json()
    Organization.model_validate(organization)
    assert organization["partOf"] == {"reference": f"Organization/001-{data['legal'].pk}"}
    assert {(i["type"]["coding"][0]["code"], i["value"]) for i in organization["identifier"]} == {
        ("IDNST", "1" + site.finess),
        ("FINEG", site.finess),
    }
    assert organization["type"][0]["coding"][0]["code"] == "GEOGRAPHICAL-ENTITY"
    assert organization["address"][0]["line"] == ["85 Rue Saint-Jacques"]
    assert organization["address"][0]["city"] == "Nantes"


def test_practitioner_shows_its_cards_authorisations_and_origin(api, data):
    """as-ext-smartcard (type, number, validity; never the opposition date), as-ext-practitioner-
    authorization (type, discipline, profession; never its number or date) and meta as-ext-data-trace."""
    doctor = data["doctor"]
    card = factories.card(doctor.person, valid_from=datetime.date(2024, 1, 1), valid_until=datetime.date(2027, 1, 1))
    opposed = factories.card(doctor.person, opposition_date=datetime.date(2025, 6, 1))
    saved = Authorization(
        exercise=doctor,
        type_code="AM01",
        discipline_code="D12",
        discipline_label="Chirurgie",
        number="AUT-PRIVE-42",
        granted_on=datetime.date(2020, 5, 4),
    )
    saved.full_clean()
    saved.save()
    practitioner = api.get(f"/fhir/v2/Practitioner/003-{doctor.pk}").json()
    Practitioner.model_validate(practitioner)
    by_url = {}
    for extension in practitioner["extension"]:
        by_url.setdefault(extension["url"].rsplit("/", 1)[1], []).append(
            {part["url"]: next(v for k, v in part.items() if k.startswith("value")) for part in extension["extension"]}
        )
    assert by_url["as-ext-smartcard"] == [
        {
            "type": {
                "coding": [
                    {
                        "system": "urn:oid:1.2.250.1.213.1.6.1.106",
                        "code": "CPS",
                        "display": "Carte de Professionnel de Santé (CPS)",
                    }
                ]
            },
            "number": card.number,
            "period": {"start": "2024-01-01", "end": "2027-01-01"},
        }
    ]
    authorization = by_url["as-ext-practitioner-authorization"][0]
    assert authorization["type"]["coding"][0]["code"] == "AM01"
    assert authorization["field"] == {"coding": [{"code": "D12"}], "text": "Chirurgie"}
    assert authorization["profession"]["coding"][0]["code"] == "10"
    text = json.dumps(practitioner)
    assert opposed.number not in text and "AUT-PRIVE-42" not in text and "2020-05-04" not in text
    trace = practitioner["meta"]["extension"][0]
    assert trace["url"].endswith("/as-ext-data-trace")
    assert trace["extension"] == [
        {
            "url": "autorite-enregistrement",
            "valueCodeableConcept": {"coding": [{"code": "CNOM"}], "text": "CNOM/CNOM/ARS"},
        },
        {"url": "systeme-information", "valueCode": "RPPS"},
    ]
    # the search parameters see the cards shown, not the opposed one
    assert ids(search(api, "Practitioner", **{"number-smartcard": card.number})) == [f"003-{doctor.pk}"]
    assert ids(search(api, "Practitioner", **{"number-smartcard": opposed.number})) == []
    assert ids(search(api, "Practitioner", **{"type-smartcard": "CPS"})) == [f"003-{doctor.pk}"]
    site = api.get(f"/fhir/v2/Organization/001-{data['site'].pk}").json()
    assert site["meta"]["extension"][0]["extension"] == [{"url": "systeme-information", "valueCode": "FINESS"}]


def test_mailboxes_carry_their_public_metadata_and_organisations_show_their_own(api, data):
    """as-ext-mailbox-mss-metadata: type and service (never the red-list flag); an Organization shows
    its own mailboxes off the red list, which mailbox-mss finds it by."""
    doctor, site = data["doctor"], data["site"]
    practitioner = api.get(f"/fhir/v2/Practitioner/003-{doctor.pk}").json()
    (telecom,) = practitioner["telecom"]
    metadata = next(e for e in telecom["extension"] if e["url"].endswith("/as-ext-mailbox-mss-metadata"))
    assert metadata["extension"] == [
        {
            "url": "type",
            "valueCodeableConcept": {
                "coding": [
                    {
                        "system": "https://mos.esante.gouv.fr/NOS/TRE_R257-TypeBAL/FHIR/TRE-R257-TypeBAL",
                        "code": "PER",
                        "display": "BAL personnelle",
                    }
                ]
            },
        }
    ]
    factories.saved(
        Mailbox(structure=site, type_code="ORG", address="accueil@chu-nord.mssante.fr", service="Accueil des urgences")
    )
    factories.saved(Mailbox(structure=site, type_code="ORG", address="cache@chu-nord.mssante.fr", red_list=True))
    factories.mailbox(doctor.person, structure=site, address="beranger.nord@chu-nord.mssante.fr")
    organization = api.get(f"/fhir/v2/Organization/001-{site.pk}").json()
    Organization.model_validate(organization)
    boxes = [t for t in organization.get("telecom", []) if t["system"] == "email" and "extension" in t]
    assert [b["value"] for b in boxes] == ["accueil@chu-nord.mssante.fr"]
    assert {"url": "service", "valueString": "Accueil des urgences"} in boxes[0]["extension"][1]["extension"]
    assert ids(search(api, "Organization", **{"mailbox-mss": "accueil@chu"})) == [f"001-{site.pk}"]
    assert ids(search(api, "Organization", **{"mailbox-mss": "beranger.nord"})) == []  # a person's, not the site's
    assert ids(search(api, "Organization", **{"mailbox-mss": "cache@"})) == []


def test_ig_example_practitioner_is_reproduced(api, recording):
    example = json.loads((Path(__file__).parent / "Practitioner-334081DP.json").read_text())  # from the IG
    person = factories.person(civility_code="M")
    # The IG's fictitious number fails the RPPS key: written past the model's checks, as a load would.
    Person.objects.filter(pk=person.pk).update(rpps="10003461033")
    exercise = factories.exercise(
        person,
        last_name="Saucier",
        first_name="Arthur",
        exercise_civility_code="",
        profession_code="10",
        category_code="C",
    )
    factories.diploma(exercise, type_code="DE", code="DE05", label="DE Docteur en médecine")
    factories.mailbox(person, address="jeromebonnet@pro.mssante.fr")
    ours = api.get(f"/fhir/v2/Practitioner/003-{exercise.pk}").json()
    for element in ("identifier", "active", "name", "language"):
        assert ours[element] == example[element], element
    # the mailbox's metadata (its type, from our data) is an addition: the example has none
    for mailbox in ours["telecom"]:
        mailbox["extension"] = [
            e for e in mailbox["extension"] if not e["url"].endswith("/as-ext-mailbox-mss-metadata")
        ]
    assert ours["telecom"] == example["telecom"]
    assert ours["meta"]["source"] == example["meta"]["source"] and ours["meta"]["profile"] == example["meta"]["profile"]

    def codings(resource):
        return sorted(sorted((c["system"], c["code"]) for c in q["code"]["coding"]) for q in resource["qualification"])

    assert codings(ours) == codings(example)


def test_string_token_and_date_search(api, data):
    doctor, nurse = data["doctor"], data["nurse"]
    d, n = f"003-{doctor.pk}", f"003-{nurse.pk}"
    assert ids(search(api, "Practitioner", family="beranger")) == [d]  # accents and case ignored, prefix
    assert ids(search(api, "Practitioner", family="ber")) == [d]
    assert ids(search(api, "Practitioner", **{"family:exact": "BERANGER"})) == []
    assert ids(search(api, "Practitioner", **{"family:exact": "BÉRANGER"})) == [d]
    assert ids(search(api, "Practitioner", **{"family:contains": "rang"})) == [d]
    assert ids(search(api, "Practitioner", given="helene")) == [d]
    assert ids(search(api, "Practitioner", identifier=doctor.person.rpps)) == [d]
    assert ids(search(api, "Practitioner", identifier=f"https://rpps.esante.gouv.fr|{doctor.person.rpps}")) == [d]
    assert ids(search(api, "Practitioner", identifier=f"urn:oid:1.2.250.1.71.4.2.1|8{doctor.person.rpps}")) == [d]
    assert ids(search(api, "Practitioner", identifier=f"https://finess.esante.gouv.fr|{doctor.person.rpps}")) == []
    assert ids(search(api, "Practitioner", **{"qualification-code": "SM54"})) == [d]
    assert sorted(ids(search(api, "Practitioner", **{"qualification-code": "10,60"}))) == sorted([d, n])  # OR
    assert ids(search(api, "Practitioner", **{"qualification-code:not": "10"})) == [n]
    assert sorted(ids(search(api, "Practitioner", **{"identifier-type": "RPPS,XYZ"}))) == sorted([d, n])
    assert ids(search(api, "Practitioner", **{"identifier-type": "XYZ"})) == []
    # AND: repeated parameter
    response = api.get("/fhir/v2/Practitioner?qualification-code=10&qualification-code=SM54&family=ber")
    assert ids(response.json()) == [d]
    assert ids(search(api, "Practitioner", **{"mailbox-mss": "helene.beranger"})) == [d]
    assert ids(search(api, "Practitioner", **{"mailbox-mss": "secret"})) == []  # red list
    today = timezone.localdate()
    assert len(ids(search(api, "Practitioner", _lastUpdated=f"ge{today:%Y-%m-%d}"))) == 2
    assert ids(search(api, "Practitioner", _lastUpdated=f"lt{today:%Y}")) == []
    assert len(ids(search(api, "Practitioner", _lastUpdated=f"eq{today:%Y}"))) == 2
    assert ids(search(api, "PractitionerRole", practitioner=f"Practitioner/{d}")) == [f"005-{data['role'].pk}"]
    assert ids(search(api, "PractitionerRole", organization=f"001-{data['site'].pk}", role="FON-33")) == [
        f"005-{data['role'].pk}"
    ]
    assert ids(search(api, "Organization", partof=f"001-{data['legal'].pk}")) == [f"001-{data['site'].pk}"]
    assert ids(search(api, "Organization", type="LEGAL-ENTITY")) == [f"001-{data['legal'].pk}"]
    assert ids(search(api, "Organization", **{"address-city": "nan"})) == [f"001-{data['site'].pk}"]
    assert ids(search(api, "Organization", identifier=data["site"].finess)) == [f"001-{data['site'].pk}"]


def test_paging_follows_next_links_relative_to_the_request_host(api, recording):
    for i in range(7):
        factories.exercise(last_name=f"PAGE{factories.letters(i)}")
    first = search(api, "Practitioner", _count=3, family="page")
    assert first["total"] == 7 and len(first["entry"]) == 3
    seen = ids(first)
    for url, bundle in later_pages(api, first):
        assert url.netloc == "testserver" and url.path == "/fhir/v2/_page"
        Bundle.model_validate(bundle)
        seen += ids(bundle)
    assert len(seen) == 7 == len(set(seen))
    assert api.get("/fhir/v2/_page?id=forged").status_code == 400


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/fhir/v2/Practitioner?address-city=Angers", 400, "address-city"),
        ("/fhir/v2/Practitioner?family:soundex=x", 400, "soundex"),
        ("/fhir/v2/Practitioner?_count=beaucoup", 400, "_count"),
        ("/fhir/v2/Practitioner?_lastUpdated=ge2024-13-45", 400, "2024-13-45"),
        ("/fhir/v2/Practitioner?active=maybe", 400, "maybe"),
        ("/fhir/v2/Practitioner?_format=xml", 400, "JSON"),
        ("/fhir/v2/Practitioner/003-999999", 404, "introuvable"),
        ("/fhir/v2/Patient", 404, "Practitioner, PractitionerRole, Organization"),
    ],
)
def test_errors_are_operation_outcomes_naming_the_problem(api, data, url, status, words):
    response = api.get(url)
    assert response.status_code == status
    body = response.json()
    OperationOutcome.model_validate(body)
    assert words in body["issue"][0]["diagnostics"]


def test_write_interactions_are_refused(api, data):
    url = f"/fhir/v2/Practitioner/003-{data['doctor'].pk}"
    for method in (api.put, api.delete, api.patch):
        assert method(url, "{}", content_type="application/fhir+json").status_code == 405
    assert api.post("/fhir/v2/Practitioner", "{}", content_type="application/fhir+json").status_code == 405
    assert Exercise.objects.filter(pk=data["doctor"].pk).exists()


def test_post_search_is_the_same_search(api, data):
    response = api.post("/fhir/v2/Practitioner/_search", {"family": "beranger"})
    assert ids(response.json()) == [f"003-{data['doctor'].pk}"]


def test_access_needs_a_valid_key_and_is_rate_limited(data, api_key):
    assert Client().get("/fhir/v2/Practitioner").status_code == 401
    assert Client(HTTP_ESANTE_API_KEY="nope").get("/fhir/v2/Practitioner").status_code == 401
    assert Client().get("/fhir/v2/metadata").status_code == 200  # the CapabilityStatement is public
    client = Client(HTTP_ESANTE_API_KEY=api_key)
    with override_settings(FHIR_RATE_LIMIT=3), at(1_800_000_000.0):
        statuses = [client.get("/fhir/v2/Organization").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    with override_settings(FHIR_RATE_LIMIT=3), at(1_800_000_002.0):
        assert client.get("/fhir/v2/Organization").status_code == 200  # a second later, the key may again
    ApiKey.objects.all().revoke()
    assert client.get("/fhir/v2/Organization").status_code == 401


def test_the_rate_limit_counts_the_requests_of_every_server_process(data, api_key):
    """The count is kept in the shared cache: requests a key made through another server process (here
    counted as that process would) use up the same second; nothing is written to the database."""
    key = ApiKey.find(api_key)
    client = Client(HTTP_ESANTE_API_KEY=api_key)
    with override_settings(FHIR_RATE_LIMIT=3), at(1_800_000_000.0):  # (the cache's clock too)
        for _ in range(2):
            ratelimit.hit("fhir", key.pk, 3)
        statuses = [client.get("/fhir/v2/Organization").status_code for _ in range(2)]
    assert statuses == [200, 429]


def test_the_limit_holds_across_a_second_boundary(data, api_key):
    """A fixed window let the limit through at the end of one second and again at the start of the next."""
    client = Client(HTTP_ESANTE_API_KEY=api_key)
    with override_settings(FHIR_RATE_LIMIT=3), at(1_800_000_000.9):
        assert [client.get("/fhir/v2/Organization").status_code for _ in range(3)] == [200, 200, 200]
    with override_settings(FHIR_RATE_LIMIT=3), at(1_800_000_001.1):
        assert client.get("/fhir/v2/Organization").status_code == 429


def at(moment: float):
    """The rate limiter's clock, stopped at ``moment``."""
    return mock.patch("rpps.runtime.ratelimit.time.time", return_value=moment)


def test_rate_limited_answer_says_when_to_retry(data, api_key):
    client = Client(HTTP_ESANTE_API_KEY=api_key)
    with override_settings(FHIR_RATE_LIMIT=1), at(1_800_000_000.0):
        responses = [client.get("/fhir/v2/Organization") for _ in range(3)]
    limited = [r for r in responses if r.status_code == 429]
    assert limited and limited[0]["Retry-After"] == "1"
    assert "par seconde" in limited[0].json()["issue"][0]["diagnostics"]


def test_capability_statement_lists_what_is_served(data):
    body = Client().get("/fhir/v2/metadata").json()
    CapabilityStatement.model_validate(body)
    practitioner = next(r for r in body["rest"][0]["resource"] if r["type"] == "Practitioner")
    names = {p["name"] for p in practitioner["searchParam"]}
    assert {"family", "given", "identifier", "qualification-code", "_lastUpdated"} <= names
    assert "address-city" not in names


def test_no_private_field_in_any_resource(api, data):
    doctor = data["doctor"]
    authorization = factories.saved(Authorization(exercise=doctor, type_code="AM01", discipline_label="Chirurgie"))
    card = factories.card(doctor.person)
    own_mailbox = factories.saved(Mailbox(structure=data["site"], type_code="ORG", address="accueil@nord.mssante.fr"))
    for obj in [
        doctor.person,
        doctor,
        data["role"],
        data["site"],
        *doctor.expertises.all(),
        authorization,
        card,
        own_mailbox,
        *doctor.person.mailboxes.all(),
    ]:
        plant_canaries(obj)
    from rpps.registry.models import Activity

    Activity.objects.update(end_date=datetime.date(2999, 1, 1))
    text = ""
    for url in [
        f"/fhir/v2/Practitioner/003-{doctor.pk}",
        f"/fhir/v2/PractitionerRole/005-{data['role'].pk}",
        f"/fhir/v2/Organization/001-{data['site'].pk}",
        "/fhir/v2/Practitioner?_count=100",
        "/fhir/v2/PractitionerRole",
        "/fhir/v2/Organization",
    ]:
        text += api.get(url).content.decode()
    assert doctor.person.rpps in text and card.number in text and "accueil@nord.mssante.fr" in text
    assert "AM01" in text  # the authorisation is shown, its private fields are not
    assert_no_canary(text)
    assert "2999-01-01" not in text  # the situations' end date (a random number may hold "2999")


def test_closed_situations_stay_as_inactive_roles_with_their_references_only(api, data, recording):
    """as-dp-practitionerrole: practitioner 1..1 and organization 1..1 — a closed situation keeps them,
    and shows nothing else of itself (its dates and codes are not published)."""
    role = data["role"]
    role.end_date, role.end_reason_code = datetime.date.today() - datetime.timedelta(days=1), ""
    role.save()
    body = api.get(f"/fhir/v2/PractitionerRole/005-{role.pk}").json()
    PractitionerRole.model_validate(body)
    assert body["active"] is False
    assert set(body) == {
        "resourceType",
        "id",
        "meta",
        "language",
        "identifier",
        "active",
        "practitioner",
        "organization",
    }
    assert body["practitioner"] == {"reference": f"Practitioner/003-{role.exercise_id}"}
    assert body["organization"] == {"reference": f"Organization/001-{role.structure_id}"}
    assert ids(search(api, "PractitionerRole", active="false")) == [f"005-{role.pk}"]


def test_include_revinclude_elements_and_summary(api, data):
    role, doctor, site, legal = data["role"], data["doctor"], data["site"], data["legal"]
    bundle = search(api, "PractitionerRole", _id=f"005-{role.pk}", _include="*")
    modes = {(e["resource"]["resourceType"], e["resource"]["id"]): e["search"]["mode"] for e in bundle["entry"]}
    assert modes == {
        ("PractitionerRole", f"005-{role.pk}"): "match",
        ("Practitioner", f"003-{doctor.pk}"): "include",
        ("Organization", f"001-{site.pk}"): "include",
    }
    bundle = search(api, "PractitionerRole", _id=f"005-{role.pk}", _include="PractitionerRole:organization")
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["PractitionerRole", "Organization"]
    bundle = search(api, "Practitioner", _id=f"003-{doctor.pk}", _revinclude="PractitionerRole:practitioner")
    assert [(e["resource"]["id"], e["search"]["mode"]) for e in bundle["entry"]] == [
        (f"003-{doctor.pk}", "match"),
        (f"005-{role.pk}", "include"),
    ]
    bundle = search(api, "Organization", _id=f"001-{legal.pk}", _revinclude="Organization:partof")
    assert [e["resource"]["id"] for e in bundle["entry"]] == [f"001-{legal.pk}", f"001-{site.pk}"]
    bundle = search(api, "Organization", _id=f"001-{site.pk}", _include="Organization:partof")
    assert bundle["total"] == 1 and len(bundle["entry"]) == 2  # the total counts matches only
    response = api.get("/fhir/v2/Practitioner", {"_include": "Practitioner:organization"})
    assert response.status_code == 400 and "Practitioner:organization" in response.json()["issue"][0]["diagnostics"]

    bundle = search(api, "Practitioner", _id=f"003-{doctor.pk}", _elements="identifier,active")
    resource = bundle["entry"][0]["resource"]
    assert set(resource) == {"resourceType", "id", "meta", "identifier", "active"}
    assert resource["meta"]["tag"][0]["code"] == "SUBSETTED"
    counted = api.get("/fhir/v2/Practitioner", {"_summary": "count"}).json()
    assert counted["total"] == 2 and "entry" not in counted
    assert api.get("/fhir/v2/Practitioner", {"_summary": "tout"}).status_code == 400


def test_deleted_resources_stay_as_tombstones_and_come_in_deltas(api, recording):
    from rpps.identity.services import merge_persons

    kept = factories.exercise(last_name="GARDE")
    twin = factories.exercise(factories.person(birth_name="DUPONT"), last_name="GARDE")
    twin_rpps = twin.person.rpps
    merge_persons(kept.person, twin.person)  # same profession: the twin's exercise is deleted
    assert not Exercise.objects.filter(pk=twin.pk).exists()
    body = api.get(f"/fhir/v2/Practitioner/003-{twin.pk}").json()
    Practitioner.model_validate(body)
    assert body["active"] is False and "name" not in body
    assert body["identifier"][1]["value"] == twin_rpps
    # Deltas see it go; so do identifier searches.
    today = timezone.localdate()
    delta = search(api, "Practitioner", _lastUpdated=f"ge{today:%Y-%m-%d}", _count=1)
    assert delta["total"] == 2
    seen = ids(delta) + [i for _, bundle in later_pages(api, delta) for i in ids(bundle)]
    assert sorted(seen) == sorted([f"003-{kept.pk}", f"003-{twin.pk}"])
    assert ids(search(api, "Practitioner", identifier=twin_rpps)) == [f"003-{twin.pk}"]
    assert ids(search(api, "Practitioner", active="false")) == [f"003-{twin.pk}"]
    assert ids(search(api, "Practitioner", family="garde")) == [f"003-{kept.pk}"]  # names are gone with it


def test_total_modes(api, data):
    assert "total" not in search(api, "Practitioner", _total="none")
    assert search(api, "Practitioner", _total="accurate")["total"] == 2
    assert isinstance(search(api, "Practitioner", _total="estimate")["total"], int)
    assert search(api, "Practitioner")["total"] == 2  # small: counted within the budget
    assert api.get("/fhir/v2/Practitioner", {"_total": "maybe"}).status_code == 400


@pytest.mark.postgres_only
def test_the_default_total_is_left_out_when_it_cannot_be_counted_within_the_budget(api, data, settings):
    """PostgreSQL: no count is started when the planner's estimate says it cannot fit, nor when the
    page itself took longer than the budget; asked for (accurate), it is counted anyway. (A search
    whose matches all fit on its first page is counted by that page.)"""
    from rpps.fhir import bundles

    assert search(api, "Practitioner", _count=1)["total"] == 2  # within the budget
    with mock.patch.object(bundles, "ESTIMATE_TOO_MANY", 0):
        assert "total" not in search(api, "Practitioner", _count=1)
        assert search(api, "Practitioner", _count=1, _total="accurate")["total"] == 2
    settings.FHIR_COUNT_BUDGET_MS = 0
    assert "total" not in search(api, "Practitioner", _count=1)
    assert search(api, "Practitioner", _count=1, _total="estimate")["total"] >= 0


def test_ig_example_organization_is_reproduced(api, recording):
    example = json.loads((Path(__file__).parent / "Organization-158480DP.json").read_text())  # from the IG
    structure = factories.structure(
        name="CH EURE-SEINE",
        sector_code="SA01",
        phone="0450636363",
        fax="0450455933",
        commune_code="75114",
        commune_label="PARIS",
        postal_code="75014",
        street_number="96",
        street_type_code="R",
        street_name="DIDOT",
    )
    # The IG's fictitious FINESS fails the key: written past the model's checks, as a load would.
    Structure.objects.filter(pk=structure.pk).update(finess="754567860", technical_id="F754567860")
    ours = api.get(f"/fhir/v2/Organization/001-{structure.pk}").json()
    Organization.model_validate(ours)
    for element in ("active", "name", "telecom", "language"):
        assert ours[element] == example[element], element
    assert without_display(ours["type"]) == example["type"]  # we add the codes' labels
    # The example's RPPS-rang (F754567860) is not a 14-digit RPPS-rang this registry can hold.
    assert ours["identifier"] == [i for i in example["identifier"] if i["type"]["coding"][0]["code"] != "RPPSRG"]
    # Our address also carries the street as text ("line"); the rest is the example's.
    assert {k: v for k, v in ours["address"][0].items() if k != "line"} == example["address"][0]
    assert ours["address"][0]["line"] == ["96 R DIDOT"]


def test_ig_example_practitioner_role_is_reproduced(api, recording):
    example = json.loads((Path(__file__).parent / "PractitionerRole-1578230DP.json").read_text())  # from the IG
    role = factories.activity(mode_code="S", genre_code="GENR01", function_code="FON-AU")
    ours = api.get(f"/fhir/v2/PractitionerRole/005-{role.pk}").json()
    for element in ("active", "language"):
        assert ours[element] == example[element], element
    assert ours["meta"]["profile"] == example["meta"]["profile"]
    assert [i["system"] for i in ours["identifier"]] == [i["system"] for i in example["identifier"]]
    assert [[(c["system"], c["code"]) for c in code["coding"]] for code in ours["code"]] == [
        [(c["system"], c["code"]) for c in code["coding"]] for code in example["code"]
    ]
    assert ours["practitioner"]["reference"].startswith("Practitioner/")
    assert ours["organization"]["reference"].startswith("Organization/")


def test_every_page_shows_the_registry_as_of_the_first_page(api, recording):
    from rpps.directory.models import Entry
    from rpps.registry.models import ChangeRecord

    listed = [factories.exercise(last_name=f"SUITE{factories.letters(i)}", first_name="Anne") for i in range(6)]
    factories.expertise(listed[4], code="SM54")
    outsider = factories.exercise(last_name="AILLEURS")
    expected = [f"003-{e.pk}" for e in listed]
    version = api.get(f"/fhir/v2/Practitioner/{expected[4]}").json()["meta"]
    first = search(api, "Practitioner", family="suite", _count=2)
    assert first["total"] == 6
    # while the client pages through: a creation, a name change that stops matching, one that
    # starts matching, a first-name change, a deletion and a specialty removed
    factories.exercise(last_name="SUITEJ")
    listed[2].last_name = "PARTI"
    listed[2].save()
    outsider.last_name = "SUITEDBIS"
    outsider.save()
    listed[3].first_name = "Modifiée"
    listed[3].save()
    listed[5].delete()
    listed[4].expertises.all().delete()
    records, entries = ChangeRecord.objects.count(), sorted(Entry.objects.values_list("exercise_id", "name_key"))
    pages = [first] + [bundle for _, bundle in later_pages(api, first)]
    assert sum((ids(b) for b in pages), []) == expected
    assert all(b["total"] == 6 for b in pages)
    shown = {e["resource"]["id"]: e["resource"] for b in pages for e in b["entry"]}
    assert shown[f"003-{listed[2].pk}"]["name"][0]["family"] == "SUITEC"
    assert shown[f"003-{listed[3].pk}"]["name"][0]["given"] == ["Anne"]
    assert shown[expected[5]]["active"] is True
    assert "SM54" in json.dumps(shown[f"003-{listed[4].pk}"]["qualification"])
    assert shown[expected[4]]["meta"]["versionId"] == version["versionId"]
    assert shown[expected[4]]["meta"]["lastUpdated"] == version["lastUpdated"]
    assert api.get(f"/fhir/v2/Practitioner/{expected[4]}").json()["meta"]["versionId"] != version["versionId"]
    # nothing of the rewind stays: the registry, its history and the search index are as they were
    assert ChangeRecord.objects.count() == records
    assert sorted(Entry.objects.values_list("exercise_id", "name_key")) == entries
    assert not Exercise.objects.filter(pk=int(expected[5][4:])).exists()
    now = search(api, "Practitioner", family="suite", _count=10)
    assert sorted(ids(now)) == sorted(
        [f"003-{e.pk}" for e in (listed[0], listed[1], listed[3], listed[4], outsider)]
        + [f"003-{Exercise.objects.get(last_name='SUITEJ').pk}"]
    )


def test_included_resources_are_shown_as_of_the_first_page_too(api, recording):
    site = factories.structure(name="CLINIQUE AVANT")
    roles = [factories.activity(factories.exercise(), site) for _ in range(3)]
    first = search(
        api, "PractitionerRole", organization=f"001-{site.pk}", _count=2, _include="PractitionerRole:organization"
    )
    site.name = "CLINIQUE APRÈS"
    site.save()
    roles[2].end_date = datetime.date.today() - datetime.timedelta(days=1)
    roles[2].save()
    ((_, second),) = later_pages(api, first)
    assert ids(second) == [f"005-{roles[2].pk}", f"001-{site.pk}"]
    assert second["entry"][0]["resource"]["active"] is True
    assert second["entry"][1]["resource"]["name"] == "CLINIQUE AVANT"
    assert api.get(f"/fhir/v2/Organization/001-{site.pk}").json()["name"] == "CLINIQUE APRÈS"


def test_a_search_expires_when_the_registry_changed_too_much_since_its_first_page(api, recording, settings):
    listed = [factories.exercise(last_name=f"SUITE{factories.letters(i)}") for i in range(3)]
    first = search(api, "Practitioner", family="suite", _count=2)
    settings.FHIR_SNAPSHOT_MAX_CHANGES = 2
    for exercise in listed:
        exercise.first_name = "Autre"
        exercise.save()
    url = urlsplit(next(link["url"] for link in first["link"] if link["relation"] == "next"))
    response = api.get(f"{url.path}?{url.query}")
    assert response.status_code == 410
    assert "relancez" in response.json()["issue"][0]["diagnostics"]


def test_later_pages_leave_out_what_was_created_after_the_first(api, recording):
    first_ones = [factories.exercise(last_name=f"SUITE{factories.letters(i)}") for i in range(4)]
    first = search(api, "Practitioner", family="suite", _count=2)
    assert first["total"] == 4
    factories.exercise(last_name="SUITEJ")  # created while the client pages through
    first_ones[3].first_name = "Modifiée"
    first_ones[3].save()
    url = urlsplit(next(link["url"] for link in first["link"] if link["relation"] == "next"))
    second = api.get(f"{url.path}?{url.query}").json()
    assert ids(first) + ids(second) == [f"003-{e.pk}" for e in first_ones]
    assert not [link for link in second["link"] if link["relation"] == "next"]
    assert second["total"] == 4  # the total of the first page, carried by the cursor


def follow(api, bundle, relation):
    url = urlsplit(next(link["url"] for link in bundle["link"] if link["relation"] == relation))
    response = api.get(f"{url.path}?{url.query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_name_search_comes_in_name_order_and_pages_both_ways(api, recording):
    for last, first in [("MARTIN", "Zoé"), ("MARTEL", "Luc"), ("MARTIN", "Anne"), ("MARS", "Paul"), ("MARA", "Léa")]:
        factories.exercise(last_name=last, first_name=first)
    factories.exercise(last_name="DURAND")
    first = search(api, "Practitioner", family="mar", _count=2)
    pages = [first] + [b for _, b in later_pages(api, first)]
    names = [
        (e["resource"]["name"][0]["family"], e["resource"]["name"][0]["given"][0]) for b in pages for e in b["entry"]
    ]
    assert names == [("MARA", "Léa"), ("MARS", "Paul"), ("MARTEL", "Luc"), ("MARTIN", "Anne"), ("MARTIN", "Zoé")]
    assert [len(b["entry"]) for b in pages] == [2, 2, 1]
    assert {link["relation"] for link in first["link"]} == {"self", "first", "next"}
    assert {link["relation"] for link in pages[1]["link"]} == {"self", "first", "previous", "next"}
    # back from the last page: the same pages, in reverse
    back = follow(api, pages[2], "previous")
    assert ids(back) == ids(pages[1])
    assert ids(follow(api, back, "previous")) == ids(first)
    assert not [link for link in follow(api, back, "previous")["link"] if link["relation"] == "previous"]
    assert ids(follow(api, pages[2], "first")) == ids(first)


def test_sort_by_last_update_both_ways_and_by_id(api, recording):
    made = [factories.exercise(last_name=f"TRI{factories.letters(i)}") for i in range(4)]
    made[0].first_name = "Plus récent"
    made[0].save()
    newest_first = [f"003-{e.pk}" for e in (made[0], made[3], made[2], made[1])]
    for sort, expected in [
        ("-_lastUpdated", newest_first),
        ("_lastUpdated", newest_first[::-1]),
        ("-_id", [f"003-{e.pk}" for e in made[::-1]]),
    ]:
        first = search(api, "Practitioner", _sort=sort, _count=3)
        pages = [first] + [b for _, b in later_pages(api, first)]
        assert sum((ids(b) for b in pages), []) == expected, sort
        assert ids(follow(api, pages[-1], "previous")) == expected[:3], sort
    response = api.get("/fhir/v2/Practitioner", {"_sort": "family"})
    assert response.status_code == 400
    assert "_sort" in response.json()["issue"][0]["diagnostics"]


def test_reads_carry_their_version_and_answer_304_to_a_current_copy(api, recording):
    exercise = factories.exercise(last_name="VERSION")
    url = f"/fhir/v2/Practitioner/003-{exercise.pk}"
    response = api.get(url)
    etag, modified = response["ETag"], response["Last-Modified"]
    assert etag == f'W/"{response.json()["meta"]["versionId"]}"'
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert api.get(url, HTTP_IF_NONE_MATCH='W/"1", ' + etag).status_code == 304
    assert api.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    exercise.first_name = "Changé"
    exercise.save()
    changed = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert changed.json()["name"][0]["given"] == ["Changé"]
    # a change to a part of the resource (a specialty, a mailbox) is a new version of it
    for change in (lambda: factories.expertise(exercise, code="SM54"), lambda: factories.mailbox(exercise.person)):
        etag = api.get(url)["ETag"]
        since = api.get(url).json()["meta"]["lastUpdated"]
        change()
        assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200
        delta = search(api, "Practitioner", _lastUpdated=f"gt{since}")
        assert ids(delta) == [f"003-{exercise.pk}"]


def test_prefer_lenient_leaves_unknown_parameters_out_and_says_so(api, recording):
    factories.exercise(last_name="SOUPLE")
    strict = api.get("/fhir/v2/Practitioner", {"family": "souple", "couleur": "bleu"})
    assert strict.status_code == 400
    assert "couleur" in strict.json()["issue"][0]["diagnostics"]
    lenient = api.get("/fhir/v2/Practitioner", {"family": "souple", "couleur": "bleu"}, HTTP_PREFER="handling=lenient")
    assert lenient.status_code == 200
    bundle = lenient.json()
    Bundle.model_validate(bundle)
    matches = [e for e in bundle["entry"] if e["search"]["mode"] == "match"]
    assert [e["resource"]["name"][0]["family"] for e in matches] == ["SOUPLE"]
    (warning,) = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
    assert warning["issue"][0]["severity"] == "warning"
    assert "couleur" in warning["issue"][0]["diagnostics"]


def test_chained_parameters_search_through_references(api, data):
    other = factories.structure(name="CLINIQUE D'ANGERS", commune_label="Angers", postal_code="49000")
    elsewhere = factories.activity(data["nurse"], other)
    role = f"005-{data['role'].pk}"
    assert ids(search(api, "PractitionerRole", **{"organization.address-city": "nantes"})) == [role]
    assert ids(search(api, "PractitionerRole", **{"organization.address-city": "Angers"})) == [f"005-{elsewhere.pk}"]
    finess = data["legal"].finess
    assert ids(search(api, "Organization", **{"partof.identifier": finess})) == [f"001-{data['site'].pk}"]
    assert ids(search(api, "PractitionerRole", **{"practitioner.qualification-code": "SM54"})) == [role]
    # two links, a type modifier, and with an ordinary parameter (AND)
    assert ids(search(api, "PractitionerRole", **{"organization.partof.identifier": finess})) == [role]
    assert ids(search(api, "PractitionerRole", **{"organization:Organization.name": "hôpital"})) == [role]
    # strings on structures are accent- and case-insensitive, whatever the database
    assert ids(search(api, "Organization", name="hopital")) == [f"001-{data['site'].pk}"]
    assert ids(search(api, "Organization", **{"name:contains": "PITAL n"})) == [f"001-{data['site'].pk}"]
    assert ids(search(api, "PractitionerRole", **{"organization.address-city": "ANGERS"})) == [f"005-{elsewhere.pk}"]
    assert ids(search(api, "PractitionerRole", **{"organization.address-city": "nantes,angers", "role": "FON-33"})) == [
        role
    ]
    # with includes: the matches' organizations come along
    bundle = search(
        api, "PractitionerRole", _include="PractitionerRole:organization", **{"organization.address-city": "nantes"}
    )
    assert [(e["resource"]["id"], e["search"]["mode"]) for e in bundle["entry"]] == [
        (role, "match"),
        (f"001-{data['site'].pk}", "include"),
    ]
    for bad, says in [
        ("organization.couleur", "couleur"),
        ("practitioner.", "manquant"),
        ("identifier.value", "n'est pas une référence"),
        ("organization:Practitioner.name", "référence"),
        ("organization.partof.partof.partof.name", "liens au plus"),
    ]:
        response = api.get("/fhir/v2/PractitionerRole", {bad: "x"})
        assert response.status_code == 400, bad
        assert says in response.json()["issue"][0]["diagnostics"], bad


def test_has_finds_resources_by_what_refers_to_them(api, data):
    other = factories.structure(name="CLINIQUE D'ANGERS", commune_label="Angers", postal_code="49000")
    factories.activity(data["nurse"], other, role_code="")
    doctor, nurse = f"003-{data['doctor'].pk}", f"003-{data['nurse'].pk}"
    has = "_has:PractitionerRole:practitioner:organization.address-postalcode"
    assert ids(search(api, "Practitioner", **{has: "49"})) == [nurse]
    assert ids(search(api, "Practitioner", **{has: "44"})) == [doctor]
    assert ids(search(api, "Organization", **{"_has:PractitionerRole:organization:role": "FON-33"})) == [
        f"001-{data['site'].pk}"
    ]
    # combined with a name, and paged: every page is right
    assert ids(search(api, "Practitioner", **{has: "44,49"}, _count=1)) == [doctor]
    pages = [b for _, b in later_pages(api, search(api, "Practitioner", **{has: "44,49"}, _count=1))]
    assert [ids(b) for b in pages] == [[nurse]]
    assert ids(search(api, "Practitioner", **{has: "44,49"}, family="durand")) == [nurse]
    response = api.get("/fhir/v2/Practitioner", {"_has:Organization:partof:name": "x"})
    assert response.status_code == 400


def test_include_iterate_adds_the_legal_entity_of_a_role_site(api, data):
    bundle = search(
        api,
        "PractitionerRole",
        _id=f"005-{data['role'].pk}",
        _include="PractitionerRole:organization",
        **{"_include:iterate": "Organization:partof"},
    )
    assert [(e["resource"]["id"], e["search"]["mode"]) for e in bundle["entry"]] == [
        (f"005-{data['role'].pk}", "match"),
        (f"001-{data['site'].pk}", "include"),
        (f"001-{data['legal'].pk}", "include"),
    ]
    plain = search(api, "PractitionerRole", _id=f"005-{data['role'].pk}", _include="PractitionerRole:organization")
    assert len(plain["entry"]) == 2
    assert api.get("/fhir/v2/PractitionerRole", {"_include:recurse": "Organization:partof"}).status_code == 400


def test_history_lists_the_versions_and_vread_shows_each(api, recording):
    exercise = factories.exercise(last_name="HISTOIRE", first_name="Jeanne")
    exercise.first_name = "Jeanne-Marie"
    exercise.save()
    factories.expertise(exercise, code="SM54")
    url = f"/fhir/v2/Practitioner/003-{exercise.pk}"
    current = api.get(url).json()
    response = api.get(f"{url}/_history")
    assert response.status_code == 200
    bundle = response.json()
    Bundle.model_validate(bundle)
    assert bundle["type"] == "history"
    versions = [e["resource"] for e in bundle["entry"]]
    for version in versions:
        Practitioner.model_validate(version)
    assert versions[0] == current
    assert [e["request"]["method"] for e in bundle["entry"]][-1] == "POST"
    given = [v["name"][0]["given"][0] for v in versions]
    specialties = ["SM54" in json.dumps(v["qualification"]) for v in versions]
    # newest first: the specialty, the first-name change, the creation
    assert given == ["Jeanne-Marie", "Jeanne-Marie", "Jeanne"]
    assert specialties[0] and not any(specialties[1:])
    assert len({v["meta"]["versionId"] for v in versions}) == len(versions) == bundle["total"]
    for version in versions:
        vid = version["meta"]["versionId"]
        read = api.get(f"{url}/_history/{vid}")
        assert read.status_code == 200
        assert read.json() == version
        assert read["ETag"] == f'W/"{vid}"'
    assert api.get(f"{url}/_history/123").status_code == 404
    assert api.get(f"{url}/_history/abc").status_code == 404
    assert api.get(f"{url}/_history", {"couleur": "x"}).status_code == 400
    # nothing of the past versions stays in the present
    assert api.get(url).json() == current
    assert api.get("/fhir/v2/Practitioner/003-999999/_history").status_code == 404


def test_a_red_list_opposition_reaches_the_past_versions_too(api, recording):
    """A mailbox put on the red list after it was published leaves every version served from then on:
    vread and _history included, not only the current resource."""
    exercise = factories.exercise(last_name="OPPOSITION")
    shown = factories.mailbox(exercise.person, address="publique@medecin.mssante.fr")
    factories.mailbox(exercise.person, address="retiree@medecin.mssante.fr")
    exercise.first_name = "Hélène-Marie"
    exercise.save()
    url = f"/fhir/v2/Practitioner/003-{exercise.pk}"
    before = api.get(f"{url}/_history").json()
    assert "retiree@" in json.dumps(before["entry"][0]["resource"]) and len(before["entry"]) >= 3
    Mailbox.objects.filter(address="retiree@medecin.mssante.fr").update(red_list=True)  # as a feed sets it
    after = api.get(f"{url}/_history").json()
    assert "retiree@" not in json.dumps(after)
    assert any(shown.address in json.dumps(e["resource"]) for e in after["entry"])
    for entry in after["entry"]:
        vid = entry["resource"]["meta"]["versionId"]
        assert "retiree@" not in api.get(f"{url}/_history/{vid}").content.decode()


def test_a_change_to_private_fields_only_leaves_the_public_versions_as_they_were(api, recording):
    """An end date set ahead, an e-mail or a birth date corrected: history records it, but the resources'
    lastUpdated and versionId do not move (they would tell when it happened); closing the situation today
    is a public change and moves them."""
    from rpps.registry.models import ChangeRecord

    role = factories.activity(factories.exercise(last_name="PRIVE"))
    person = role.exercise.person
    urls = [f"/fhir/v2/Practitioner/003-{role.exercise_id}", f"/fhir/v2/PractitionerRole/005-{role.pk}"]

    def metas():
        return [api.get(url).json()["meta"] for url in urls], [
            api.get(f"{url}/_history").json()["total"] for url in urls
        ]

    before = metas()
    recorded = ChangeRecord.objects.count()
    role.end_date = datetime.date.today() + datetime.timedelta(days=90)
    role.save()
    person.email, person.birth_date = "nouvelle@example.org", datetime.date(1980, 5, 18)
    person.save()
    assert ChangeRecord.objects.count() == recorded + 2
    assert [record.public for record in ChangeRecord.objects.order_by("-pk")[:2]] == [False, False]
    assert metas() == before
    role.end_date = datetime.date.today() - datetime.timedelta(days=1)
    role.save()
    (_, closed), totals = metas()
    assert closed["versionId"] != before[0][1]["versionId"] and totals[1] == before[1][1] + 1
    assert ChangeRecord.objects.order_by("-pk").first().public


def test_history_of_records_written_in_bulk_starts_with_their_original(api, recording):
    from rpps.registry.models import Activity
    from rpps.registry.population.run import generate

    generate(20, 3, progress=False)  # bulk-written: no creation record of their own
    site = Structure.objects.filter(activities__isnull=False).order_by("pk").first()
    role = Activity.objects.filter(end_date__isnull=True).order_by("pk").first()
    original_name, original_role = site.name, api.get(f"/fhir/v2/PractitionerRole/005-{role.pk}").json()
    site.name = "NOUVEAU NOM"
    site.save()
    role.end_date = datetime.date.today() - datetime.timedelta(days=1)
    role.save()
    for url, check in (
        (f"/fhir/v2/Organization/001-{site.pk}", lambda v: v["name"] == original_name),
        (f"/fhir/v2/PractitionerRole/005-{role.pk}", lambda v: v == original_role),
    ):
        bundle = api.get(f"{url}/_history").json()
        methods = [e["request"]["method"] for e in bundle["entry"]]
        assert methods[-1] == "POST" and "POST" not in methods[:-1], url
        first = bundle["entry"][-1]["resource"]
        assert check(first), url
        assert bundle["entry"][-1]["response"]["status"] == "201"
        assert api.get(f"{url}/_history/{first['meta']['versionId']}").json() == first


def test_history_of_a_deleted_resource_ends_with_its_deletion(api, recording):
    site = factories.structure(name="FERMÉE")
    url = f"/fhir/v2/Organization/001-{site.pk}"
    site.delete()
    bundle = api.get(f"{url}/_history").json()
    assert [e["request"]["method"] for e in bundle["entry"]] == ["DELETE", "POST"]
    assert bundle["entry"][1]["resource"]["name"] == "FERMÉE"


def test_lookup_by_number_keeps_the_search_semantics(api, recording):
    person = factories.person()
    first, second = factories.exercise(person, last_name="DEUX"), factories.exercise(person, profession_code="60")
    other = factories.exercise(last_name="AUTRE")
    both = f"{person.rpps},8{other.person.rpps}"
    assert ids(search(api, "Practitioner", identifier=both)) == [f"003-{e.pk}" for e in (first, second, other)]
    assert ids(search(api, "Practitioner", identifier=both, _sort="-_id")) == [
        f"003-{e.pk}" for e in (other, second, first)
    ]
    paged = search(api, "Practitioner", identifier=both, _count=2)
    assert ids(paged) + sum((ids(b) for _, b in later_pages(api, paged)), []) == [
        f"003-{e.pk}" for e in (first, second, other)
    ]
    assert len(ids(search(api, "Practitioner", identifier="https://rpps.esante.gouv.fr|"))) == 3
    assert ids(search(api, "Practitioner", identifier="123")) == []


def test_an_unexpected_error_answers_an_operation_outcome(api, recording):
    exercise = factories.exercise()
    failing = mock.Mock(side_effect=RuntimeError("panne"))
    with mock.patch.dict("rpps.fhir.resources.BUILDERS", {"Practitioner": failing}):
        response = api.get(f"/fhir/v2/Practitioner/003-{exercise.pk}")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    body = response.json()
    OperationOutcome.model_validate(body)
    assert body["issue"][0]["code"] == "exception" and "Erreur interne" in body["issue"][0]["diagnostics"]
    assert "panne" not in response.content.decode()


def test_tombstones_are_kept_for_their_retention_then_purged(api, recording, settings):
    from rpps.fhir import tombstones
    from rpps.fhir.models import Tombstone

    settings.FHIR_TOMBSTONE_DAYS = 45
    old, recent = factories.structure(name="ANCIENNE"), factories.structure(name="RÉCENTE")
    old_id, recent_id = old.pk, recent.pk
    old.delete()
    recent.delete()
    Tombstone.objects.filter(resource_id=old_id).update(deleted_at=timezone.now() - datetime.timedelta(days=46))
    Tombstone.objects.filter(resource_id=recent_id).update(deleted_at=timezone.now() - datetime.timedelta(days=44))
    assert tombstones.purge() == 1
    assert api.get(f"/fhir/v2/Organization/001-{old_id}").status_code == 404
    assert api.get(f"/fhir/v2/Organization/001-{recent_id}").json()["active"] is False
    settings.FHIR_TOMBSTONE_DAYS = 1  # never less than 30 days: deltas of the last month stay complete
    Tombstone.objects.filter(resource_id=recent_id).update(deleted_at=timezone.now() - datetime.timedelta(days=29))
    assert tombstones.purge() == 0 and Tombstone.objects.filter(resource_id=recent_id).exists()


def test_a_date_to_the_minute_covers_the_whole_minute(api, recording):
    """FHIR R4 §3.1.1.4.3: "the date value is treated as a range defined by its precision": a time to
    the minute stands for that minute (delta syncs written at minute precision must see every change)."""
    exercise = factories.exercise(last_name="MINUTE")
    changed = datetime.datetime.fromisoformat("2026-12-02T01:24:37.250+01:00")
    Exercise.objects.filter(pk=exercise.pk).update(updated_at=changed)
    wanted = [f"003-{exercise.pk}"]
    for value, found in (
        ("eq2026-12-02T01:24+01:00", wanted),
        ("eq2026-12-02T01:25+01:00", []),
        ("eq2026-12-02T01:24:37+01:00", wanted),
        ("eq2026-12-02T01:24:36+01:00", []),
        ("eq2026-12-02T01:24:37.2+01:00", wanted),
        ("eq2026-12-02T01:24:37.3+01:00", []),
        ("ge2026-12-02T01:24+01:00", wanted),
        ("gt2026-12-02T01:24+01:00", []),
        ("lt2026-12-02T01:25+01:00", wanted),
    ):
        assert ids(search(api, "Practitioner", _lastUpdated=value, family="minute")) == found, value


def test_post_search_combines_the_url_and_the_body(api, recording):
    """FHIR R4 §3.1.1.3 (search with POST): parameters may be in the URL and in the body, and "the server
    SHALL combine them"."""
    anne = factories.exercise(last_name="COMBINE", first_name="Anne")
    factories.exercise(last_name="COMBINE", first_name="Paul")
    factories.exercise(last_name="AUTRE", first_name="Anne")
    response = api.post("/fhir/v2/Practitioner/_search?family=combine", {"given": "anne"})
    assert response.status_code == 200
    assert ids(response.json()) == [f"003-{anne.pk}"]


def test_a_nul_character_in_a_parameter_is_a_clear_400(api, recording):
    """No value of a search may hold a NUL: the answer is an OperationOutcome, never a server error."""
    for response in (
        api.get("/fhir/v2/Practitioner", {"family": "du\x00pont"}),
        api.get("/fhir/v2/Organization", {"name\x00": "x"}),
        api.post("/fhir/v2/Practitioner/_search", {"given": "\x00"}),
    ):
        assert response.status_code == 400
        assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
        assert "caractère nul" in response.json()["issue"][0]["diagnostics"]


NOS = "https://mos.esante.gouv.fr/NOS"


def test_a_token_with_a_system_matches_in_that_system_only(api, recording):
    """FHIR R4 §3.1.1.4.2 (token): "[parameter]=[system]|[code]: the value of [code] matches a
    Coding.code ... and the value of [system] matches the system property of the Identifier or Coding";
    "|[code]": a coding that has no system. A wrong system finds nothing."""
    role = factories.activity(mode_code="L")
    site = role.structure
    site.sector_code = "SA01"
    site.save()
    wanted_role, wanted_site = [f"005-{role.pk}"], [f"001-{site.pk}"]
    mode_system = f"{NOS}/TRE_R23-ModeExercice/FHIR/TRE-R23-ModeExercice"
    for value, found in (
        ("L", wanted_role),
        (f"{mode_system}|L", wanted_role),
        ("http://example.org/wrong|L", []),
        ("|L", []),
    ):
        assert ids(search(api, "PractitionerRole", role=value)) == found, value
    sector_system = f"{NOS}/TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite"
    kind_system = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-3307"
    for value, found in (
        ("SA01", wanted_site),
        (f"{sector_system}|SA01", wanted_site),
        ("http://example.org/wrong|SA01", []),
        (f"{kind_system}|SA01", []),
        (f"{kind_system}|GEOGRAPHICAL-ENTITY", wanted_site),
        (f"{sector_system}|GEOGRAPHICAL-ENTITY", []),
    ):
        assert ids(search(api, "Organization", type=value, _id=f"001-{site.pk}")) == found, value


def test_qualification_code_matches_every_coding_the_practitioner_shows(api, recording):
    """The SearchParameter's expression is Practitioner.qualification.code: a search matches every coding
    of that element as served — profession, category, savoir-faire (code and type), diploma (code and type)."""
    exercise = factories.exercise(last_name="QUALIFIE")
    factories.expertise(exercise, code="SM54")
    factories.diploma(exercise, code="DE01")
    other = factories.exercise(last_name="AUTRE", profession_code="60")
    shown = api.get(f"/fhir/v2/Practitioner/003-{exercise.pk}").json()
    codings = [(c.get("system"), c["code"]) for q in shown["qualification"] for c in q["code"]["coding"]]
    assert ("https://mos.esante.gouv.fr/NOS/TRE_R14-TypeDiplome/FHIR/TRE-R14-TypeDiplome", "DE") in codings
    for system, code in codings:
        found = ids(search(api, "Practitioner", **{"qualification-code": f"{system}|{code}"}))
        assert f"003-{exercise.pk}" in found, (system, code)
        assert ids(search(api, "Practitioner", **{"qualification-code": code})), code
        assert not search(api, "Practitioner", **{"qualification-code": f"http://example.org/x|{code}"}).get("entry")
    assert f"003-{other.pk}" not in ids(search(api, "Practitioner", **{"qualification-code": "DE"}))


def test_a_page_size_above_the_maximum_is_brought_down_and_said(api, recording):
    """As HAPI FHIR and Blaze do: _count above the server's maximum is clamped, and the Bundle says so
    (an OperationOutcome entry, search mode outcome); not a 400."""
    factories.exercise()
    bundle = search(api, "Practitioner", _count=5000)
    outcomes = [e for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
    assert len(outcomes) == 1 and "ramené à 1000" in outcomes[0]["resource"]["issue"][0]["diagnostics"]
    assert not [e for e in search(api, "Practitioner", _count=10)["entry"] if e["search"]["mode"] == "outcome"]


def test_fhirpy_count_total_method_and_a_later_page_self_link(api, recording):
    """fhirpy's count() asks _count=0&_totalMethod=count and reads Bundle.total; the self link of a later
    page is that page (R4 §3.1.1.2.3: "self" is the link that produced this page)."""
    for i in range(3):
        factories.exercise(last_name=f"COMPTE{factories.letters(i)}")
    counted = search(api, "Practitioner", family="compte", _count=0, _totalMethod="count")
    assert counted["total"] == 3 and not counted.get("entry")
    first = search(api, "Practitioner", family="compte", _count=1)
    url = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = api.get(urlsplit(url).path + "?" + urlsplit(url).query).json()
    assert next(link["url"] for link in second["link"] if link["relation"] == "self") == url
    assert api.get("/fhir/v2/Practitioner", {"_totalMethod": "peut-être"}).status_code == 400


def test_a_missing_key_is_a_401_that_says_how_to_authenticate(recording):
    """RFC 9110 §11.6.1: a 401 response "MUST send a WWW-Authenticate header field"."""
    response = Client().get("/fhir/v2/Practitioner")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'ApiKey header="ESANTE-API-KEY"'
    OperationOutcome.model_validate(response.json())


def test_include_with_a_target_type(api, data):
    """FHIR R4 §3.1.1.5.5: "_include=[SourceType]:[searchParameter]:[targetType]" — the target type
    restricts the include to that type; a type the parameter cannot refer to is an error."""
    role = data["role"]
    plain = search(api, "PractitionerRole", _id=f"005-{role.pk}", _include="PractitionerRole:organization")
    typed = search(api, "PractitionerRole", _id=f"005-{role.pk}", _include="PractitionerRole:organization:Organization")
    assert ids(typed) == ids(plain) and len(ids(typed)) == 2
    doctor = data["doctor"]
    rev = search(api, "Practitioner", _id=f"003-{doctor.pk}", _revinclude="PractitionerRole:practitioner:Practitioner")
    assert f"005-{role.pk}" in ids(rev)
    wrong = api.get("/fhir/v2/PractitionerRole", {"_include": "PractitionerRole:organization:Practitioner"})
    assert wrong.status_code == 400 and "type cible" in wrong.json()["issue"][0]["diagnostics"]


def test_an_accept_the_server_cannot_produce_is_a_406(api, recording):
    """RFC 9110 §15.5.7: 406 when the target has no representation the Accept header admits; this server
    produces JSON only. _format, when given, wins over Accept (FHIR R4 §3.1.0.1.6)."""
    exercise = factories.exercise()
    url = f"/fhir/v2/Practitioner/003-{exercise.pk}"
    refused = api.get(url, HTTP_ACCEPT="application/fhir+xml")
    assert refused.status_code == 406 and refused["Content-Type"].startswith("application/fhir+json")
    assert api.get(url, HTTP_ACCEPT="application/fhir+json;q=0").status_code == 406
    for accepted in (
        "application/fhir+json",
        "application/json",
        "text/html,application/xhtml+xml,*/*;q=0.8",
        "application/fhir+xml;q=0.9, application/fhir+json;q=0.8",
    ):
        assert api.get(url, HTTP_ACCEPT=accepted).status_code == 200, accepted
    assert api.get(url, {"_format": "json"}, HTTP_ACCEPT="application/fhir+xml").status_code == 200


def test_address_line_matches_the_street_line_as_served(api, recording):
    """String search (FHIR R4 §3.1.1.4.7) on Organization.address.line: the value is matched against the
    line as the resource shows it ("43 Faubourg …"), case and accents aside."""
    site = factories.structure(
        name="SITE FAUBOURG",
        street_number="43",
        street_type_code="FG",
        street_type_label="Faubourg",
        street_name="SAINT-HONORÉ",
    )
    factories.structure(name="AILLEURS", street_number="12", street_name="RUE DU PORT")
    line = api.get(f"/fhir/v2/Organization/001-{site.pk}").json()["address"][0]["line"]
    assert "43 Faubourg SAINT-HONORÉ" in line
    wanted = [f"001-{site.pk}"]
    for name, value, found in (
        ("address-line", "43 faub", wanted),
        ("address", "43 FAUBOURG saint-honore", wanted),
        ("address-line:contains", "bourg saint", wanted),
        ("address-line", "44 faub", []),
        ("address-line:exact", "43 Faubourg SAINT-HONORÉ", wanted),
        ("address-line", "saint-hon", wanted),
    ):
        assert ids(search(api, "Organization", **{name: value})) == found, (name, value)


def test_an_organization_address_has_no_country_text(api, recording):
    """as-address-extended binds Address.country (required) to JDV_J256-Pays; the IG examples leave it
    out: a label such as « FRANCE » would break the binding."""
    site = factories.structure(name="PAYS", country_code="99100", country_label="FRANCE")
    address = api.get(f"/fhir/v2/Organization/001-{site.pk}").json()["address"][0]
    assert "country" not in address and address["city"]


def test_includes_per_page_are_capped_and_the_bundle_says_so(api, recording, settings):
    """One page may include at most FHIR_MAX_INCLUDED resources (stated in the CapabilityStatement):
    past it the Bundle carries an OperationOutcome entry saying what was left out."""
    settings.FHIR_MAX_INCLUDED = 3
    site = factories.structure(name="GRAND HÔPITAL")
    for _ in range(5):
        factories.activity(factories.exercise(), site)
    bundle = search(api, "Organization", _id=f"001-{site.pk}", _revinclude="PractitionerRole:organization")
    modes = [e["search"]["mode"] for e in bundle["entry"]]
    assert modes.count("include") == 3 and modes.count("match") == 1
    outcome = next(e for e in bundle["entry"] if e["search"]["mode"] == "outcome")
    assert "limitées à 3" in outcome["resource"]["issue"][0]["diagnostics"]
    settings.FHIR_MAX_INCLUDED = 5
    bundle = search(api, "Organization", _id=f"001-{site.pk}", _revinclude="PractitionerRole:organization")
    assert [e["search"]["mode"] for e in bundle["entry"]].count("include") == 5
    assert "outcome" not in [e["search"]["mode"] for e in bundle["entry"]]
    assert "au plus par page" in api.get("/fhir/v2/metadata").json()["rest"][0]["documentation"]


def test_summary_true_text_and_data(api, data):
    """FHIR R4 §3.1.1.5.8 (_summary): true — "Return a limited subset of elements from the resource"
    (those marked isSummary in the profile), tagged SUBSETTED; text — the text, id, meta and top-level
    mandatory elements; data — everything but the narrative (ours has none)."""
    doctor = data["doctor"]
    full = api.get(f"/fhir/v2/Practitioner/003-{doctor.pk}").json()
    assert "qualification" in full
    summary = search(api, "Practitioner", _id=f"003-{doctor.pk}", _summary="true")["entry"][0]["resource"]
    assert "qualification" not in summary and summary["name"] == full["name"]
    assert summary["identifier"] == full["identifier"] and "SUBSETTED" in json.dumps(summary["meta"])
    text = search(api, "Practitioner", _id=f"003-{doctor.pk}", _summary="text")["entry"][0]["resource"]
    assert set(text) == {"resourceType", "id", "meta", "identifier", "active"}
    assert search(api, "Practitioner", _id=f"003-{doctor.pk}", _summary="data")["entry"][0]["resource"] == full
    assert api.get("/fhir/v2/Practitioner", {"_summary": "peu"}).status_code == 400


def test_the_profile_check_sees_what_breaks_a_profile(api, data):
    """The check every API answer of these tests goes through (tests/fhir/profiles.py) is not vacuous."""
    from tests.fhir import profiles

    role = api.get(f"/fhir/v2/PractitionerRole/005-{data['role'].pk}").json()
    assert profiles.problems(role) == []
    broken = {k: v for k, v in role.items() if k != "practitioner"} | {"specialty": [{"text": "x"}]}
    found = " ".join(profiles.problems(broken))
    assert "PractitionerRole.practitioner: 0 valeur(s), 1..1" in found and "PractitionerRole.specialty" in found
    practitioner = api.get(f"/fhir/v2/Practitioner/003-{data['doctor'].pk}").json()
    practitioner["gender"] = "female"  # 0..0 in as-dp-practitioner
    practitioner["identifier"][0]["use"] = "principal"  # not in identifier-use (required)
    found = " ".join(profiles.problems(practitioner))
    assert "Practitioner.gender" in found and "principal" in found


def test_fuzzed_searches_never_answer_a_server_error(api, data):
    """A seeded fuzz of the search API (tests/fhir/fuzz.py: every parameter, modifier and prefix, hostile
    values): every answer is a Bundle or a 4xx OperationOutcome, never a 5xx. `make bench` runs thousands."""
    from tests.fhir import fuzz

    for method, path, body in fuzz.urls(seed=2026, count=400):
        response = api.post(path, body) if method == "POST" else api.get(path)
        assert response.status_code < 500, (method, path, body, response.content[:300])
        assert response["Content-Type"].startswith("application/fhir+json"), (method, path)
        assert response.json()["resourceType"] in ("Bundle", "OperationOutcome"), (method, path)


def test_dates_outside_what_the_registry_can_hold_are_a_clear_400(api, recording):
    """A date at the edge of the calendar (0001-01-01, 9999-12-31T23:59:59Z: its end, or ap's ±10 %,
    cannot be computed or stored) is refused with a message naming the accepted range, never a 500."""
    for value in ("ap9999-12-31T23:59:59Z", "le9999-12-31T23:59:59Z", "0001-01-01", "ap0001-01-01", "gt9999"):
        response = api.get("/fhir/v2/Practitioner", {"_lastUpdated": value})
        assert response.status_code == 400, value
        assert "1800 à 2999" in response.json()["issue"][0]["diagnostics"], value
    export = api.get("/fhir/v2/$export", {"_since": "0001-01-01"}, HTTP_PREFER="respond-async")
    assert export.status_code == 400 and "1800 à 2999" in export.json()["issue"][0]["diagnostics"]


def test_alternatives_and_parameters_per_request_are_capped(api, recording):
    """One request may not make the database evaluate thousands of conditions: at most 100 comma-separated
    values per parameter and 30 search parameters, a 400 naming the limit, stated in the CapabilityStatement."""
    too_many = api.get("/fhir/v2/Organization", {"address": ",".join(["a"] * 2000)})
    assert too_many.status_code == 400 and "au plus 100" in too_many.json()["issue"][0]["diagnostics"]
    assert api.get("/fhir/v2/Organization", {"address": ",".join(["a"] * 100)}).status_code == 200
    posted = api.post("/fhir/v2/Organization/_search", {"address": ",".join(["a"] * 2000)})
    assert posted.status_code == 400
    params = "&".join(f"name=a{i}" for i in range(31))
    response = api.get(f"/fhir/v2/Organization?{params}")
    assert response.status_code == 400 and "au plus 30" in response.json()["issue"][0]["diagnostics"]
    assert "Au plus 30 paramètres" in api.get("/fhir/v2/metadata").json()["rest"][0]["documentation"]
