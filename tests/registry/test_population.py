import datetime
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from rpps.registry import identifiers
from rpps.registry.models import RECORDED_MODELS, Activity, ChangeRecord, Exercise, Person, Structure
from rpps.registry.population.generator import SYNTHETIC_RPPS_FIRST_BODY, WRITE_ORDER, PopulationGenerator
from rpps.registry.population.run import generate

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)


def _rows(persons, seed):
    generator = PopulationGenerator(persons, seed, now=NOW, batch_size=50)
    rows = {model: [] for model in WRITE_ORDER}
    for batch in generator.batches():
        for model in WRITE_ORDER:
            rows[model].extend(batch.rows[model])
    return rows


def test_same_seed_same_population_other_seed_other_population():
    assert _rows(120, 7) == _rows(120, 7)
    assert _rows(120, 7)[Person] != _rows(120, 8)[Person]


def test_synthetic_rpps_numbers_cannot_collide_with_real_or_allocated_ones():
    numbers = [row[1] for row in _rows(300, 3)[Person]]
    assert len(set(numbers)) == 300
    assert all(identifiers.validate_rpps(n) and n.startswith("9") for n in numbers)
    assert numbers[0][:10] == str(SYNTHETIC_RPPS_FIRST_BODY)


def test_population_has_a_realistic_shape():
    rows = _rows(3000, 11)
    professions = Counter(row[2] for row in rows[Exercise])
    assert professions.most_common(1)[0][0] == "60"  # nurses are the largest profession
    assert {"10", "21", "99", "70", "40", "50"} <= set(professions)
    per_structure = Counter(row[2] for row in rows[Activity])
    sizes = sorted(per_structure.values(), reverse=True)
    assert sizes[0] >= 50 and sizes[-1] == 1  # big hospitals and single-practitioner cabinets
    situations = Counter(row[1] for row in rows[Activity])
    assert max(situations.values()) >= 2  # some practise in several places
    assert 1.0 <= len(rows[Activity]) / 3000 <= 1.25
    names = [row[4] for row in rows[Person]]
    assert any("-" in n for n in names) and any("'" in n for n in names) and any(" " in n for n in names)
    assert any(ch in "".join(names) for ch in "ÉÈÊËÏÎÔÜÇ")
    kinds = Counter(row[1][0] for row in rows[Structure])
    assert set(kinds) == {"F", "C", "R"}


@pytest.mark.django_db
def test_generated_objects_pass_every_registry_rule():
    counts = generate(150, 5, batch_size=40, progress=False)
    assert counts["registry.Person"] == 150
    assert ChangeRecord.objects.filter(actor_label="generate_population", action="create").count() == 150
    for model in RECORDED_MODELS:
        for obj in model.objects.all():
            obj.full_clean()
    assert Person.objects.count() == 150
    assert Activity.objects.filter(end_date__isnull=False).exists()


@pytest.mark.django_db
def test_generation_refuses_a_registry_that_is_not_empty():
    generate(5, 1, progress=False)
    with pytest.raises(CommandError, match="répertoire vide"):
        call_command("generate_population", "--personnes", "5", "--sans-progression")
    assert Person.objects.count() == 5


@pytest.mark.django_db
def test_load_demo_is_idempotent(capsys):
    call_command("load_demo")
    first = Person.objects.count()
    call_command("load_demo")
    assert Person.objects.count() == first == 400
    assert "rien n'est rechargé" in capsys.readouterr().out


@pytest.mark.parametrize(("command", "args"), [("load_demo", []), ("generate_population", ["--persons", "5"])])
@pytest.mark.django_db
def test_demo_and_synthetic_data_are_refused_under_production_settings(settings, command, args):
    settings.SYNTHETIC_DATA_ALLOWED = False  # as config/settings/prod.py sets it
    with pytest.raises(CommandError, match="n'admettent pas de données de démonstration ou synthétiques"):
        call_command(command, *args)
    assert not Person.objects.exists()


def test_no_person_is_generated_twice_in_the_same_open_situation():
    """The public page showed one place twice ("CHU LYON SITE 1" two cards): the generator now draws each
    open situation (structure, mode, function, genre, role) once per exercise."""
    rows = _rows(3000, 11)
    open_ones = Counter(tuple(row[1:7]) for row in rows[Activity] if row[9] is None)
    assert open_ones and max(open_ones.values()) == 1
