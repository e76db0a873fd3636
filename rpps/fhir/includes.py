"""_include, _include:iterate and _revinclude: the reference parameters the types declare, and `*`."""

from .resources import MODELS
from .search import REFERENCES, SearchError

# Declared by the official CapabilityStatement for types this server does not serve: accepted, add nothing.
FOREIGN_REVINCLUDES = {"Organization": ["HealthcareService:organization", "Device:organization"]}
MAX_ITERATIONS = 4


def includes_from(source: str) -> dict:
    """ "Source:param" -> (included type, field of the source model holding the reference)."""
    return {f"{source}:{param}": spec for param, spec in REFERENCES[source].items()}


def revincludes_of(target: str) -> dict:
    """ "Source:param" -> (source type, its field pointing at ``target``), or None for a type not served."""
    found = {
        f"{source}:{param}": (source, field)
        for source, params in REFERENCES.items()
        for param, (kind, field) in params.items()
        if kind == target
    }
    return found | dict.fromkeys(FOREIGN_REVINCLUDES.get(target, []))


def _without_target(item: str, kind: str) -> str:
    """R4's ``Source:param:TargetType`` form (§3.1.1.5.5): the target type is the type the parameter
    refers to (each of ours refers to one type), so it is checked and dropped; another type is a 400."""
    parts = item.split(":")
    if len(parts) != 3:
        return item
    source, param, target = parts
    spec = REFERENCES.get(source, {}).get(param)
    if spec is not None and spec[0] == target:
        return f"{source}:{param}"
    raise SearchError(
        f"Paramètre « {kind} », valeur « {item[:80]} » : le type cible {target[:40]} n'est pas celui "
        f"du paramètre {source}:{param}"
    )


def includes_of(resource_type: str, params) -> list[tuple[str, str, tuple | None, bool]]:
    """[("include" | "revinclude", "Source:param", spec, iterate)], checked against what the types declare."""
    found = []
    for name, value in params:
        kind, _, modifier = name.partition(":")
        if kind not in ("_include", "_revinclude"):
            continue
        if modifier not in ("", "iterate"):
            raise SearchError(f"Paramètre « {name} » : seul le modificateur :iterate est pris en charge")
        iterate = modifier == "iterate"
        for item in value.split(","):
            item = _without_target(item, kind)
            source = item.split(":")[0] if iterate and kind == "_include" else resource_type
            if source not in REFERENCES:
                table = {}
            elif kind == "_include":
                table = includes_from(source)
            elif iterate:
                table = {k: v for t in REFERENCES for k, v in revincludes_of(t).items() if k == item}
            else:
                table = revincludes_of(resource_type)
            if item == "*" and not iterate:
                found += [(kind[1:], key, spec, iterate) for key, spec in table.items()]
            elif item in table:
                found.append((kind[1:], item, table[item], iterate))
            else:
                declared = ", ".join(["*", *table]) if table else "aucune"
                raise SearchError(
                    f"Paramètre « {name} », valeur « {item} » non prise en charge pour "
                    f"{source} (possibles : {declared})"
                )
    return found


def _step(kind: str, key: str, spec, ids) -> tuple[str, list[int]]:
    other, field = spec
    if kind == "include":
        source = MODELS[key.split(":")[0]].objects.filter(pk__in=ids).exclude(**{f"{field}__isnull": True})
        return other, list(source.values_list(field, flat=True).distinct())
    return other, list(MODELS[other].objects.filter(**{f"{field}__in": ids}).values_list("pk", flat=True))


def included(resource_type: str, includes, ids) -> list[tuple[str, list[int]]]:
    """(type, ids) to add to a page whose matches are ``ids``: the includes of the matches, then the
    iterate ones applied again to what was added, until nothing new comes (or MAX_ITERATIONS)."""
    found = {resource_type: set(ids)}
    new = {resource_type: set(ids)}
    result = []
    for round_ in range(MAX_ITERATIONS + 1):
        added = []
        for kind, key, spec, iterate in includes:
            if spec is None or (round_ > 0 and not iterate):
                continue
            wanted = new.get(key.split(":")[0] if kind == "include" else _target(key), set())
            if wanted:
                added.append(_step(kind, key, spec, sorted(wanted)))
        result += added
        new = _merge(found, added)
        if not new:
            break
    return result


def _target(key: str) -> str | None:
    source, param = key.split(":", 1)
    spec = REFERENCES.get(source, {}).get(param)
    return spec[0] if spec else None


def _merge(found: dict, steps) -> dict:
    """Add the steps' ids to ``found``; return those that were not there yet, by type."""
    new = {}
    for kind, ids in steps:
        fresh = set(ids) - found.setdefault(kind, set())
        if fresh:
            found[kind] |= fresh
            new.setdefault(kind, set()).update(fresh)
    return new
