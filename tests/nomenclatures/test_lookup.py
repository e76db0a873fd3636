import csv

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from rpps.nomenclatures import catalog, lookup
from rpps.nomenclatures.catalog import DATA_DIR
from rpps.nomenclatures.loader import load_tables
from rpps.nomenclatures.models import Concept, Table

pytestmark = pytest.mark.django_db


def test_every_declared_table_is_loaded_by_the_migrations():
    assert set(Table.objects.values_list("name", flat=True)) == {spec.name for spec in catalog.TABLES}
    assert lookup.label(catalog.ACTIVITY_MODE, "S") == "Salarié"


def test_label_of_unknown_or_empty_code_is_blank():
    assert lookup.label(catalog.ACTIVITY_MODE, "ZZ") == ""
    assert lookup.label(catalog.ACTIVITY_MODE, "") == ""


def test_active_professions_are_exactly_the_rass_value_set_j106():
    with (DATA_DIR / "JDV_J106-EnsembleProfession-RASS.csv").open(encoding="utf-8") as fh:
        j106 = {row["code"] for row in csv.DictReader(fh)}
    active = {e.code for e in lookup.entries(catalog.PROFESSION)}
    assert active == j106


def test_psychologist_is_active_although_deprecated_in_g15():
    assert lookup.check(catalog.PROFESSION, "93").label == "Psychologue"


def test_deprecated_code_is_refused_for_a_new_value_with_a_french_message():
    with pytest.raises(ValidationError) as exc:
        lookup.check(catalog.PROFESSION, "35")  # Aide-soignant, deprecated 2024-12-13
    message = exc.value.messages[0]
    assert "n'est plus valide depuis le 13/12/2024" in message and "Aide-soignant" in message


def test_deprecated_code_stays_readable_on_old_records():
    entry = lookup.check(catalog.PROFESSION, "35", allow_deprecated=True)
    assert not entry.is_active and lookup.label(catalog.PROFESSION, "35") == "Aide-soignant"


def test_unknown_code_message_names_the_table():
    with pytest.raises(ValidationError, match="n'existe pas dans la nomenclature Mode d'exercice"):
        lookup.check(catalog.ACTIVITY_MODE, "X")


def test_choices_offer_only_active_codes():
    codes = [code for code, _ in lookup.choices(catalog.CATEGORY)]
    assert codes == ["C", "E", "M"]  # F is deprecated since 2026-02-23


def test_rpps_plus_roles_come_from_j121():
    assert len(lookup.entries(catalog.RPPS_PLUS_ROLE)) == 60
    assert lookup.label(catalog.RPPS_PLUS_ROLE, "317") == "Préparateur en pharmacie"


def test_loader_is_idempotent_and_dry_run_by_default(capsys):
    report = load_tables(Table, Concept, apply=False)
    assert report.added == 0 and report.changed == 0 and report.unchanged == Concept.objects.count()
    Concept.objects.filter(table__name=catalog.ACTIVITY_MODE, code="S").update(label="altéré")
    call_command("load_nomenclatures")
    assert "1 modifié(s)" in capsys.readouterr().out
    assert Concept.objects.get(table__name=catalog.ACTIVITY_MODE, code="S").label == "altéré"
    call_command("load_nomenclatures", "--apply")
    assert Concept.objects.get(table__name=catalog.ACTIVITY_MODE, code="S").label == "Salarié"
    assert lookup.label(catalog.ACTIVITY_MODE, "S") == "Salarié"


def test_codes_missing_from_the_files_are_kept_for_old_records():
    table = Table.objects.get(name=catalog.ACTIVITY_MODE)
    Concept.objects.create(table=table, code="Z", label="Ancien mode", status="deprecated")
    report = load_tables(Table, Concept, apply=True)
    assert report.kept_absent == 1
    assert Concept.objects.filter(table=table, code="Z").exists()


def test_a_label_carried_by_two_codes_is_listed_once_under_its_active_code():
    listed = lookup.by_label(catalog.PROFESSION)
    labels = [label for _, label in listed]
    assert len(labels) == len(set(labels))
    assert ("71", "Ostéopathe") in listed and ("171", "Ostéopathe") not in listed  # 171 is the inactive one
    assert sorted(lookup.same_label(catalog.PROFESSION, "171")) == ["171", "71"]
    assert lookup.same_label(catalog.PROFESSION, "ZZZ") == ["ZZZ"]
    assert lookup.citizen_label(catalog.PROFESSION, "99") == "Professionnel enregistré par sa structure"
    assert lookup.citizen_label(catalog.PROFESSION, "10") == "Médecin"
