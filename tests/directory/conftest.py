import base64
import re
import zlib

import pytest

from tests import factories


def pdf_text(content: bytes) -> str:
    """The text drawing operators of a reportlab PDF (streams are ASCII85 + Flate encoded)."""
    text = ""
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", content, re.S):
        data = stream.strip()
        if data.endswith(b"~>"):
            data = base64.a85decode(data[:-2].replace(b"\n", b""), adobe=False)
        text += zlib.decompress(data).decode("cp1252")
    # PDF string escapes: \ddd (octal byte, Windows-1252 here), \( \) \\
    text = re.sub(r"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]).decode("cp1252"), text)
    return re.sub(r"\\([()\\])", r"\1", text)


@pytest.fixture
def directory(recording):
    """A small directory: a doctor practising at two sites, a nurse, an RPPS+ professional, a closed situation."""
    legal = factories.structure(
        name="CHU DE NANTES",
        is_legal_entity=True,
        postal_code="44000",
        commune_label="Nantes",
        department_code="44",
        sector_code="SA01",
    )
    site = factories.structure(
        name="HÔPITAL SAINT-JACQUES",
        legal_entity=legal,
        department_code="44",
        siret=factories.siret_number(),
        **factories.SAINT_JACQUES,
    )
    cabinet = factories.structure(
        name="CABINET DU PARC", postal_code="49100", commune_label="Angers", department_code="49"
    )
    helene = factories.person(birth_name="MARTIN", given_names="Hélène Marie")
    doctor = factories.exercise(helene, last_name="BÉRANGER", first_name="Hélène")
    factories.expertise(doctor, code="SM54")
    factories.diploma(doctor, label="DE Docteur en médecine")
    factories.activity(doctor, site)
    factories.activity(doctor, cabinet)
    factories.mailbox(helene, address="helene.beranger@medecin.mssante.fr")
    nurse_person = factories.person(birth_name="DURAND", given_names="Paul", sex_code="M", civility_code="M")
    nurse = factories.exercise(nurse_person, last_name="DURAND", first_name="Paul", **factories.NURSE)
    factories.activity(nurse, cabinet)
    social_person = factories.person(birth_name="N'DIAYE", given_names="Awa")
    social = factories.exercise(social_person, last_name="N'DIAYE", first_name="Awa", **factories.RPPS_PLUS)
    factories.activity(social, site, mode_code="S", genre_code="GENR01", role_code="313")
    return {
        "legal": legal,
        "site": site,
        "cabinet": cabinet,
        "helene": helene,
        "doctor": doctor,
        "nurse": nurse_person,
        "social": social_person,
    }
