"""The five identity traits of a request, checked and normalised, with a French message per trait."""

import datetime
import re
from dataclasses import dataclass

from .normalize import first_given_matches, first_given_name, misread_digits, normalize_given_names, normalize_name

TRAIT_LABELS = {
    "nom": "nom de naissance",
    "prenoms": "prénoms",
    "sexe": "sexe",
    "date_naissance": "date de naissance",
    "lieu_naissance": "lieu de naissance",
}

# Departments of the COG (metropolitan 01–95 with 2A/2B instead of 20, overseas 971–976).
# 20: Corsica's single department until 1976, whose codes birth records before then carry (20004).
# A request is checked down to its department only: resolution compares and never stores, and a record
# from elsewhere may carry a commune deleted before the COG table's history (rpps.nomenclatures.cog);
# registry writes check the code exists (identifiers.validate_birth_place_code).
_COMMUNE = re.compile(r"^(0[1-9]|1[0-9]|2[AB0-9]|[3-8][0-9]|9[0-5])[0-9]{3}$|^97[1-6][0-9]{2}$")
_COUNTRY = re.compile(r"^99[1-5][0-9]{2}$")  # INSEE country codes: 99 + continent digit 1–5 + 2 digits


class InvalidTraits(ValueError):
    """Bad traits: ``errors`` maps each trait to its French message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__(" ; ".join(f"{TRAIT_LABELS[k]} : {v}" for k, v in errors.items()))


@dataclass(frozen=True)
class Traits:
    birth_name: str  # normalised
    given_names: str  # normalised, space-separated list
    sex: str  # F or M
    birth_date: datetime.date
    birth_place: str  # COG commune or 99xxx country code, "" when unknown
    first_given_name: str = ""  # as written, a compound whole (normalize.first_given_name)

    @property
    def first_given(self) -> str:
        return self.given_names.split(" ")[0]

    @classmethod
    def of_fields(cls, data: dict) -> "Traits":
        """The traits of a person's registry fields (a dict named as the Person model's: birth_name…)."""
        return cls.parse(
            nom=data.get("birth_name", ""),
            prenoms=data.get("given_names", ""),
            sexe=data.get("sex_code", ""),
            date_naissance=data.get("birth_date") or "",
            lieu_naissance=data.get("birth_place_code", ""),
        )

    @classmethod
    def of_person(cls, person) -> "Traits":
        fields = ("birth_name", "given_names", "sex_code", "birth_date", "birth_place_code")
        return cls.of_fields({name: getattr(person, name) for name in fields})

    @classmethod
    def parse(
        cls,
        *,
        nom: str,
        prenoms: str,
        sexe: str,
        date_naissance,
        lieu_naissance: str = "",
        premier_prenom: str = "",
        today: datetime.date | None = None,
    ) -> "Traits":
        """Check raw values (as typed or read from a file); raise InvalidTraits naming every bad trait."""
        errors: dict[str, str] = {}
        birth_name = normalize_name(misread_digits(nom or ""))
        if not birth_name:
            errors["nom"] = "le nom de naissance est obligatoire."
        given = normalize_given_names(misread_digits(prenoms or ""))
        if not given:
            errors["prenoms"] = "au moins un prénom de naissance est obligatoire."
        elif premier_prenom and not first_given_matches(premier_prenom, prenoms):
            errors["prenoms"] = (
                f"le premier prénom « {premier_prenom} » ne correspond pas au début de la liste des prénoms « {prenoms} »."
            )
        sex = (sexe or "").strip().upper()
        if sex not in ("F", "M"):
            errors["sexe"] = "le sexe doit être F ou M." if sex else "le sexe est obligatoire."
        birth_date = None
        if isinstance(date_naissance, datetime.date):
            birth_date = date_naissance
        elif not (date_naissance or "").strip():
            errors["date_naissance"] = "la date de naissance est obligatoire."
        else:
            raw = date_naissance.strip()
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
                errors["date_naissance"] = f"« {raw} » n'est pas une date au format AAAA-MM-JJ."
            else:
                try:
                    birth_date = datetime.date.fromisoformat(raw)
                except ValueError:
                    errors["date_naissance"] = f"la date « {raw} » n'existe pas."
        if birth_date is not None:
            today = today or datetime.date.today()
            if birth_date > today:
                errors["date_naissance"] = "la date de naissance ne peut pas être dans le futur."
            elif birth_date.year < 1900:
                errors["date_naissance"] = "la date de naissance doit être postérieure à 1900."
        place = (lieu_naissance or "").strip().upper()
        if place and not (_COMMUNE.match(place) or _COUNTRY.match(place)):
            errors["lieu_naissance"] = (
                f"« {place} » n'est ni un code commune INSEE connu (département valide + 3 chiffres) "
                "ni un code pays INSEE (99 suivi de 3 chiffres)."
            )
        if errors:
            raise InvalidTraits(errors)
        return cls(birth_name, given, sex, birth_date, place, first_given_name(prenoms or ""))
