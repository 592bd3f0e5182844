"""Reading, for one ingest batch, every row its events name: one query per table.

:func:`needs` says which plants, tags, harvest batches, cultivation batches, users and
locations an event's rules and projection read; :func:`load_steps` reads a table's rows for a
set of (licence, key) pairs as one step (:mod:`server.db.pipelined`) for all the batch's
licensees, and :func:`found` turns what it read into the state records the rules know
(:mod:`server.compliance.rules.state`). On PostgreSQL the read joins ``unnest`` of the wanted keys
to the primary key, planned at each execution for its own keys and the table's current size
(never a cached generic plan, which kept a sequential scan made when the table was small:
:mod:`server.db.pipelined`, "Plans"). SQLite, without arrays, reads two ``IN`` lists (a
superset, filtered here) in chunks of :data:`SQLITE_CHUNK` keys. :class:`Reads` holds the
reads of several tables and gives back what each found: the ingest's batch
(:mod:`server.ingest.pipeline`) and the rebuild's replay (:mod:`server.store.replay`) both
read through it.
"""

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from schemas.events import (
    EventEnvelope,
    PlantBatchCreated,
    PlantDestroyed,
    PlantHarvested,
    PlantsGerminated,
    PlantsMoved,
    PlantsPhaseChanged,
    PlantsTagged,
    TagsReceived,
)
from server.compliance.rules.state import (
    HarvestBatchState,
    LocationState,
    PlantState,
    TagState,
    UserState,
)
from server.db import pipelined
from server.db.core import table_of
from server.db.pipelined import Step
from server.db.tables import Batch, HarvestBatch, Location, Plant, Tag, User

B, P, T, H = table_of(Batch), table_of(Plant), table_of(Tag), table_of(HarvestBatch)
U, LOC = table_of(User), table_of(Location)
SQLITE_CHUNK = 2000  # keys per IN list, well under SQLite's bound-parameter limit


@dataclass(frozen=True, slots=True)
class BatchRow:
    """A cultivation batch as the overlay keeps it (its location: where tagged plants go)."""

    batch_id: str
    strain: str
    location: str
    untagged_count: int
    tagged_count: int
    unsprouted_count: int


@dataclass(frozen=True, slots=True)
class _Spec:
    name: str
    table: sa.Table
    key: str
    columns: tuple[str, ...]
    make: Callable[..., Any]


SPECS: dict[str, _Spec] = {
    s.name: s
    for s in (
        _Spec(
            "plants", P, "uid", ("uid", "batch_id", "strain", "phase", "harvest_batch"), PlantState
        ),
        _Spec("tags", T, "uid", ("uid", "tag_type", "status", "item_type", "item_id"), TagState),
        _Spec(
            "harvests",
            H,
            "name",
            (
                "name",
                "strain",
                "plant_count",
                "wet_weight_grams",
                "dry_weight_grams",
                "net_weight_grams",
                "packaged_grams",
            ),
            HarvestBatchState,
        ),
        _Spec(
            "batches",
            B,
            "batch_id",
            (
                "batch_id",
                "strain",
                "location",
                "untagged_count",
                "tagged_count",
                "unsprouted_count",
            ),
            BatchRow,
        ),
        _Spec(
            "users",
            U,
            "user_id",
            ("user_id", "full_name", "role", "first_trained_on", "cancelled_at"),
            UserState,
        ),
        _Spec("locations", LOC, "name", ("name", "location_kind"), LocationState),
    )
}


def _pg_select(spec: _Spec) -> sa.Select[Any]:
    keys = (
        sa.func.unnest(
            sa.bindparam("licences", type_=postgresql.ARRAY(sa.String)),
            sa.bindparam("keys", type_=postgresql.ARRAY(sa.String)),
        )
        .table_valued("licence", "key")
        .render_derived(name="wanted")
    )
    t = spec.table
    on = sa.and_(t.c.licence == keys.c.licence, t.c[spec.key] == keys.c.key)
    return sa.select(t.c.licence, *(t.c[c] for c in spec.columns)).select_from(t.join(keys, on))


def _sqlite_select(spec: _Spec) -> sa.Select[Any]:
    t = spec.table
    return sa.select(t.c.licence, *(t.c[c] for c in spec.columns)).where(
        t.c.licence.in_(sa.bindparam("licences", expanding=True)),
        t.c[spec.key].in_(sa.bindparam("keys", expanding=True)),
    )


PG_SELECTS = {name: _pg_select(spec) for name, spec in SPECS.items()}
SQLITE_SELECTS = {name: _sqlite_select(spec) for name, spec in SPECS.items()}


def load_steps(dialect: str, table: str, wanted: Collection[tuple[str, str]]) -> list[Step]:
    """The reads of ``table``'s rows for the (licence, key) pairs ``wanted``: one step (SQLite:
    one per :data:`SQLITE_CHUNK` keys, each a superset filtered by :func:`found`)."""
    pairs = sorted(set(wanted))
    if not pairs:
        return []
    if dialect == "postgresql":
        licences, keys = [p[0] for p in pairs], [p[1] for p in pairs]
        params = {"licences": licences, "keys": keys}
        return [Step(PG_SELECTS[table], params, rows=True, custom_plan=True)]
    return [
        Step(
            SQLITE_SELECTS[table],
            {
                "licences": sorted({p[0] for p in chunk}),
                "keys": [p[1] for p in chunk],
            },
            rows=True,
        )
        for chunk in (pairs[i : i + SQLITE_CHUNK] for i in range(0, len(pairs), SQLITE_CHUNK))
    ]


def found(
    table: str, wanted: Collection[tuple[str, str]], results: Iterable[list[tuple[Any, ...]]]
) -> dict[tuple[str, str], Any]:
    """The rows the steps of :func:`load_steps` read, by (licence, key), as state records;
    pairs without a row are left out."""
    spec, want, out = SPECS[table], set(wanted), {}
    for rows in results:
        for row in rows:
            pair = (row[0], row[1])
            if pair in want:
                out[pair] = spec.make(*row[1:])
    return out


@dataclass(frozen=True)
class Reads:
    """The reads of every table's wanted (licence, key) pairs: :attr:`steps` to run (alone, or
    in one round trip with other steps), then :meth:`loaded` of their results."""

    wanted: dict[str, set[tuple[str, str]]]  # table -> (licence, key) pairs
    tables: list[str]  # the table each step reads
    steps: list[Step]

    @classmethod
    def of(cls, dialect: str, wanted: dict[str, set[tuple[str, str]]]) -> "Reads":
        tables, steps = list[str](), list[Step]()
        for table, pairs in wanted.items():
            for step in load_steps(dialect, table, pairs):
                tables.append(table)
                steps.append(step)
        return cls(wanted, tables, steps)

    def loaded(
        self, results: list[list[tuple[Any, ...]]]
    ) -> Iterator[tuple[str, set[tuple[str, str]], dict[tuple[str, str], Any]]]:
        """Each table's wanted pairs and the rows :attr:`steps` read of them (``results``, one
        per step), as :func:`found` makes them."""
        # A table's keys may be read in several steps (SQLite's chunks): gather them first, or
        # a key of a later chunk would be remembered as absent.
        chunks: dict[str, list[list[tuple[Any, ...]]]] = {}
        for table, rows in zip(self.tables, results, strict=True):
            chunks.setdefault(table, []).append(rows)
        for table, pairs in self.wanted.items():
            yield table, pairs, found(table, pairs, chunks.get(table, []))


def load(
    conn: sa.Connection, table: str, wanted: Collection[tuple[str, str]]
) -> dict[tuple[str, str], Any]:
    """The rows of ``table`` for the pairs ``wanted``, read now."""
    steps = load_steps(conn.dialect.name, table, wanted)
    return found(table, wanted, pipelined.run(conn, steps))


def needs(event: EventEnvelope) -> dict[str, set[str]]:
    """The keys of each table that the rules and projections of ``event`` will read."""
    p = event.payload
    out: dict[str, set[str]] = {name: set() for name in SPECS}
    out["users"].add(event.operator_id)
    user_id = getattr(p, "user_id", None)
    if isinstance(user_id, str):
        out["users"].add(user_id)
    if isinstance(p, TagsReceived):
        out["tags"].update(p.expand())
    elif isinstance(p, PlantBatchCreated):
        out["batches"].add(p.batch_id)
        out["locations"].add(p.location)
    elif isinstance(p, PlantsGerminated):
        out["batches"].add(p.batch_id)
    elif isinstance(p, PlantsTagged):
        out["batches"].add(p.batch_id)
        out["tags"].update(p.uids)
    elif isinstance(p, PlantsPhaseChanged | PlantsMoved):
        out["plants"].update(p.uids)
        out["tags"].update(p.uids)
        if p.location is not None:
            out["locations"].add(p.location)
    elif isinstance(p, PlantHarvested):
        out["plants"].add(p.uid)
        out["harvests"].add(p.harvest_batch)
    elif isinstance(p, PlantDestroyed):
        if p.uid is not None:
            out["plants"].add(p.uid)
        if p.batch_id is not None:
            out["batches"].add(p.batch_id)
    return out
