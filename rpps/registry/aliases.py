"""Finding a person by RPPS number, following the aliases left by merges."""

from .models import Person

MAX_ALIAS_DEPTH = 10


def resolve_rpps(number: str) -> Person | None:
    """The current person for an RPPS number; a retired number resolves to the person it was merged into."""
    person = Person.objects.filter(rpps=number).first()
    depth = 0
    while person is not None and person.merged_into_id is not None and depth < MAX_ALIAS_DEPTH:
        person = Person.objects.get(pk=person.merged_into_id)
        depth += 1
    return person
