"""A deterministic synthetic population with the shape of the national directory.

Same seed, same arguments -> same rows. Rows are produced in batches of persons (with the cabinets
and companies they create) so memory stays bounded whatever the population size. Synthetic RPPS
numbers start with 9: real ones start with 1 and this instance allocates from its own range.
"""

import bisect
import datetime
import itertools
import random
import unicodedata
from dataclasses import dataclass, field

from .. import history, identifiers
from ..models import (
    Activity,
    Authorization,
    Card,
    ChangeRecord,
    Diploma,
    Exercise,
    Expertise,
    Mailbox,
    Person,
    Structure,
)
from . import reference as ref

SYNTHETIC_RPPS_FIRST_BODY = 9_000_000_000
SYNTHETIC_RPPS_LAST_BODY = 9_999_999_999

# The author of the generated rows' change records.
ACTOR = history.Actor.loader("generate_population")
# Parents before children, so that every batch can be written table by table.
WRITE_ORDER = (Structure, Person, Exercise, Expertise, Diploma, Authorization, Activity, Mailbox, Card, ChangeRecord)


@dataclass(frozen=True)
class ProfessionSpec:
    weight: float  # share of the population
    female: float
    modes: dict  # mode code -> weight
    authority: str
    diploma: str  # public diploma label
    dr_share: float = 0.0  # share with civilité d'exercice DR
    salaried_at: dict = field(default_factory=lambda: {"hospital": 6, "esms": 2, "centre": 1})
    mailbox_share: float = 0.0
    card_share: float = 0.6


# One line a profession (TRE_G15 code): share of the population, share of women, modes (S salaried,
# L liberal, B both), registering authority, public diploma label, then what differs from the defaults.
PROFESSIONS: dict[str, ProfessionSpec] = {
    "60": ProfessionSpec(0.30, 0.87, {"S": 80, "L": 19, "B": 1}, "ONI/ONI/ARS", "DE Infirmier", mailbox_share=0.15),
    "10": ProfessionSpec(0.12, 0.50, {"L": 50, "S": 46, "B": 4}, "CNOM/CNOM/ARS", "DE Docteur en médecine", 0.97, {"hospital": 8, "centre": 2, "esms": 1}, mailbox_share=0.6, card_share=0.9),
    "99": ProfessionSpec(0.23, 0.85, {"S": 95, "B": 5}, "ENREG/ENREG/ENREG", "Diplôme professionnel", salaried_at={"esms": 6, "hospital": 3, "pharmacy": 1}, card_share=0.0),
    "70": ProfessionSpec(0.05, 0.52, {"L": 85, "S": 15}, "CNOMK/CNOMK/ARS", "DE Masseur-kinésithérapeute", mailbox_share=0.2),
    "93": ProfessionSpec(0.04, 0.85, {"S": 60, "L": 40}, "ARS/ARS/ARS", "Master de psychologie", salaried_at={"hospital": 4, "esms": 4, "centre": 2}, card_share=0.2),
    "21": ProfessionSpec(0.037, 0.68, {"L": 35, "S": 65}, "CNOP/CNOP/CNOP", "DE Docteur en pharmacie", 0.9, {"pharmacy": 7, "hospital": 2, "lab": 1}, mailbox_share=0.5, card_share=0.9),
    "40": ProfessionSpec(0.022, 0.50, {"L": 90, "S": 10}, "CNOCD/CNOCD/ARS", "DE Docteur en chirurgie dentaire", 0.95, {"centre": 3, "hospital": 1}, mailbox_share=0.4, card_share=0.9),
    "50": ProfessionSpec(0.012, 0.97, {"S": 70, "L": 30}, "CNOSF/CNOSF/ARS", "DE Sage-femme", mailbox_share=0.3),
    "28": ProfessionSpec(0.019, 0.55, {"L": 40, "S": 60}, "ARS/ARS/ARS", "BTS Opticien-lunetier", salaried_at={"company": 1}, card_share=0.1),
    "98": ProfessionSpec(0.018, 0.70, {"S": 100}, "ARS/ARS/ARS", "DE Manipulateur d'électroradiologie médicale"),
    "86": ProfessionSpec(0.015, 0.75, {"S": 100}, "ARS/ARS/ARS", "DE Technicien de laboratoire médical", salaried_at={"lab": 3, "hospital": 2}),
    "91": ProfessionSpec(0.013, 0.96, {"L": 80, "S": 20}, "ARS/ARS/ARS", "Certificat de capacité d'orthophoniste"),
    "41": ProfessionSpec(0.012, 0.92, {"S": 100}, "ARS/ARS/ARS", "DE Assistant de service social", salaried_at={"esms": 3, "hospital": 1}, card_share=0.1),
    "71": ProfessionSpec(0.012, 0.55, {"L": 100}, "ARS/ARS/ARS", "Diplôme d'ostéopathe", card_share=0.0),
    "31": ProfessionSpec(0.01, 0.95, {"S": 100}, "ARS/ARS/ARS", "Titre d'assistant dentaire", salaried_at={"centre": 2, "company": 1}, card_share=0.2),
    "80": ProfessionSpec(0.007, 0.70, {"L": 95, "S": 5}, "CNOPP/CNOPP/ARS", "DE Pédicure-podologue"),
    "94": ProfessionSpec(0.007, 0.88, {"S": 85, "L": 15}, "ARS/ARS/ARS", "DE Ergothérapeute"),
    "96": ProfessionSpec(0.007, 0.88, {"S": 80, "L": 20}, "ARS/ARS/ARS", "DE Psychomotricien"),
    "95": ProfessionSpec(0.006, 0.92, {"S": 60, "L": 40}, "ARS/ARS/ARS", "BTS Diététique"),
    "92": ProfessionSpec(0.003, 0.88, {"L": 70, "S": 30}, "ARS/ARS/ARS", "Certificat de capacité d'orthoptiste"),
    "26": ProfessionSpec(0.002, 0.45, {"L": 70, "S": 30}, "ARS/ARS/ARS", "DE Audioprothésiste", salaried_at={"company": 1}),
}  # fmt: skip

SPECIALTIES_MEDICINE = (
    ("SM54", 40), ("SM53", 8), ("SM26", 2), ("SM02", 4), ("SM04", 3), ("SM42", 5), ("SM44", 3), ("SM38", 2),
    ("SM15", 1), ("SM32", 1), ("SM22", 1), ("SM12", 1), ("SM01", 1), ("SM43", 1), ("SM07", 1), ("SM31", 1),
)  # fmt: skip
DENTAL_SPECIALTIES = ("SCD01", "SCD02", "SCD03")
IPA_SPECIALTIES = ("SI01", "SI02", "SI03", "SI04", "SI05")
ROLES = (
    ("313", 40), ("317", 9), ("316", 3), ("315", 7), ("326", 5), ("328", 6), ("324", 3), ("325", 2), ("371", 4),
    ("372", 3), ("331", 3), ("332", 2), ("360", 2), ("359", 1), ("314", 3), ("333", 1), ("319", 1), ("322", 1),
    ("307", 1), ("312", 2), ("347", 1), ("354", 1),
)  # fmt: skip
SOCIAL_ROLES = {"307", "319", "322", "324", "325", "326", "328", "333", "371", "372"}
END_REASONS = ("CHL", "CHA", "AUT", "RS", "RL", "RH", "ETR")


def _ascii_slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and (c.isalnum())).lower()


def _cumulative(weights):
    return list(itertools.accumulate(weights))


class Pool:
    """Structures of one kind with skewed sizes (a few big hospitals, many small sites)."""

    def __init__(self, ids: list[int], exponent: float):
        self.ids = ids
        self.cum = _cumulative([1.0 / (i + 1) ** exponent for i in range(len(ids))])

    def pick(self, rng: random.Random) -> int:
        return self.ids[bisect.bisect_left(self.cum, rng.random() * self.cum[-1])]


@dataclass
class Batch:
    rows: dict = field(default_factory=lambda: {model: [] for model in WRITE_ORDER})
    persons: int = 0


class PopulationGenerator:
    def __init__(
        self,
        persons: int,
        seed: int,
        *,
        now: datetime.datetime,
        first_ids: dict | None = None,
        batch_size: int = 5000,
        text_values: bool = False,
    ):
        if persons < 1:
            raise ValueError("persons must be >= 1")
        if persons > SYNTHETIC_RPPS_LAST_BODY - SYNTHETIC_RPPS_FIRST_BODY:
            raise ValueError("too many persons for the synthetic RPPS range")
        self.persons = persons
        self.seed = seed
        self.rng = random.Random(seed)
        # text_values: dates, timestamps and booleans as their PostgreSQL text forms, which COPY takes
        # 2-3x faster than Python objects; other databases get Python objects.
        self.text_values = text_values
        self.now = now.isoformat() if text_values else now
        self.true, self.false = ("t", "f") if text_values else (True, False)
        self.today = now.date()
        self.batch_size = batch_size
        first_ids = first_ids or {}
        self.next_id = {model: first_ids.get(model, 1) for model in WRITE_ORDER}
        self.finess_seq: dict[str, int] = {}
        self.siren_seq = 0
        self.card_seq = 0
        self.reason = f"Population synthétique (generate_population --seed {seed})"
        prof_codes = list(PROFESSIONS)
        self.prof_codes = prof_codes
        self.prof_cum = _cumulative([PROFESSIONS[c].weight for c in prof_codes])
        self.commune_cum = _cumulative(ref.COMMUNE_WEIGHTS)
        self.common_cum = _cumulative([1.0 / (rank + 1) ** 0.5 for rank in range(len(ref.FAMILY_NAMES))])
        self.spec_codes = [c for c, _ in SPECIALTIES_MEDICINE]
        self.spec_cum = _cumulative([w for _, w in SPECIALTIES_MEDICINE])
        self.role_codes = [c for c, _ in ROLES]
        self.role_cum = _cumulative([w for _, w in ROLES])
        self.mode_cum = {c: (list(p.modes), _cumulative(p.modes.values())) for c, p in PROFESSIONS.items()}
        self.salaried_cum = {
            c: (list(p.salaried_at), _cumulative(p.salaried_at.values())) for c, p in PROFESSIONS.items()
        }
        self.cabinets: list[int] = []
        self.companies: list[int] = []

    def _d(self, value):
        return value.isoformat() if self.text_values and value is not None else value

    # -- ids and identifiers ----------------------------------------------------------------
    def _id(self, model) -> int:
        value = self.next_id[model]
        self.next_id[model] = value + 1
        return value

    def _finess(self, department: str) -> str:
        seq = self.finess_seq.get(department, 0)
        self.finess_seq[department] = seq + 1
        if len(department) == 3:  # overseas: 97 + third digit of the department + 5 digits
            body = "97" + department[2] + f"{90000 + seq:05d}"
        else:
            body = department + f"{900000 + seq:06d}"
        if department in ("2A", "2B"):
            return body + str(seq % 10)  # no known key rule for Corsica (format only)
        return body + identifiers.luhn_check_digit(body)

    def _siret(self) -> tuple[str, str]:
        self.siren_seq += 1
        siren_body = f"9{self.siren_seq:07d}"
        siren = siren_body + identifiers.luhn_check_digit(siren_body)
        nic_body = siren + "0001"
        return siren, nic_body + identifiers.luhn_check_digit(nic_body)

    def _commune(self):
        return ref.COMMUNES[bisect.bisect_left(self.commune_cum, self.rng.random() * self.commune_cum[-1])]

    # -- structures ---------------------------------------------------------------------------
    def _structure_row(
        self,
        batch: Batch,
        *,
        name: str,
        sector: str,
        finess=None,
        siret="",
        siren="",
        rpps_rang="",
        legal_entity_id=None,
        is_legal_entity=False,
        trade_name="",
        commune=None,
    ) -> int:
        rng = self.rng
        sid = self._id(Structure)
        cog, postal, city, dept, dept_label = commune or self._commune()
        street_type = ref.STREET_TYPES[int(rng.random() * len(ref.STREET_TYPES))]
        technical_id = "F" + finess if finess else ("C" + siret if siret else "R" + rpps_rang)
        phone = f"0{1 + int(rng.random() * 5)}{int(rng.random() * 10**8):08d}"
        ids = (sid, technical_id, finess, siret, siren, rpps_rang, legal_entity_id)
        names = (self.true if is_legal_entity else self.false, name, trade_name, sector, "", "")
        number, repetition = str(1 + int(rng.random() * 180)), "B" if rng.random() < 0.03 else ""
        street = (number, repetition, *street_type, ref.STREET_NAMES[int(rng.random() * len(ref.STREET_NAMES))], "")
        place = (f"{postal} {city.upper()}", postal, cog, city, "99000", "France", dept, dept_label)
        batch.rows[Structure].append((*ids, *names, *street, *place, phone, "", "", "", self.now, self.now))
        return sid

    def _finess_sites(self, batch: Batch, count: int, kinds: tuple) -> list[int]:
        """``count`` single-site structures identified by FINESS, cycling through (label, sector) kinds."""
        ids = []
        for i in range(count):
            label, sector = kinds[i % len(kinds)]
            commune = self._commune()
            ids.append(
                self._structure_row(
                    batch,
                    name=f"{label} {commune[2].upper()} ({i + 1})",
                    sector=sector,
                    finess=self._finess(commune[3]),
                    commune=commune,
                )
            )
        return ids

    def build_fixed_structures(self, batch: Batch) -> dict[str, Pool]:
        n = self.persons
        pools = {"hospital": self._hospitals(batch, max(1, n // 3000))}
        esms = (
            ("EHPAD", "SA17"),
            ("FOYER D'ACCUEIL MÉDICALISÉ", "SA16"),
            ("MECS", "SA20"),
            ("SERVICE D'AIDE À DOMICILE", "SA41"),
            ("IME", "SA16"),
        )
        pools["esms"] = self._finess_sites(batch, max(2, n // 250), esms)
        pools["pharmacy"] = self._pharmacies(batch, max(2, n // 90))
        pools["lab"] = self._finess_sites(batch, max(1, n // 2000), (("LABORATOIRE DE BIOLOGIE MÉDICALE", "SA25"),))
        pools["centre"] = self._finess_sites(batch, max(1, n // 1500), (("CENTRE DE SANTÉ", "SA05"),))
        for i in range(max(1, n // 1000)):
            commune = self._commune()
            siren, siret = self._siret()
            name = f"SELARL SANTÉ {commune[2].upper()} ({i + 1})"
            self.companies.append(
                self._structure_row(batch, name=name, sector="SA09", siret=siret, siren=siren, commune=commune)
            )
        for sid in pools["hospital"][: max(1, len(pools["hospital"]) // 4)]:
            address = f"secretariat.site{sid}@ch.mssante.fr"
            mailbox = (address, "ORG", None, sid, "Secrétariat médical", self.true, self.false, self.now, self.now)
            batch.rows[Mailbox].append((self._id(Mailbox), *mailbox))
        exponents = {"hospital": 0.5, "esms": 0.3, "pharmacy": 0.1, "lab": 0.3, "centre": 0.2}
        return {kind: Pool(ids, exponents[kind]) for kind, ids in pools.items()}

    def _hospitals(self, batch: Batch, legal_entities: int) -> list[int]:
        """Public and private hospitals: a legal entity and one to three sites in its commune each."""
        sites = []
        for i in range(legal_entities):
            commune = self._commune()
            sector = "SA01" if i % 3 else ("SA03" if i % 2 else "SA04")
            kind = "CHU" if i % 7 == 0 else "CH"
            city, finess = commune[2].upper(), self._finess(commune[3])
            head = {"sector": sector, "commune": commune}
            ej = self._structure_row(
                batch, name=f"{kind} DE {city} ({i + 1})", finess=finess, is_legal_entity=True, **head
            )
            for site in range(1 + int(self.rng.random() * 3)):
                name, finess = f"{kind} {city} SITE {site + 1} ({i + 1})", self._finess(commune[3])
                sites.append(self._structure_row(batch, name=name, finess=finess, legal_entity_id=ej, **head))
        return sites

    def _pharmacies(self, batch: Batch, count: int) -> list[int]:
        pharmacies = []
        for i in range(count):
            commune = self._commune()
            siren, siret = self._siret()
            family = ref.FAMILY_NAMES[int(self.rng.random() * len(ref.FAMILY_NAMES))]
            ids = {"finess": self._finess(commune[3]), "siret": siret, "siren": siren}
            trade = f"Pharmacie de {commune[2]} ({i + 1})"
            pharmacies.append(
                self._structure_row(
                    batch, name=f"PHARMACIE {family}", trade_name=trade, sector="SA33", commune=commune, **ids
                )
            )
        return pharmacies

    # -- persons ------------------------------------------------------------------------------
    def _surname(self) -> str:
        """A quarter of people carry one of the common names (the commonest most often), the rest the long tail."""
        rng = self.rng
        if rng.random() < 0.25:
            return ref.FAMILY_NAMES[bisect.bisect_left(self.common_cum, rng.random() * self.common_cum[-1])]
        return ref.synthetic_surname(int(rng.random() * ref.SYNTHETIC_SURNAMES))

    def _family_name(self) -> str:
        rng = self.rng
        name = self._surname()
        draw = rng.random()
        if draw < 0.07:
            name = f"{name}-{self._surname()}"
        elif draw < 0.10:
            particle = ref.PARTICLES[int(rng.random() * len(ref.PARTICLES))]
            name = f"{particle}{name}" if particle.endswith("'") else f"{particle} {name}"
        return name

    def _given_names(self, female: bool) -> str:
        rng = self.rng
        simple = ref.GIVEN_NAMES_F if female else ref.GIVEN_NAMES_M
        compound = ref.COMPOUND_F if female else ref.COMPOUND_M
        first = (
            compound[int(rng.random() * len(compound))]
            if rng.random() < 0.12
            else simple[int(rng.random() * len(simple))]
        )
        names = [first]
        for _ in range((0, 1, 1, 2)[int(rng.random() * 4)]):
            name = simple[int(rng.random() * len(simple))]
            if name not in names:
                names.append(name)
        return " ".join(names)

    def _start_date(self, birth: datetime.date) -> datetime.date:
        earliest = birth.replace(day=1) + datetime.timedelta(days=365 * 22)
        span = max(1, (self.today - earliest).days)
        return earliest + datetime.timedelta(days=int(self.rng.random() * span))

    def _activity_target(
        self, batch: Batch, pools, prof: str, spec: ProfessionSpec, mode: str, rpps: str, commune, rank: int
    ) -> tuple[int, str, str]:
        """(structure id, function code, pharmacist section) for one situation."""
        rng = self.rng
        if mode == "L":
            if prof == "21":
                return pools["pharmacy"].pick(rng), "FON-03", "A"
            if prof in ("28", "26") or (self.companies and rng.random() < 0.05):
                return self.companies[int(rng.random() * len(self.companies))], "FON-02", ""
            if self.cabinets and rng.random() < 0.3:
                return self.cabinets[int(rng.random() * len(self.cabinets))], "FON-17", ""
            rang = f"{rank:03d}"  # the person's n-th cabinet
            sector = "SA07" if rng.random() < 0.7 else "SA08"
            sid = self._structure_row(
                batch, name=f"CABINET {self._family_name()}", sector=sector, rpps_rang=rpps + rang, commune=commune
            )
            self.cabinets.append(sid)
            return sid, "FON-01", ""
        kinds, cum = self.salaried_cum[prof]
        kind = kinds[bisect.bisect_left(cum, rng.random() * cum[-1])]
        if kind == "company":
            return self.companies[int(rng.random() * len(self.companies))], "", ""
        section = ""
        if prof == "21":
            section = {"pharmacy": "D", "hospital": "H", "lab": "G"}[kind]
        return pools[kind].pick(rng), "", section

    def _person(self, batch: Batch, pools, index: int) -> None:
        rng = self.rng
        now = self.now
        rows = batch.rows
        prof = self.prof_codes[bisect.bisect_left(self.prof_cum, rng.random() * self.prof_cum[-1])]
        spec = PROFESSIONS[prof]
        female = rng.random() < spec.female
        pid = self._id(Person)
        rpps = identifiers.rpps_from_body(SYNTHETIC_RPPS_FIRST_BODY + index)
        birth_name = self._family_name()
        given = self._given_names(female)
        usage = self._family_name() if female and rng.random() < 0.3 else ""
        age_days = 22 * 365 + int(rng.random() * (67 * 365 - 22 * 365))
        birth = self.today - datetime.timedelta(days=age_days)
        if rng.random() < 0.1:
            country, city_abroad = ref.COUNTRIES_ABROAD[int(rng.random() * len(ref.COUNTRIES_ABROAD))]
            birth_place, nationality = country, country if rng.random() < 0.5 else "99100"
        else:
            birth_place, city_abroad, nationality = self._commune()[0], "", "99100"
        first = given.split(" ")[0]
        slug = f"{_ascii_slug(first)}.{_ascii_slug(usage or birth_name)}"
        email = f"{slug}{index % 1000}@example.org" if rng.random() < 0.7 else ""
        phone = f"06{int(rng.random() * 10**8):08d}" if rng.random() < 0.6 else ""
        rows[Person].append(
            (
                pid,
                rpps,
                "MME" if female else "M",
                "F" if female else "M",
                birth_name,
                given,
                usage,
                self._d(birth),
                birth_place,
                city_abroad,
                nationality,
                email,
                phone,
                now,
                now,
            )
        )
        eid, category = self._exercise(rows, pid, prof, spec, usage or birth_name, first)
        self._qualifications(rows, eid, prof, spec, birth, birth_place)
        open_count = self._situations(batch, pools, eid, prof, spec, rpps, birth)
        self._contacts(rows, pid, rpps, prof, spec, category, slug, index)
        rows[ChangeRecord].append(
            history.change_row(
                self._id(ChangeRecord),
                now,
                ACTOR,
                self.reason,
                "create",
                "registry.person",
                pid,
                pid,
                after={"rpps": rpps, "profession_code": prof, "situations": open_count},
            )
        )

    # The parts of a person, drawn in this order (the seed gives the same population every time).

    def _exercise(self, rows, pid, prof, spec, last_name, first_name) -> tuple[int, str]:
        rng, now = self.rng, self.now
        category = "E" if rng.random() < 0.02 else ("M" if rng.random() < 0.15 else "C")
        civility = ("PR" if rng.random() < 0.03 else "DR") if rng.random() < spec.dr_share else ""
        eid = self._id(Exercise)
        rows[Exercise].append((eid, pid, prof, category, civility, last_name, first_name, spec.authority, now, now))
        if prof == "10":
            code = self.spec_codes[bisect.bisect_left(self.spec_cum, rng.random() * self.spec_cum[-1])]
        elif prof == "40" and rng.random() < 0.1:
            code = DENTAL_SPECIALTIES[int(rng.random() * len(DENTAL_SPECIALTIES))]
        elif prof == "60" and rng.random() < 0.02:
            code = IPA_SPECIALTIES[int(rng.random() * len(IPA_SPECIALTIES))]
        else:
            code = None
        if code is not None:
            rows[Expertise].append((self._id(Expertise), eid, "S", code, now, now))
        return eid, category

    def _qualifications(self, rows, eid, prof, spec, birth, birth_place) -> None:
        """The diploma, and an authorisation to practise for a diploma obtained abroad."""
        rng, now = self.rng, self.now
        diploma_year = min(birth.year + (21 + int(rng.random() * (27 - 21 + 1))), self.today.year)
        diploma_type = "DE" if spec.diploma.startswith("DE ") else "AU"
        abroad_diploma = birth_place.startswith("99") and rng.random() < 0.5
        number = f"{int(rng.random() * 10**9):09d}"
        obtained = datetime.date(diploma_year, 6 + int(rng.random() * 4), 1 + int(rng.random() * 28))
        rows[Diploma].append(
            (
                self._id(Diploma),
                eid,
                "DEEE" if abroad_diploma else diploma_type,
                "",
                spec.diploma,
                number,
                self._d(obtained),
                self._commune()[2],
                now,
                now,
            )
        )
        if abroad_diploma:
            rows[Authorization].append(
                (
                    self._id(Authorization),
                    eid,
                    "AM01",
                    "",
                    "",
                    f"AE{int(rng.random() * 10**6):06d}",
                    self._d(datetime.date(diploma_year, 10, 1)),
                    now,
                    now,
                )
            )

    def _situations(self, batch, pools, eid, prof, spec, rpps, birth) -> int:
        """Most people have one open situation, some several, a few none; some a closed one too.
        Returns the number open."""
        rng, now = self.rng, self.now
        draw = rng.random()
        open_count = 0 if draw < 0.06 else 1 if draw < 0.90 else 2 if draw < 0.98 else 3
        home = self._commune()
        role = ""
        if prof == "99":
            role = self.role_codes[bisect.bisect_left(self.role_cum, rng.random() * self.role_cum[-1])]
        modes, mode_cum = self.mode_cum[prof]
        opened = set()  # one open situation per (structure, mode, function, genre, role), as the registry requires
        written_open = 0
        for n in range(open_count + (1 if rng.random() < 0.05 else 0)):
            closed = n >= open_count
            mode = modes[bisect.bisect_left(mode_cum, rng.random() * mode_cum[-1])]
            if prof == "99" and role == "317":
                structure, function, section = pools["pharmacy"].pick(rng), "", ""
            else:
                structure, function, section = self._activity_target(batch, pools, prof, spec, mode, rpps, home, n + 1)
            start = self._start_date(birth)
            end, reason = None, ""
            if closed:
                end = start + datetime.timedelta(days=30 + int(rng.random() * 2970))
                end = max(min(end, self.today - datetime.timedelta(days=1)), start)
                reason = END_REASONS[int(rng.random() * len(END_REASONS))]
            genre = ("GENR10" if role in SOCIAL_ROLES else "GENR01") if prof in ("99", "41") else "GENR01"
            if not closed:
                if (structure, mode, function, genre, role) in opened:
                    continue  # the same situation drawn twice: one is enough
                opened.add((structure, mode, function, genre, role))
                written_open += 1
            # "": the registration authority of the situation is the exercise's
            batch.rows[Activity].append(
                (
                    self._id(Activity),
                    eid,
                    structure,
                    mode,
                    function,
                    genre,
                    role,
                    section,
                    self._d(start),
                    self._d(end),
                    reason,
                    "",
                    now,
                    now,
                )
            )
        return written_open

    def _contacts(self, rows, pid, rpps, prof, spec, category, slug, index) -> None:
        """An MSSanté mailbox and a CPS/CPF card, for the shares of the profession that have them."""
        rng, now = self.rng, self.now
        if rng.random() < spec.mailbox_share:
            domain = {"10": "medecin", "21": "pharmacien", "40": "chirurgien-dentiste"}.get(prof, "pro")
            demat = self.true if rng.random() < 0.8 else self.false
            red_list = self.true if rng.random() < 0.03 else self.false
            rows[Mailbox].append(
                (
                    self._id(Mailbox),
                    f"{slug}.{index}@{domain}.mssante.fr",
                    "PER",
                    pid,
                    None,
                    "",
                    demat,
                    red_list,
                    now,
                    now,
                )
            )
        if rng.random() < spec.card_share:
            self.card_seq += 1
            valid_from = self.today - datetime.timedelta(days=1 + int(rng.random() * (3 * 365 - 1)))
            card_type = "CPF" if category == "E" else "CPS"
            opposition = valid_from + datetime.timedelta(days=30) if rng.random() < 0.01 else None
            rows[Card].append(
                (
                    self._id(Card),
                    pid,
                    card_type,
                    f"{8_000_000_000 + self.card_seq:010d}",
                    "8" + rpps,
                    self._d(valid_from),
                    self._d(valid_from + datetime.timedelta(days=3 * 365)),
                    self._d(opposition),
                    now,
                    now,
                )
            )

    def batches(self):
        """Yield Batch objects; the first one also holds the fixed structures."""
        batch = Batch()
        pools = self.build_fixed_structures(batch)
        for index in range(self.persons):
            self._person(batch, pools, index)
            batch.persons += 1
            if batch.persons >= self.batch_size:
                yield batch
                batch = Batch()
        if batch.persons or any(batch.rows.values()):
            yield batch
