"""_include and _revinclude: the combinations the official CapabilityStatement declares, and `*`."""

from .resources import MODELS
from .search import SearchError

# "Source:param" -> (included type, field of the source model holding the reference)
INCLUDES = {
    "Practitioner": {},
    "PractitionerRole": {"PractitionerRole:organization": ("Organization", "structure_id"),
                         "PractitionerRole:practitioner": ("Practitioner", "exercise_id")},
    "Organization": {"Organization:partof": ("Organization", "legal_entity_id")},
}  # fmt: skip
# "Source:param" -> (source type, its field pointing at the searched type); None: a type not served here
REVINCLUDES = {
    "Practitioner": {"PractitionerRole:practitioner": ("PractitionerRole", "exercise_id")},
    "PractitionerRole": {},
    "Organization": {"PractitionerRole:organization": ("PractitionerRole", "structure_id"),
                     "Organization:partof": ("Organization", "legal_entity_id"),
                     "HealthcareService:organization": None, "Device:organization": None},
}  # fmt: skip


def includes_of(resource_type: str, params) -> list[tuple[str, str, tuple | None]]:
    """[("include" | "revinclude", "Source:param", spec)], checked against what the type declares."""
    found = []
    for name, value in params:
        if name not in ("_include", "_revinclude"):
            continue
        table = (INCLUDES if name == "_include" else REVINCLUDES)[resource_type]
        for item in value.split(","):
            if item == "*":
                found += [(name[1:], key, spec) for key, spec in table.items()]
            elif item in table:
                found.append((name[1:], item, table[item]))
            else:
                declared = ", ".join(["*", *table]) if table else "aucune"
                raise SearchError(f"Paramètre « {name} », valeur « {item} » non prise en charge pour "
                                  f"{resource_type} (possibles : {declared})")  # fmt: skip
    return found


def included(includes, ids):
    """(type, ids) to add to a page whose matches are ``ids``."""
    for kind, key, spec in includes:
        if spec is None:  # a resource type this server does not serve: nothing to add
            continue
        other, field = spec
        if kind == "include":
            source = MODELS[key.split(":")[0]].objects.filter(pk__in=ids).exclude(**{f"{field}__isnull": True})
            yield other, list(source.values_list(field, flat=True).distinct())
        else:
            yield other, list(MODELS[other].objects.filter(**{f"{field}__in": ids}).values_list("pk", flat=True))
