"""Which tables the product knows, and from which shipped files each one is built.

A table is keyed by the NOS name of the value set it represents. Several source files may feed one
table (e.g. the RASS professions come from four code systems); when two sources give the same code,
the first source listed wins, so list the authoritative one first.
"""

from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Source:
    filename: str
    # "nos_csv": code,libelle,statut,date_fin,... ; "portal_csv": code,display,... ;
    # "jdv_csv": source_codesystem,system_url,code,libelle,... ; "tabs": NOS .tabs file.
    kind: str


@dataclass(frozen=True)
class TableSpec:
    name: str
    label: str
    sources: tuple[Source, ...]
    note: str = ""
    # When set, codes absent from this value set are loaded as deprecated: readable, not assignable.
    allowed: Source | None = None


def _nos(filename: str) -> Source:
    return Source(filename, "nos_csv")


PROFESSION = "JDV_J106-EnsembleProfession-RASS"
# The profession of the staff structures register through RPPS+ ("Acteur participant au système de santé
# caractérisé par rôle"): what they do is their situation's role, not a profession.
ROLE_PROFESSION = "99"
CATEGORY = "TRE_R09-CategorieProfessionnelle"
EXERCISE_CIVILITY = "TRE_R11-CiviliteExercice"
CIVILITY = "TRE_R81-Civilite"
SEX = "TRE_R10-SexeAdministratif"
EXPERTISE_TYPE = "TRE_R04-TypeSavoirFaire"
SPECIALTY = "TRE_R38-SpecialiteOrdinale"
ACTIVITY_MODE = "TRE_R23-ModeExercice"
ACTIVITY_GENRE = "TRE_R22-GenreActivite"
SECTOR = "TRE_R02-SecteurActivite"
PHARMACIST_SECTION = "TRE_R06-SectionTableauCNOP"
FUNCTION = "JDV_J108-EnsembleFonction-RASS"
ROLE = "TRE_R85-RolePriseCharge"
RPPS_PLUS_ROLE = "JDV_J121-RolePriseCharge-ENREG"
RPPS_PLUS_GENRE = "JDV_J116-GenreActivite-ENREG"
RPPS_PLUS_MODE = "JDV_J117-ModeExercice-ENREG"
RPPS_PLUS_CATEGORY = "JDV_J118-CategorieProfessionnelle-ENREG"
RPPS_PLUS_CIVILITY = "JDV_J113-Civilite-ENREG"
DIPLOMA_TYPE = "TRE_R14-TypeDiplome"
AUTHORIZATION_TYPE = "TRE_R17-TypeAutorisation"
CARD_TYPE = "JDV_J128-TypeCarte-RASS"
MAILBOX_TYPE = "TRE_R257-TypeBAL"
END_REASON = "MotifFinActivite"
PERSON_ID_TYPE = "TRE_G08-TypeIdentifiantPersonne"
STRUCTURE_ID_TYPE = "TRE_G07-TypeIdentifiantStructure"

TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        PROFESSION,
        "Profession (ensemble RASS)",
        (
            _nos("TRE_R95-UsagerTitre.csv"),
            _nos("TRE_G15-ProfessionSante.csv"),
            _nos("TRE_R94-ProfessionSocial.csv"),
            _nos("TRE_R291-AutreProfession.csv"),
        ),
        "Union of TRE_G15, TRE_R95, TRE_R94 and TRE_R291 with their statuses; the active codes are JDV_J106. "
        "TRE_R95 comes first because code 93 (Psychologue) is active there and a deprecated placeholder in TRE_G15. "
        "Codes outside JDV_J106 (e.g. 69 Infirmier psychiatrique) are loaded as deprecated.",
        allowed=Source("JDV_J106-EnsembleProfession-RASS.csv", "jdv_csv"),
    ),
    TableSpec(CATEGORY, "Catégorie professionnelle", (_nos("TRE_R09-CategorieProfessionnelle.csv"),)),
    TableSpec(EXERCISE_CIVILITY, "Civilité d'exercice", (_nos("TRE_R11-CiviliteExercice.csv"),)),
    TableSpec(CIVILITY, "Civilité", (_nos("TRE_R81-Civilite.csv"),)),
    TableSpec(SEX, "Sexe administratif", (Source("enreg_jdv_j112_sexe_administratif.csv", "portal_csv"),)),
    TableSpec(EXPERTISE_TYPE, "Type de savoir-faire", (_nos("TRE_R04-TypeSavoirFaire.csv"),)),
    TableSpec(
        SPECIALTY,
        "Spécialité ordinale",
        (Source("NOS_JDV_J210-SpecialiteOrdinale-ROR.tabs", "tabs"),),
        "Subset of TRE_R38 published as JDV_J210 (2022); the full current TRE_R38 is not shipped.",
    ),
    TableSpec(ACTIVITY_MODE, "Mode d'exercice", (_nos("TRE_R23-ModeExercice.csv"),)),
    TableSpec(ACTIVITY_GENRE, "Genre d'activité", (_nos("TRE_R22-GenreActivite.csv"),)),
    TableSpec(SECTOR, "Secteur d'activité", (_nos("TRE_R02-SecteurActivite.csv"),)),
    TableSpec(
        PHARMACIST_SECTION, "Section du tableau de l'Ordre des pharmaciens", (_nos("TRE_R06-SectionTableauCNOP.csv"),)
    ),
    TableSpec(
        FUNCTION,
        "Fonction (ensemble RASS)",
        (Source("NOS_JDV_J108-EnsembleFonction-RASS.tabs", "tabs"),),
        "TRE_R21 fonctions, TRE_R96 and TRE_R85 codes as published in JDV_J108 (2023).",
    ),
    TableSpec(
        ROLE,
        "Rôle de prise en charge",
        (Source("enreg_jdv_j121_role_prise_charge.csv", "portal_csv"), _nos("TRE_R85-RolePriseCharge.PARTIAL.csv")),
        "TRE_R85 codes known from JDV_J121 (2026) and JDV_J48; statuses of the JDV_J48-only codes are unknown "
        "and taken as active.",
    ),
    TableSpec(
        RPPS_PLUS_ROLE,
        "Rôle enregistrable par le portail RPPS+",
        (Source("enreg_jdv_j121_role_prise_charge.csv", "portal_csv"),),
    ),
    TableSpec(
        RPPS_PLUS_GENRE,
        "Genre d'activité (portail RPPS+)",
        (Source("enreg_jdv_j116_genre_activite.csv", "portal_csv"),),
    ),
    TableSpec(
        RPPS_PLUS_MODE, "Mode d'exercice (portail RPPS+)", (Source("enreg_jdv_j117_mode_exercice.csv", "portal_csv"),)
    ),
    TableSpec(
        RPPS_PLUS_CATEGORY,
        "Catégorie professionnelle (portail RPPS+)",
        (Source("enreg_jdv_j118_categorie_professionnelle.csv", "portal_csv"),),
    ),
    TableSpec(RPPS_PLUS_CIVILITY, "Civilité (portail RPPS+)", (Source("enreg_jdv_j113_civilite.csv", "portal_csv"),)),
    TableSpec(DIPLOMA_TYPE, "Type de diplôme", (_nos("TRE_R14-TypeDiplome.csv"),)),
    TableSpec(AUTHORIZATION_TYPE, "Type d'autorisation d'exercice", (_nos("TRE_R17-TypeAutorisation.csv"),)),
    TableSpec(CARD_TYPE, "Type de carte", (Source("NOS_JDV_J128-TypeCarte-RASS.tabs", "tabs"),)),
    TableSpec(MAILBOX_TYPE, "Type de boîte aux lettres MSSanté", (_nos("TRE_R257-TypeBAL.csv"),)),
    TableSpec(END_REASON, "Motif de fin d'activité", (Source("psi_api_activity_end_reasons.csv", "portal_csv"),)),
    TableSpec(PERSON_ID_TYPE, "Type d'identifiant de personne", (_nos("TRE_G08-TypeIdentifiantPersonne.csv"),)),
    TableSpec(STRUCTURE_ID_TYPE, "Type d'identifiant de structure", (_nos("TRE_G07-TypeIdentifiantStructure.csv"),)),
)

TABLES_BY_NAME = {spec.name: spec for spec in TABLES}
