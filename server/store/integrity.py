"""Checking the event log's hash chain, and taking and listing its checkpoints (RETAIN-7Y,
NO-FALSIFICATION).

:func:`verify` walks each licensee's chain (:mod:`server.store.chain`) in ``chain_index``
order and reports, as :class:`Finding` s in that order:

- ``inserted``: a row with no place in the chain (no ``chain_index``), or whose ``prev_hash``
  is not the previous row's hash (something was put, or replaced, before it out of band);
- ``changed``: a row whose stored columns no longer hash to its ``row_hash``;
- ``removed``: a place in the chain with no row (``chain_index`` skips), including the first;
- ``checkpoint``: a published checkpoint's row is missing or hashes differently: the chain was
  rewritten after the checkpoint (new hashes computed all the way down, which the chain alone
  cannot tell from the original).

Checkpoints (:func:`take_checkpoints`) are the head of each licensee's chain, one per UTC day,
stored append-only in ``chain_checkpoints`` and published to regulators (API, console); a
regulator's own copy can be given to :func:`verify` too (``extra``), since whoever could
rewrite the log could rewrite the stored checkpoints as well.

What the chain does not catch: rows appended at the end of a chain, after its last checkpoint,
by someone who computes their hashes the way seedtrace does. ``docs/integrity.md`` says so.
"""

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import Engine

from server.db.among import among
from server.db.core import table_of
from server.db.integrity import ChainCheckpoint
from server.db.tables import EventLog, Licensee
from server.store import chain

L = table_of(EventLog)
CP = table_of(ChainCheckpoint)
LIC = table_of(Licensee)
ROW_COLUMNS = [L.c.position, L.c.prev_hash, L.c.row_hash, *(L.c[n] for n in chain.COLUMNS)]


@dataclass(frozen=True, slots=True)
class Finding:
    """One break in a licensee's chain. ``position``/``event_id``: the row concerned (None for
    a removed row, which is not there to name)."""

    licence: str
    kind: str  # inserted | changed | removed | checkpoint
    chain_index: int | None
    position: int | None
    event_id: str | None
    message: str


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A chain head as published: ``chain_index`` rows, the last hashing to ``row_hash``."""

    licence: str
    taken_at: datetime
    chain_index: int
    row_hash: str
    position: int


def _short(digest: str | None) -> str:
    return "none" if digest is None else digest[:16]


def _walk(licence: str, rows: Iterable[sa.RowMapping]) -> Iterator[tuple[Finding | None, Any]]:
    """Each row's first finding (or None) with the row, in chain order."""
    expected, prev = 1, chain.GENESIS
    for row in rows:
        index, pos, eid = row["chain_index"], row["position"], row["event_id"]
        where = f"position {pos}, event {eid}"
        if index is None:
            yield (
                Finding(
                    licence,
                    "inserted",
                    None,
                    pos,
                    eid,
                    f"{licence}: the row at {where} is not in the chain: it was inserted out "
                    "of band",
                ),
                row,
            )
            continue
        if index > expected:
            missing = f"row {expected}" if index == expected + 1 else f"rows {expected}-{index - 1}"
            yield (
                Finding(
                    licence,
                    "removed",
                    expected,
                    None,
                    None,
                    f"{licence}: chain {missing} missing before row {index} ({where}): "
                    "removed out of band",
                ),
                None,
            )
        yield _row_finding(licence, row, where, expected, prev), row
        if index >= expected:
            expected, prev = index + 1, row["row_hash"]


def _row_finding(
    licence: str, row: sa.RowMapping, where: str, expected: int, prev: str
) -> Finding | None:
    """What is wrong with chain ``row`` (at ``where``), when row ``expected`` following a row
    that hashes ``prev`` was due: changed, or inserted out of band; None when it is sound."""
    index = row["chain_index"]
    if chain.row_hash(dict(row), row["prev_hash"] or chain.GENESIS) != row["row_hash"]:
        kind, why = (
            "changed",
            f"chain row {index} ({where}) was changed: its stored columns do not hash to its "
            f"row_hash {_short(row['row_hash'])}",
        )
    elif index < expected:
        kind, why = "inserted", f"a second chain row {index} ({where}): inserted out of band"
    elif index == expected and row["prev_hash"] != prev:
        kind, why = (
            "inserted",
            f"chain row {index} ({where}) does not follow row {index - 1}: its prev_hash is "
            f"{_short(row['prev_hash'])}, row {index - 1} hashes {_short(prev)}: a row was "
            "inserted or replaced out of band",
        )
    else:
        return None
    return Finding(licence, kind, index, row["position"], row["event_id"], f"{licence}: {why}")


def verify(
    engine: Engine, licence: str | None = None, extra: Iterable[Checkpoint] = ()
) -> tuple[int, list[Finding]]:
    """Walk the chain of ``licence`` (every licensee's when None) and check it against the
    stored checkpoints and ``extra`` ones. Returns (rows walked, findings in chain order)."""
    findings: list[Finding] = []
    walked = 0
    with engine.connect() as conn:
        licences = [licence] if licence is not None else list_licences(conn)
        stored = list_checkpoints(conn, licences)
        for lic in licences:
            wanted: dict[int, list[Checkpoint]] = {}
            for cp in [*stored, *extra]:
                if cp.licence == lic:
                    wanted.setdefault(cp.chain_index, []).append(cp)
            rows = conn.execution_options(yield_per=2000).execute(
                sa.select(*ROW_COLUMNS)
                .where(L.c.licence == lic)
                .order_by(L.c.chain_index.is_(None), L.c.chain_index, L.c.position)
            )
            seen: set[int] = set()
            for finding, row in _walk(lic, rows.mappings()):
                walked += row is not None
                if finding is not None:
                    findings.append(finding)
                if row is None or row["chain_index"] is None:
                    continue
                seen.add(row["chain_index"])
                for cp in wanted.get(row["chain_index"], []):
                    if cp.row_hash != row["row_hash"]:
                        findings.append(_rewritten(cp, row["row_hash"], row["position"]))
            for index, cps in sorted(wanted.items()):
                if index not in seen:
                    findings.extend(_rewritten(cp, None, None) for cp in cps)
    return walked, findings


def _rewritten(cp: Checkpoint, found: str | None, position: int | None) -> Finding:
    now = "is missing" if found is None else f"hashes {_short(found)}"
    return Finding(
        cp.licence,
        "checkpoint",
        cp.chain_index,
        position,
        None,
        f"{cp.licence}: the checkpoint of {cp.taken_at.isoformat()} says chain row "
        f"{cp.chain_index} hashes {_short(cp.row_hash)}; the log's row {now}: the chain was "
        "rewritten after that checkpoint",
    )


def list_licences(conn: sa.Connection) -> list[str]:
    return [
        str(r) for r in conn.execute(sa.select(LIC.c.licence).order_by(LIC.c.licence)).scalars()
    ]


def list_checkpoints(conn: sa.Connection, licences: Iterable[str]) -> list[Checkpoint]:
    """The stored checkpoints of ``licences``, oldest first."""
    rows = conn.execute(
        sa.select(CP.c.licence, CP.c.taken_at, CP.c.chain_index, CP.c.row_hash, CP.c.position)
        .where(among(CP.c.licence, sorted(set(licences))))
        .order_by(CP.c.licence, CP.c.taken_at)
    )
    return [Checkpoint(*r) for r in rows]


def _head(conn: sa.Connection, licence: str) -> tuple[Any, ...] | None:
    """(chain_index, row_hash, position) of the licensee's last chained row."""
    row = conn.execute(
        sa.select(L.c.chain_index, L.c.row_hash, L.c.position)
        .where(L.c.licence == licence, L.c.chain_index.is_not(None))
        .order_by(L.c.chain_index.desc())
        .limit(1)
    ).first()
    return None if row is None else tuple(row)


def take_checkpoints(engine: Engine, now: datetime, licence: str | None = None) -> list[Checkpoint]:
    """Store today's (UTC) checkpoint of each licensee (or of ``licence``) that has a chain
    and none for today yet; returns those taken. Each licensee in a transaction of its own: a
    checkpoint another process took meanwhile is left as it is."""
    day = now.astimezone(UTC).date()
    with engine.connect() as conn:
        licences = [licence] if licence is not None else list_licences(conn)
    taken: list[Checkpoint] = []
    for lic in licences:
        try:
            with engine.begin() as conn:
                done = conn.execute(
                    sa.select(CP.c.id).where(CP.c.licence == lic, CP.c.taken_on == day)
                ).first()
                head = None if done is not None else _head(conn, lic)
                if head is None:
                    continue
                cp = Checkpoint(lic, now, int(head[0]), str(head[1]), int(head[2]))
                # The checkpoint's fields are the row's columns, beside the day it is of.
                conn.execute(CP.insert().values(taken_on=day, **asdict(cp)))
        except exc.IntegrityError:  # taken by another process since we looked
            continue
        taken.append(cp)
    return taken
