"""Users, roles and training records (USER-ROSTER, TRAINED-BEFORE-ACCESS), from the roster
tables the store keeps from ``user.*`` and ``training.registered`` events."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from server.db.core_tables import TRAINING_RECORDS as TR
from server.db.core_tables import TRAINING_REGISTRATIONS as REG
from server.db.core_tables import USERS as U
from server.reads.columns import columns_of


@dataclass(frozen=True, slots=True)
class Training:
    trained_on: date
    description: str
    trainer: str
    recorded_by: str


@dataclass(frozen=True, slots=True)
class Person:
    licence: str
    user_id: str
    full_name: str
    role: str
    premises: str | None
    registered_at: datetime
    registered_by: str
    cancelled_at: datetime | None
    cancel_reason: str | None
    trainings: list[Training] = field(default_factory=list)
    registrations: list[str] = field(default_factory=list)  # courses registered for

    @property
    def active(self) -> bool:
        return self.cancelled_at is None

    @property
    def trained(self) -> bool:
        return bool(self.trainings)


# A person's own columns; their trainings and registrations are read from their own tables.
PERSON_COLUMNS = columns_of(U, Person, skip={"trainings", "registrations"})


def roster(engine: Engine, licences: Sequence[str]) -> list[Person]:
    """Everyone ever registered: active people first, then by name."""
    lic = list(licences)
    with engine.connect() as conn:
        found = conn.execute(sa.select(*PERSON_COLUMNS).where(U.c.licence.in_(lic))).mappings()
        people = {(r["licence"], r["user_id"]): Person(**r) for r in found}
        for r in conn.execute(
            sa.select(TR).where(TR.c.licence.in_(lic)).order_by(TR.c.trained_on, TR.c.position)
        ):
            person = people.get((r.licence, r.user_id))
            if person is not None:
                person.trainings.append(
                    Training(r.trained_on, r.description, r.trainer, r.recorded_by)
                )
        for r in conn.execute(
            sa.select(REG).where(REG.c.licence.in_(lic)).order_by(REG.c.registered_on)
        ):
            person = people.get((r.licence, r.user_id))
            if person is not None:
                person.registrations.append(f"{r.course} ({r.registered_on.isoformat()})")
    return sorted(people.values(), key=lambda p: (not p.active, p.licence, p.full_name))
