"""Per-trait comparison of a request with one candidate, and the decision rule.

Every decision is explained trait by trait: agree / close / differ / unknown, with a note saying
why a trait is only close (typo, usage name, swapped day and month…).
"""

import datetime
from dataclasses import dataclass, field

from rapidfuzz.distance import OSA, Levenshtein
from rapidfuzz.fuzz import ratio

from rpps.nomenclatures import cog
from rpps.registry.identifiers import close_birth_places, is_born_abroad, same_birth_place

from .normalize import phonetic_of_normalized
from .traits import Traits

AGREE, CLOSE, DIFFER, UNKNOWN = "agree", "close", "differ", "unknown"
STATE_LABELS = {AGREE: "concorde", CLOSE: "proche", DIFFER: "diffère", UNKNOWN: "inconnu"}
MATCH, POSSIBLE, NO_MATCH = "MATCH", "POSSIBLE", "NO_MATCH"

TYPO_RATIO = 85  # rapidfuzz ratio (0–100) above which two names are one typo apart


def is_typo(a: str, b: str) -> bool:
    """One slip of the keyboard: a letter changed, missing, added or two neighbours swapped (two for long names)."""
    allowed = 2 if min(len(a), len(b)) >= 9 else 1
    return OSA.distance(a, b, score_cutoff=allowed) <= allowed or ratio(a, b) >= TYPO_RATIO


@dataclass(frozen=True)
class Candidate:
    """A row of the identity index."""

    person_id: int
    birth_name: str
    usage_name: str
    given_names: str
    name_phonetic: str
    usage_phonetic: str
    given_phonetic: str
    sex: str
    birth_date: datetime.date
    birth_place: str
    first_given_name: str = ""  # as written, a compound whole


@dataclass
class TraitResult:
    state: str
    note: str = ""
    # A weak "close": the given names only overlap (first given names differ, or partial and misspelt),
    # which is also how twins and namesakes look. Never enough for a MATCH on its own.
    weak: bool = False
    # Given names agree on a list of several names, which identifies far better than one.
    several: bool = False
    # The request gives several given names (set by compare): a near miss on them still leaves a list
    # that identifies, where a single given name partly matched fits every namesake born that day.
    asked_several: bool = False

    def as_dict(self) -> dict:
        return {"etat": self.state, "note": self.note} if self.note else {"etat": self.state}


@dataclass
class Comparison:
    candidate: Candidate
    traits: dict[str, TraitResult] = field(default_factory=dict)
    decision: str = NO_MATCH

    @property
    def score(self) -> float:
        weights = {AGREE: 2.0, CLOSE: 1.0, UNKNOWN: 0.5, DIFFER: 0.0}
        return sum(weights[t.state] for t in self.traits.values())


# Letters a scanner or a hurried typist reads for others, folded to one spelling for comparison only
# (digits in a request are read as their look-alike letters before: normalize.misread_digits).
_MISREADINGS = (("RN", "M"), ("VV", "W"), ("CL", "D"), ("I", "L"))


def misread_fold(name: str) -> str:
    for seen, meant in _MISREADINGS:
        name = name.replace(seen, meant)
    return name


def _name_close(request: str, request_phonetic: str, known: str, known_phonetic: str) -> str:
    """Why two different surnames may still be one (empty when they may not)."""
    if request.replace(" ", "") == known.replace(" ", ""):
        return "nom composé attaché ou séparé"
    if misread_fold(request) == misread_fold(known):
        return "caractères mal lus (rn/m, l/I…)"
    request_tokens, known_tokens = set(request.split()), set(known.split())
    if request_tokens <= known_tokens or known_tokens <= request_tokens:
        return "partie d'un nom composé"
    if is_typo(request, known):
        return "faute de frappe"
    if request_phonetic and request_phonetic == known_phonetic:
        return "même prononciation (translittération)"
    return ""


def compare_name(traits: Traits, request_phonetic: str, c: Candidate) -> TraitResult:
    if traits.birth_name == c.birth_name:
        return TraitResult(AGREE)
    if c.usage_name and traits.birth_name == c.usage_name:
        return TraitResult(CLOSE, "nom d'usage à la place du nom de naissance")
    for known, known_phonetic in ((c.birth_name, c.name_phonetic), (c.usage_name, c.usage_phonetic)):
        if known and (note := _name_close(traits.birth_name, request_phonetic, known, known_phonetic)):
            return TraitResult(CLOSE, note)
    for known in (c.birth_name, c.usage_name):
        long_enough = min(len(known), len(traits.birth_name)) >= TWO_SLIPS_LENGTH
        if long_enough and OSA.distance(traits.birth_name, known, score_cutoff=2) <= 2:
            return TraitResult(CLOSE, TWO_SLIPS, weak=True)
    return TraitResult(DIFFER)


# A surname of six letters or more two slips away (SERNREY / SENREI): the same name typed twice wrong, only
# where everything else agrees down to the birth commune (decide); shorter names two letters apart are
# other names (MARTIN / MARTEL is a slip of one, MOREL / MOREAU another family).
TWO_SLIPS_LENGTH = 6
TWO_SLIPS = "deux fautes de frappe"


def _same_given(a: str, b: str) -> bool:
    return a == b or is_typo(a, b) or phonetic_of_normalized(a) == phonetic_of_normalized(b)


def _other_form(a: str, b: str) -> bool:
    """Two given names that differ only in how they end — one or two letters added (LEO / LEON, NOE / NOEL,
    DENIS / DENISE, JEAN / JEANNE) or the last letter changed (SOPHIA / SOPHIE): the way distinct first
    names differ (twins are named so) more than the way typing errs (ELODE, AURELEI: a letter dropped or
    swapped inside the name)."""
    if a == b:
        return False
    short, long_ = sorted((a, b), key=len)
    if len(short) < 2:
        return False
    if long_.startswith(short):
        return len(long_) - len(short) <= 2
    return len(a) == len(b) and a[:-1] == b[:-1]


def _aligned(shorter: list[str], longer: list[str]) -> list[tuple[str, str]] | None:
    """Each given name of the shorter list is, or nearly is, a different given name of the longer one: the
    pairs (exact names first), or None."""
    unused = list(longer)
    pairs = []
    for name in sorted(shorter, key=lambda n: n not in unused):
        match = next((i for i, other in enumerate(unused) if name == other), None)
        if match is None:
            match = next((i for i, other in enumerate(unused) if _same_given(name, other)), None)
        if match is None:
            return None
        pairs.append((name, unused.pop(match)))
    return pairs


def _abbreviated(short: list[str], full: list[str]) -> bool:
    """Given names written short: each short token is an initial or the start of the next full names, in
    order (MH for MARIE HELENE, ANNE SO for ANNE SOPHIE, MOHAMED Y for MOHAMED YANIS); names may be left
    out at the end."""
    i = 0
    for token in short:
        if i < len(full) and (full[i] == token or (len(token) >= 2 and full[i].startswith(token) and token != full[i])):
            i += 1
            continue
        # a run of initials, one per name (MH = MARIE HELENE), or a lone initial (Y)
        if len(token) <= 4 and i + len(token) <= len(full) and all(full[i + k][0] == ch for k, ch in enumerate(token)):
            i += len(token)
            continue
        return False
    return True


def compare_given(traits: Traits, c: Candidate, *, named: bool = False) -> TraitResult:
    """``named``: the request's first given name is carried by several other persons (a name, not only a
    slip)."""
    if traits.given_names == c.given_names:
        # Several identical given names identify far better than one (MARTIN Marie has many namesakes).
        # A hyphen dropped or added (Marie Hélène / Marie-Hélène) leaves the list as it is: it agrees.
        return TraitResult(AGREE, several=" " in c.given_names)
    if (
        traits.first_given_name
        and c.first_given_name
        and traits.first_given_name != c.first_given_name
        and (
            c.first_given_name.startswith(traits.first_given_name + " ")
            or traits.first_given_name.startswith(c.first_given_name + " ")
        )
    ):
        # ROSE against ROSE-MARIE: a simple first name and a compound one are two names (twins are named
        # so). A form shortens a compound (the record's ROSE-MARIE typed ROSE): for a human to tell. It does
        # not lengthen one: a request's ROSE-MARIE against a recorded ROSE is another first given name.
        if traits.first_given_name.startswith(c.first_given_name + " "):
            return TraitResult(DIFFER, COMPOUND_ADDED)
        return TraitResult(CLOSE, "prénom simple ou composé (prénom abrégé, ou jumeaux ?)", weak=True)
    request, known = traits.given_names.split(), c.given_names.split()
    if sorted(request) == sorted(known):
        return TraitResult(CLOSE, "prénoms dans un autre ordre")
    if "".join(request) == "".join(known):
        return TraitResult(CLOSE, "prénom composé attaché ou séparé")
    if set(request) <= set(known) or set(known) <= set(request):
        # INS: the first given name must start the list; a list that only contains it is weaker. Names
        # usually go missing from the end (only the first ones typed); one missing from the middle
        # (ROSE LEA / ROSE MARIE LEA) is how a twin's names differ: weak too.
        shorter, longer = sorted((request, known), key=len)
        dropped_from_end = longer[: len(shorter)] == shorter
        return TraitResult(CLOSE, "prénoms en partie absents", weak=request[0] != known[0] or not dropped_from_end)
    shorter, longer = sorted((request, known), key=len)
    if (pairs := _aligned(shorter, longer)) is not None:
        # Names out of order or some missing, and a letter slipped in one of them: a typo of the same person
        # when the slip is not how two names differ (LEO / LEON) and the request's first given name is
        # written as one of the record's or is no name others carry (as for a slip in order, below);
        # else for a human.
        slip_only = (request[0] in known or not named) and not any(_other_form(a, b) for a, b in pairs)
        if len(shorter) < len(longer):
            return TraitResult(CLOSE, "prénoms en partie absents, faute de frappe", weak=not slip_only)
        if all(_same_given(a, b) for a, b in zip(request, known, strict=True)):
            other_name = request[0] != known[0] and named
            if other_name or any(_other_form(a, b) for a, b in zip(request, known, strict=True)):
                # never enough for a MATCH: a human tells a typo from a twin (a false merge is the worst
                # fault). A first given name that several others carry is a name of its own, not only a
                # slip; so is one that differs the way names differ (LEO / LEON), whoever carries it.
                return TraitResult(CLOSE, "prénom voisin (faute de frappe, ou autre prénom : jumeaux ?)", weak=True)
            return TraitResult(CLOSE, "faute de frappe")
        return TraitResult(CLOSE, "prénoms dans un autre ordre, faute de frappe", weak=not slip_only)
    if _abbreviated(request, known):
        # the first given name written in full and only the others short is as good as them left out; the
        # first one itself short (MH, Anne-So.) reads the same for a twin Marie-Hortense or Anne-Solène
        first_short = request[0] != known[0] or traits.first_given_name != c.first_given_name
        if first_short and len(traits.first_given_name) == 1:
            return TraitResult(CLOSE, LONE_INITIAL, weak=True)
        known_parts = c.first_given_name.split()
        cut = [part for i, part in enumerate(traits.first_given_name.split()) if known_parts[i : i + 1] != [part]]
        if first_short and any(len(part) > 2 for part in cut):
            # LUC for LUCAS, MARIE-HEL for MARIE-HELENE: a name of its own as often as a name cut short
            return TraitResult(CLOSE, TRUNCATED, weak=True)
        return TraitResult(CLOSE, ABBREVIATED, weak=first_short)
    if misread_fold(traits.given_names) == misread_fold(c.given_names):
        return TraitResult(CLOSE, "caractères mal lus (rn/m, l/I…)")
    return TraitResult(DIFFER)


COMPOUND_ADDED = "autre premier prénom (prénom composé d'un côté, simple de l'autre : jumeaux ?)"
ABBREVIATED = "prénoms abrégés (initiales)"
LONE_INITIAL = "premier prénom réduit à son initiale"
TRUNCATED = "premier prénom tronqué (ou un autre prénom ?)"


# Same day and month, years this far apart: a parent and a child of the same names more than a slip.
GENERATION_YEARS = 10
OTHER_GENERATION = "autre génération (parent et enfant homonymes ?)"
# One digit of the year's decade typed wrong (1955 / 1975) is also how a parent's and a child's years differ.
DECADE_SLIP = "décennie différente (faute de frappe, ou parent et enfant ?)"
DECADE_TYPO = "décennie mal saisie (l'année demandée ferait une personne de plus de 100 ans ou de moins de 15 ans)"
# The ages at which a person registers as a professional of the health, medico-social or social system:
# beyond them a requested birth year is a keying error, not a person (not a parent or child of one).
PLAUSIBLE_AGES = (15, 100)


def plausible_birth_year(year: int) -> bool:
    youngest, oldest = PLAUSIBLE_AGES
    this_year = datetime.date.today().year
    return this_year - oldest <= year <= this_year - youngest


def compare_date(request: datetime.date, known: datetime.date) -> TraitResult:
    if request == known:
        return TraitResult(AGREE)
    # ten years apart cannot be a parent and a child: a slip of the decade digit, one digit like any other
    if (request.month, request.day) == (known.month, known.day) and abs(request.year - known.year) > GENERATION_YEARS:
        one_digit = sum(a != b for a, b in zip(f"{request.year:04d}", f"{known.year:04d}", strict=True)) == 1
        if one_digit and not plausible_birth_year(request.year) and plausible_birth_year(known.year):
            # 1905 for 1975: the requested year is nobody's who registers as a professional, so it is no
            # parent's or child's: the decade digit typed wrong, like any other digit
            return TraitResult(CLOSE, DECADE_TYPO)
        return TraitResult(DIFFER, DECADE_SLIP if one_digit else OTHER_GENERATION)
    if request.year == known.year and request.day == known.month and request.month == known.day:
        return TraitResult(CLOSE, "jour et mois inversés")
    if abs((request - known).days) == 1 or (
        (request.month, request.day) == (known.month, known.day) and abs(request.year - known.year) == 1
    ):
        # a day or a year off (a birth around midnight, an age counted wrong): one slip, however many digits
        # it changes (31/12/1979 and 01/01/1980, 1979 and 1980)
        return TraitResult(CLOSE, ONE_OFF)
    # YYYYMMDD as text, without strftime (this runs for every candidate).
    a = str(request.year * 10000 + request.month * 100 + request.day)
    b = str(known.year * 10000 + known.month * 100 + known.day)
    if Levenshtein.distance(a, b, weights=(1, 1, 1)) == 1:
        return TraitResult(CLOSE, "un chiffre diffère")
    diffs = [i for i in range(8) if a[i] != b[i]]
    if len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]:
        return TraitResult(CLOSE, "deux chiffres voisins inversés")
    if request.year == known.year and ((request.month, request.day) == (1, 1) or (known.month, known.day) == (1, 1)):
        side = UNKNOWN_DAY_ASKED if (request.month, request.day) == (1, 1) else UNKNOWN_DAY_KNOWN
        return TraitResult(DIFFER, side + " (convention du 1er janvier)")
    if (request.year, request.month) == (known.year, known.month) and 1 in (request.day, known.day):
        side = UNKNOWN_DAY_ASKED if request.day == 1 else UNKNOWN_DAY_KNOWN
        return TraitResult(DIFFER, side + " (convention du 1er du mois)")
    if len(diffs) == 2:
        return TraitResult(DIFFER, TWO_DIGITS)
    if request.day <= 12 and request.day != request.month:
        swapped = str(request.year * 10000 + request.day * 100 + request.month)
        if Levenshtein.distance(swapped, b, weights=(1, 1, 1)) == 1:
            return TraitResult(DIFFER, TWO_DIGITS)  # day and month swapped, and a digit typed wrong: two slips
    return TraitResult(DIFFER)


ONE_OFF = "un jour ou un an d'écart"
# A date recorded by the convention for an unknown day (1 January, or the 1st of the month) against a
# full date of the same year: still "differ" (never a MATCH), but worth a human's look (POSSIBLE).
UNKNOWN_DAY = "jour de naissance inconnu"
# Which side holds the convention: the request (it knows less than the record), or the record (the
# request brings a day the registry does not have: a human updates the record, or it is someone else).
UNKNOWN_DAY_ASKED = UNKNOWN_DAY + " dans la demande ?"
UNKNOWN_DAY_KNOWN = UNKNOWN_DAY + " au répertoire ?"
# Two digits of the date typed wrong: a date mistyped twice, at most (three digits apart is another date).
TWO_DIGITS = "deux chiffres diffèrent"


def compare(
    traits: Traits,
    request_phonetic: str,
    c: Candidate,
    *,
    common: bool = False,
    named: bool = False,
) -> Comparison:
    """``common``: the request's surname and first given name are carried by many people in the registry;
    ``named``: its first given name by several (compare_given)."""
    result = Comparison(c)
    result.traits["nom"] = compare_name(traits, request_phonetic, c)
    result.traits["prenoms"] = compare_given(traits, c, named=named)
    result.traits["prenoms"].asked_several = " " in traits.given_names
    result.traits["sexe"] = TraitResult(AGREE if traits.sex == c.sex else DIFFER)
    result.traits["date_naissance"] = compare_date(traits.birth_date, c.birth_date)
    if not traits.birth_place or not c.birth_place:
        result.traits["lieu_naissance"] = TraitResult(UNKNOWN, "non renseigné")
    elif traits.birth_place == c.birth_place:
        result.traits["lieu_naissance"] = TraitResult(AGREE)
    elif same_birth_place(traits.birth_place, c.birth_place):
        result.traits["lieu_naissance"] = TraitResult(
            AGREE, "même lieu sous un autre code (arrondissement, commune fusionnée, Corse avant 1976)"
        )
    elif close_birth_places(traits.birth_place, c.birth_place):
        note = (
            "pays de la même zone (pays renommé ou scindé ?)"
            if traits.birth_place.startswith("99")
            else ("commune voisine (même arrondissement)")
        )
        result.traits["lieu_naissance"] = TraitResult(CLOSE, note)
    else:
        far = far_birth_places(traits.birth_place, c.birth_place, min(traits.birth_date, c.birth_date).year)
        result.traits["lieu_naissance"] = TraitResult(DIFFER, FAR_PLACE if far else "")
    result.decision = decide(result.traits, traits.birth_date, c.birth_date, common=common)
    return result


FAR_PLACE = "né ailleurs (autre département ou autre pays, pas une faute de frappe du code)"


# France against a country: how a birth in a territory that was French at the time gets written (a
# commune of French Algeria, or the country of today). By INSEE zone, the last year such a birth was
# French: Africa (Algeria 1962, the protectorates and colonies about 1956-1962), Asia (Indochina, 1954).
# The Americas and Oceania stay possible at any date (overseas territories written as countries);
# Europe never: a birth in Spain is not a birth in France.
FRENCH_UNTIL = {"993": 1962, "992": 1954, "994": 9999, "995": 9999}


def far_birth_places(a: str, b: str, year: int | None = None) -> bool:
    """Two birth places no slip explains: French communes of two departments (or countries of two zones)
    whose codes are not one keystroke apart, or France and a country that was not French territory in
    ``year`` (the earlier birth year of the two records). A commune of the same department is how a
    birth gets declared where the family lived rather than at the maternity: not "far"."""
    if is_born_abroad(a) != is_born_abroad(b):
        abroad = a if is_born_abroad(a) else b
        return year is not None and year > FRENCH_UNTIL.get(abroad[:3], 0)
    differing = [i for i in range(min(len(a), len(b))) if a[i] != b[i]]
    slip = len(differing) == 1 or (
        len(differing) == 2 and differing[1] == differing[0] + 1 and a[differing[0]] == b[differing[1]]
    )
    if slip:
        return False
    if is_born_abroad(a):
        return not cog.same_zone(a, b)
    here, there = cog.current_commune(a), cog.current_commune(b)
    return here is not None and there is not None and here.department != there.department


def decide(
    t: dict[str, TraitResult], request_date: datetime.date, known_date: datetime.date, *, common: bool = False
) -> str:
    """The decision for one candidate. MATCH needs agreeing sex and date and at most one near miss.

    With a common name (``common``), agreeing names prove less: a near miss on the given names then
    needs the birth commune to agree, and a date one slip away needs several identical given names.
    """
    n, p, s, d, place = (t[k].state for k in ("nom", "prenoms", "sexe", "date_naissance", "lieu_naissance"))
    if place == CLOSE:
        # A neighbouring commune (or a country of the same zone) tells more than no place at all, less than
        # the same one: a MATCH on everything else exact, as with no place; never where the place must agree.
        place = UNKNOWN
    if t["nom"].weak and not (p == AGREE and d == AGREE and place == AGREE):
        n = DIFFER  # a surname two slips away says something only with everything else exact
    sure = _sure(t, n, p, s, d, place, common)
    if sure:
        return sure
    return POSSIBLE if _worth_review(t, n, p, s, d, place, common, request_date, known_date) else NO_MATCH


def _sure(t: dict[str, TraitResult], n: str, p: str, s: str, d: str, place: str, common: bool) -> str | None:
    """MATCH where the traits leave no doubt; POSSIBLE where they nearly do (a near miss too many)."""
    common_date = common and not t["prenoms"].several
    names_ok = n in (AGREE, CLOSE) and p in (AGREE, CLOSE)
    near_misses = (n == CLOSE) + (p == CLOSE)
    given_strong = p == AGREE or (p == CLOSE and not t["prenoms"].weak and (not common or place == AGREE))
    if s == AGREE and d == AGREE and names_ok and given_strong and place in (AGREE, UNKNOWN):
        # Two near misses need the birth place to agree. One near miss is enough without it: on the given
        # names it is a strong one (given_strong: not how twins' or namesakes' names differ, a first given
        # name few others carry, a name few carry) on a list of several (one given name partly matched
        # fits any namesake born that day), and a birth place would not tell twins apart anyway.
        if near_misses == 0 or place == AGREE or (near_misses == 1 and (n == CLOSE or t["prenoms"].asked_several)):
            return MATCH
        return POSSIBLE
    exact_but = s == AGREE and n == AGREE and place == AGREE and not common
    day = t["date_naissance"].note
    if exact_but and p == AGREE and day.startswith(UNKNOWN_DAY_ASKED if not t["prenoms"].several else UNKNOWN_DAY):
        # a birth day unknown on one side (recorded as the 1st), and nothing else differs down to the given
        # names and the commune of a name few carry: a namesake of the same year and commune is rarer
        # than an unknown day (twins share the day, so this cannot merge them). With a single given name,
        # only a request that knows less than the record: one that brings a day the record lacks is a
        # namesake as often, and the record needs a human anyway.
        return MATCH
    if exact_but and d == AGREE and t["prenoms"].note in (ABBREVIATED, LONE_INITIAL):
        # given names written short (MH for Marie-Hélène, Anne-So.), everything else exact down to the
        # commune, a name few carry; two records it fits (twins Marie-Hélène and Marie-Hortense, both
        # registered) go to a human anyway (resolver: two MATCHes are a POSSIBLE)
        return MATCH
    if s == AGREE and d == CLOSE and not common_date:
        # A date typed wrong, with a surname slip or a near miss on the given names but not both,
        # down to the same birth commune; or with several identical given names and no commune to compare.
        if place == AGREE and given_strong and n in (AGREE, CLOSE) and near_misses <= 1:
            return MATCH
        if place == UNKNOWN and n == AGREE and p == AGREE and t["prenoms"].several:
            return MATCH
    return None


def _worth_review(
    t: dict[str, TraitResult],
    n: str,
    p: str,
    s: str,
    d: str,
    place: str,
    common: bool,
    request_date: datetime.date,
    known_date: datetime.date,
) -> bool:
    """Whether a person should compare the two records: each rule is a way one person's records differ."""
    if place == DIFFER and t["lieu_naissance"].note == FAR_PLACE:
        return False  # born elsewhere, and no slip of the code explains it: another person (INS traits)
    names_ok = n in (AGREE, CLOSE) and p in (AGREE, CLOSE)
    swapped = t["date_naissance"].note == "jour et mois inversés"
    if common and place == DIFFER and p != AGREE:
        return False  # a common name, given names that only overlap, another birth commune
    if s == AGREE and names_ok and (d == AGREE or swapped):
        return True
    if s == AGREE and names_ok and d == CLOSE and (place == AGREE or (n == AGREE and p == AGREE and place == UNKNOWN)):
        # A date one slip away is common among homonyms: it needs the birth place, or identical names
        # with no place to compare.
        return True
    if s == AGREE and d == AGREE and p == AGREE and place == AGREE and n == DIFFER:
        return True  # a change of name (marriage) not known to the registry
    mistyped_twice = t["date_naissance"].note == TWO_DIGITS
    if s == AGREE and n == AGREE and t["prenoms"].several and place == AGREE and mistyped_twice and not common:
        return True  # a rare name, several identical given names, the same birth commune: a date mistyped twice
    if s == DIFFER and n == AGREE and p == AGREE and d == AGREE:
        return True  # sex typed wrong
    if s == AGREE and names_ok and place in (AGREE, UNKNOWN) and t["date_naissance"].note == DECADE_SLIP:
        return True  # the year's decade mistyped, or a parent and a child: a human tells
    if s == AGREE and names_ok and place in (AGREE, UNKNOWN) and t["date_naissance"].note.startswith(UNKNOWN_DAY):
        return True  # a birth day unknown on one side, recorded as the 1st
    same_month = (request_date.year, request_date.month) == (known_date.year, known_date.month)
    return s == AGREE and names_ok and place == AGREE and same_month  # the day badly typed


def explain(comparison: Comparison) -> str:
    """One line in French: each trait's state, with its note."""
    labels = {
        "nom": "nom",
        "prenoms": "prénoms",
        "sexe": "sexe",
        "date_naissance": "date de naissance",
        "lieu_naissance": "lieu de naissance",
    }
    parts = []
    for key, label in labels.items():
        trait = comparison.traits[key]
        text = f"{label} : {STATE_LABELS[trait.state]}"
        parts.append(f"{text} ({trait.note})" if trait.note else text)
    return ", ".join(parts)
