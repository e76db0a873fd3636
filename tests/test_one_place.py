"""One place per rule: a rule written out again elsewhere fails here, with where to find its home.

Each rule is a condition function beside its model, used through queryset methods everywhere; the
raw lookups it is made of may appear in its own module only (migrations excepted: they freeze
history).
"""

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "rpps"
RULES = {
    # rule: (raw lookup, its only home, the method to use)
    "a current person (not a merged alias)": (r"merged_into__isnull", "registry/models/person.py",
                                              "Person.objects.current(), .of_current_persons(), current_condition()"),
    "a published mailbox (not on the red list)": (r"red_list\s*=\s*False|red_list[\"']\s*:\s*False|red_list__",
                                                  "registry/models/contact.py",
                                                  "Mailbox.objects.published(), published_mailbox_condition()"),
    "an open situation": (r"end_date__isnull", "registry/models/activity.py",
                          "Activity.objects.open_on(day), open_condition(day, prefix)"),
    "a structure id's type digit": (r"[\"']1[\"']\s*:\s*[\"']F[\"']|[\"']F[\"']\s*:\s*[\"']1[\"']",
                                    "registry/identifiers.py", "identifiers.old_structure_id / technical_structure_id"),
}  # fmt: skip


def _sources():
    return [p for p in ROOT.rglob("*.py") if "migrations" not in p.parts]


@pytest.mark.parametrize("rule", RULES)
def test_a_rule_lives_in_one_place(rule):
    pattern, home, use = RULES[rule]
    found = []
    for path in _sources():
        relative = path.relative_to(ROOT).as_posix()
        if relative == home:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(pattern, line):
                found.append(f"{relative}:{number}: {line.strip()}")
    assert not found, f"« {rule} » est réécrit hors de {home} ; utiliser {use} :\n" + "\n".join(found)


def test_the_guard_sees_a_rule_written_again(tmp_path, monkeypatch):
    """The check above is not vacuous: a copy of a rule in another module is reported."""
    module = tmp_path / "rpps" / "elsewhere.py"
    module.parent.mkdir()
    module.write_text("rows = Exercise.objects.filter(person__merged_into__isnull=True)\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path / "rpps")
    with pytest.raises(AssertionError, match="elsewhere.py:1"):
        test_a_rule_lives_in_one_place("a current person (not a merged alias)")
