"""Identifier rules of the directory, as pure functions: the one place every check goes through.

Evidence for every rule: shared/docs/reference/formats.md §8. Validation functions return the
normalised value or raise InvalidIdentifier with a French message meant for the user.
"""

import re
import unicodedata
from dataclasses import dataclass

from rpps.nomenclatures import cog


class InvalidIdentifier(ValueError):
    """The value is not a well-formed identifier; ``str(exc)`` is a French message for the user."""


def ascii_digits(value: str) -> bool:
    """Only the ASCII digits 0–9 (str.isdigit also takes ², ١ and other Unicode digits, which int() reads
    or refuses): the one test of "a number" for identifiers and parameters."""
    return value.isascii() and value.isdigit()


# Each digit doubled, its two digits summed ("5" -> 10 -> "1"), as a byte table: bytes.translate and
# sum() run in C, and every line of a national file checks a number (millions of calls).
_DOUBLED = bytes.maketrans(b"0123456789", b"0246813579")


def luhn_sum(digits: str) -> int:
    """Luhn sum of ASCII digits, with the rightmost digit at position 1 (not doubled)."""
    backwards = digits.encode("ascii")[::-1]
    return sum(backwards[::2]) + sum(backwards[1::2].translate(_DOUBLED)) - ord("0") * len(backwards)


def luhn_is_valid(digits: str) -> bool:
    return bool(digits) and ascii_digits(digits) and luhn_sum(digits) % 10 == 0


def luhn_check_digit(body: str) -> str:
    """The digit to append to ``body`` so that the whole number passes Luhn."""
    if not ascii_digits(body):
        raise InvalidIdentifier("Le corps d'un numéro à clé de Luhn ne doit contenir que des chiffres.")
    return str((10 - luhn_sum(body + "0") % 10) % 10)


def _clean(value: str) -> str:
    # Users paste numbers with spaces ("101 002 713 85"); nothing else is tolerated.
    return (value or "").replace(" ", "").strip()


# --- Persons ---------------------------------------------------------------------------------


def validate_rpps(value: str) -> str:
    value = _clean(value)
    if len(value) != 11 or not ascii_digits(value):
        raise InvalidIdentifier("Le numéro RPPS doit comporter exactement 11 chiffres.")
    if not luhn_is_valid(value):
        raise InvalidIdentifier("Le numéro RPPS est invalide : sa clé de contrôle (dernier chiffre) est fausse.")
    return value


def rpps_from_body(body: int | str) -> str:
    """The RPPS number whose first ten digits are ``body``."""
    body = str(body)
    if len(body) != 10 or not ascii_digits(body):
        raise InvalidIdentifier("Le corps d'un numéro RPPS doit comporter 10 chiffres.")
    return body + luhn_check_digit(body)


def validate_adeli(value: str) -> str:
    # Key rule inferred from the known samples (formats.md §8.3): Luhn over the 9 digits.
    value = _clean(value)
    if len(value) != 9 or not ascii_digits(value):
        raise InvalidIdentifier("Le numéro ADELI doit comporter exactement 9 chiffres.")
    if not luhn_is_valid(value):
        raise InvalidIdentifier("Le numéro ADELI est invalide : sa clé de contrôle (dernier chiffre) est fausse.")
    return value


IDNPS_RPPS_PREFIX = "8"
IDNPS_ADELI_PREFIX = "0"


@dataclass(frozen=True)
class Idnps:
    kind: str  # "RPPS" or "ADELI"
    number: str

    @property
    def value(self) -> str:
        return (IDNPS_RPPS_PREFIX if self.kind == "RPPS" else IDNPS_ADELI_PREFIX) + self.number


def parse_idnps(value: str) -> Idnps:
    """`8`+RPPS (12 characters) or `0`+ADELI (10 characters); the key is checked on the inner number."""
    value = _clean(value)
    if len(value) == 12 and value.startswith(IDNPS_RPPS_PREFIX):
        return Idnps("RPPS", validate_rpps(value[1:]))
    if len(value) == 10 and value.startswith(IDNPS_ADELI_PREFIX):
        return Idnps("ADELI", validate_adeli(value[1:]))
    raise InvalidIdentifier(
        "L'identifiant national (IDNPS) doit être « 8 » suivi du numéro RPPS (12 caractères) "
        "ou « 0 » suivi du numéro ADELI (10 caractères)."
    )


@dataclass(frozen=True)
class NationalId:
    """The national identifier of a card or e-CPS holder, as Pro Santé Connect sends it."""

    kind: str  # "RPPS", "ADELI", "FINESS" or "SIRET"
    number: str  # the inner RPPS, ADELI, FINESS or SIRET number
    value: str


def parse_national_id(value: str) -> NationalId:
    """`8`+RPPS, `0`+ADELI, `3`+FINESS+serial or `5`+SIRET+serial (reference/portal.md §0, PMH-DEL).

    Structure-issued identities (directors' and employees' cards) carry a free serial after the
    structure number: only the structure number's format and key are checked.
    """
    value = _clean(value).upper()
    if value[:1] in {IDNPS_RPPS_PREFIX, IDNPS_ADELI_PREFIX}:
        idnps = parse_idnps(value)
        return NationalId(idnps.kind, idnps.number, value)
    if value.startswith("3") and len(value) > 10 and value[10:].isalnum():
        return NationalId("FINESS", validate_finess(value[1:10]), value)
    if value.startswith("5") and len(value) > 15 and value[15:].isalnum():
        return NationalId("SIRET", validate_siret(value[1:15]), value)
    raise InvalidIdentifier(
        "L'identifiant national doit être « 8 » suivi du numéro RPPS, « 3 » suivi du FINESS et d'un numéro "
        "d'ordre, ou « 5 » suivi du SIRET et d'un numéro d'ordre."
    )


# --- Structures ------------------------------------------------------------------------------

_FINESS_RE = re.compile(r"^(?:\d{2}|2[AB])\d{7}$")


def validate_finess(value: str) -> str:
    """9 characters: department (2 digits, or 2A/2B for Corsica) + 6-digit sequence + key.

    The key is Luhn over the 9 digits (formats.md §8.5). For Corsica no key rule is known, so only
    the format is checked there.
    """
    value = _clean(value).upper()
    if not _FINESS_RE.match(value):
        raise InvalidIdentifier(
            "Le numéro FINESS doit comporter 9 caractères : 9 chiffres, ou 2A/2B suivi de 7 chiffres pour la Corse."
        )
    if value[:2] in {"2A", "2B"}:
        return value
    if not luhn_is_valid(value):
        raise InvalidIdentifier("Le numéro FINESS est invalide : sa clé de contrôle (dernier chiffre) est fausse.")
    return value


LA_POSTE_SIREN = "356000000"


def validate_siren(value: str) -> str:
    value = _clean(value)
    if len(value) != 9 or not ascii_digits(value):
        raise InvalidIdentifier("Le numéro SIREN doit comporter exactement 9 chiffres.")
    if not luhn_is_valid(value):
        raise InvalidIdentifier("Le numéro SIREN est invalide : sa clé de contrôle est fausse.")
    return value


def validate_siret(value: str) -> str:
    value = _clean(value)
    if len(value) != 14 or not ascii_digits(value):
        raise InvalidIdentifier("Le numéro SIRET doit comporter exactement 14 chiffres.")
    if value.startswith(LA_POSTE_SIREN):
        # La Poste's establishments are numbered beyond what Luhn allows: INSEE checks that the sum
        # of the digits is a multiple of 5 instead.
        if sum(int(c) for c in value) % 5 != 0:
            raise InvalidIdentifier("Le numéro SIRET est invalide : sa clé de contrôle est fausse.")
        return value
    if not luhn_is_valid(value[:9]):
        raise InvalidIdentifier("Le numéro SIRET est invalide : ses 9 premiers chiffres (le SIREN) ont une clé fausse.")
    if not luhn_is_valid(value):
        raise InvalidIdentifier("Le numéro SIRET est invalide : sa clé de contrôle est fausse.")
    return value


def validate_rpps_rang(value: str) -> str:
    """RPPS-rang: 14 digits, the RPPS number of the cabinet's professional then a 3-digit rank.

    Only the format is checked: published data hold RPPS-rang ids whose first 11 digits fail the
    RPPS key (e.g. R10100000249227 in formats.md §8.7), so the key cannot be required here.
    """
    value = _clean(value)
    if len(value) != 14 or not ascii_digits(value):
        raise InvalidIdentifier(
            "L'identifiant RPPS-rang doit comporter 14 chiffres (numéro RPPS + rang sur 3 chiffres)."
        )
    return value


# Structure technical ids: a letter then the identifier (current form), or a TRE_G07 digit then the
# identifier (older form, "Ancien identifiant de la structure").
STRUCTURE_KINDS = {
    "FINESS": ("F", "1", validate_finess),
    "SIRET": ("C", "3", validate_siret),
    "RPPS_RANG": ("R", "4", validate_rpps_rang),
}
_KIND_BY_LETTER = {letter: kind for kind, (letter, _, _) in STRUCTURE_KINDS.items()}
_KIND_BY_DIGIT = {digit: kind for kind, (_, digit, _) in STRUCTURE_KINDS.items()}


@dataclass(frozen=True)
class StructureId:
    kind: str  # FINESS, SIRET or RPPS_RANG
    number: str

    @property
    def technical_id(self) -> str:
        return STRUCTURE_KINDS[self.kind][0] + self.number

    @property
    def old_id(self) -> str:
        return STRUCTURE_KINDS[self.kind][1] + self.number


def old_structure_id(technical_id: str) -> str:
    """`F`+FINESS → `1`+FINESS, `C`+SIRET → `3`+SIRET, `R`+RPPS-rang → `4`+RPPS-rang, without checking the
    number again: stored ids were checked when written, and an output must not fail on one loaded as given."""
    kind = _KIND_BY_LETTER.get(technical_id[:1])
    return STRUCTURE_KINDS[kind][1] + technical_id[1:] if kind else ""


def technical_structure_id(old_id: str) -> str:
    """The reverse of ``old_structure_id`` (`1`+FINESS → `F`+FINESS…), without checking the number: a
    search by an old id must find a structure loaded as given. Empty for an unknown type digit."""
    kind = _KIND_BY_DIGIT.get(old_id[:1])
    return STRUCTURE_KINDS[kind][0] + old_id[1:] if kind and len(old_id) > 1 else ""


def structure_id(kind: str, number: str) -> StructureId:
    if kind not in STRUCTURE_KINDS:
        raise InvalidIdentifier(f"Type d'identifiant de structure inconnu : {kind}.")
    return StructureId(kind, STRUCTURE_KINDS[kind][2](number))


def parse_structure_technical_id(value: str) -> StructureId:
    """`F`+FINESS, `C`+SIRET or `R`+RPPS-rang."""
    value = _clean(value).upper()
    kind = _KIND_BY_LETTER.get(value[:1])
    if kind is None:
        raise InvalidIdentifier(
            "L'identifiant technique de structure doit commencer par F (FINESS), C (SIRET) ou R (RPPS-rang)."
        )
    return structure_id(kind, value[1:])


def parse_old_structure_id(value: str) -> StructureId:
    """`1`+FINESS, `3`+SIRET or `4`+RPPS-rang (TRE_G07 type digit + identifier)."""
    value = _clean(value).upper()
    kind = _KIND_BY_DIGIT.get(value[:1])
    if kind is None:
        raise InvalidIdentifier(
            "L'ancien identifiant de structure doit commencer par 1 (FINESS), 3 (SIRET) ou 4 (RPPS-rang)."
        )
    return structure_id(kind, value[1:])


def parse_any_structure_id(value: str) -> StructureId:
    value = _clean(value).upper()
    if value[:1].isdigit():
        return parse_old_structure_id(value)
    return parse_structure_technical_id(value)


# --- Places ----------------------------------------------------------------------------------

_COG_COMMUNE_RE = re.compile(r"^(?:\d{2}|2[AB])\d{3}$")
_COG_COUNTRY_RE = re.compile(r"^99\d{3}$")


def validate_birth_place_code(value: str) -> str:
    """A commune code of the COG, current or former (2A/2B, or 20 before 1976, for Corsica), or an INSEE
    country code (99xxx)."""
    value = _clean(value).upper()
    if not (_COG_COMMUNE_RE.match(value) or _COG_COUNTRY_RE.match(value)):
        raise InvalidIdentifier(
            "Le lieu de naissance doit être un code commune INSEE (5 caractères, ex. 75056 ou 2A004) "
            "ou un code pays INSEE pour une naissance à l'étranger (99 suivi de 3 chiffres, ex. 99134)."
        )
    if not _COG_COUNTRY_RE.match(value) and not cog.exists(value):
        raise InvalidIdentifier(
            f"Le code commune « {value} » n'existe pas dans le Code officiel géographique (communes actuelles, "
            "fusionnées ou anciennes) : cherchez la commune de naissance par son nom."
        )
    return value


def commune_of_record(code: str) -> str:
    """The code a birth place is compared under: the commune it belongs to today (rpps.nomenclatures.cog):
    75116 → 75056 (arrondissement), 20004 → 2A004 (Corsica before 1976), 01340 → 01015 (merged)."""
    return cog.current_code(code)


def same_birth_place(a: str, b: str) -> bool:
    """Two birth place codes that name the same place today (arrondissements, merged communes, Corsica)."""
    return bool(a) and bool(b) and commune_of_record(a) == commune_of_record(b)


def close_birth_places(a: str, b: str) -> bool:
    """Two different places a birth may be declared under: neighbouring communes (one administrative
    arrondissement), or two countries of one INSEE zone (a country renamed or split)."""
    if not a or not b or same_birth_place(a, b):
        return False
    if is_born_abroad(a) and is_born_abroad(b):
        return cog.same_zone(a, b)
    return cog.neighbours(a, b)


def is_born_abroad(birth_place_code: str) -> bool:
    return bool(_COG_COUNTRY_RE.match(birth_place_code or ""))


# Names as the INS writes them: letters (accented or not, the Œ and Æ ligatures), spaces, hyphens and
# apostrophes (typed ’ too), starting with a letter. A digit, a sign or a formula is no part of a name.
_NAME_SEPARATORS = frozenset(" -'’")


def _latin_letter(char: str) -> bool:
    base = unicodedata.normalize("NFKD", char)[:1]
    return ("A" <= base <= "Z") or ("a" <= base <= "z") or char in "ŒœÆæ"


def validate_name(value: str) -> str:
    """A birth, usage or exercise name, or a list of given names; InvalidIdentifier names the first
    character refused."""
    for char in value:
        if not (_latin_letter(char) or char in _NAME_SEPARATORS):
            shown = "une tabulation ou un saut de ligne" if char.isspace() else f"« {char} »"
            raise InvalidIdentifier(
                f"Un nom ne contient que des lettres (accentuées ou non), des espaces, des traits d'union et "
                f"des apostrophes : {shown} n'est pas accepté."
            )
    if value and not _latin_letter(value[0]):
        raise InvalidIdentifier("Un nom commence par une lettre.")
    return value
