"""Registry models, one module per aggregate, re-exported here."""

from .activity import Activity
from .contact import Card, Mailbox
from .exercise import Authorization, Diploma, Exercise, Expertise
from .history import ChangeRecord, RppsCounter
from .person import Person
from .structure import Structure

# Objects whose every write goes to the history.
RECORDED_MODELS = (Person, Exercise, Expertise, Diploma, Authorization, Structure, Activity, Mailbox, Card)

__all__ = [
    "Activity",
    "Authorization",
    "Card",
    "ChangeRecord",
    "Diploma",
    "Exercise",
    "Expertise",
    "Mailbox",
    "Person",
    "RECORDED_MODELS",
    "RppsCounter",
    "Structure",
]
