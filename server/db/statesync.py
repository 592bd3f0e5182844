"""Tables of the state-system connector (:mod:`server.statesync.connector`, docs/sync.md).

The **queue** is not here: it is ``event_log`` itself, append-only and ordered by ``position``,
written in the same transaction as the event. The connector keeps only where it is and what it
did:

- ``sync_links``: one row per licensee that files into a state system: which system and where
  (``system``, ``base_url``), the **cursor** (the ``event_log.position`` up to which every
  accepted event has been planned into calls), the **lease** (``lease_owner`` until
  ``lease_until``: the one connector process handling this licensee now), and whether the state
  is reachable (``access``: ``up`` or ``lost``; ``unreachable_since`` / ``unreachable_cause``:
  the first failure since the state last answered), and when the daily reconciliation last
  ran (``reconciled_at``).
- ``sync_calls``: one row per state call planned for an event (``event_id``, ``call_index``).
  ``plan`` is what the mapping asked for; ``request`` is the body as first sent, fixed before
  sending and reused on any resend; ``nonce`` (BioTrack) and ``readback`` (Metrc: what
  identifies the call's effect, and any count read before sending) are stored before the
  request leaves. ``status``: ``pending`` -> ``sent`` (committed before the request leaves) ->
  ``done`` | ``refused`` | ``unknown`` (the answer was lost: checked before any resend), and
  ``skipped`` (a person entered it at the state by hand). ``state_ids`` and ``response`` are
  the state's ids and its raw answer, unmodified (SECONDARY-SYNC, OAR 845-025 CTS
  Requirements (7)).
- ``sync_objects``: what the state calls our objects (a BioTrack plant's 16-digit id for our
  UID, a room id for a location name, a Metrc harvest id for a harvest batch name), learnt from
  its answers; later calls refer to them.
- ``sync_outages``: each loss of access to the state system, when it was lost and restored and
  why (OAR 845-025 CTS Requirements (8); OUTAGE-BACKFILL).
- ``sync_credentials``: each person's state credentials (Metrc user key, BioTrack log-on),
  encrypted with the key from the settings (:mod:`server.statesync.credentials`); never logged,
  never returned.

Times are UTC (:class:`~server.db.types.UtcDateTime`).
"""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.db.tables import BigId
from server.db.types import time_column


class SyncLink(SQLModel, table=True):
    __tablename__ = "sync_links"

    licence: str = Field(primary_key=True, foreign_key="licensees.licence", max_length=40)
    system: str = Field(max_length=10)  # metrc | biotrack
    base_url: str = Field(max_length=500)
    cursor: int = Field(default=0, sa_type=sa.BigInteger)
    lease_owner: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    access: str = Field(default="up", max_length=4)  # up | lost
    last_success_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    created_at: datetime = Field(sa_column=time_column())
    # When the daily reconciliation last read the state's lists (server.statesync.daily).
    reconciled_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    # The first failure to reach the state since its last answer, and its cause; cleared by
    # the next answer (server.statesync.access). Kept here, not in a process's memory, so a
    # connector restarted during an outage goes on counting from the first failure.
    unreachable_since: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    unreachable_cause: str | None = Field(default=None, max_length=500)


class SyncCall(SQLModel, table=True):
    __tablename__ = "sync_calls"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "call_index", name="uq_sync_calls_event_call"),
        sa.Index("ix_sync_calls_licence_status", "licence", "status", "id"),
    )

    id: int | None = Field(default=None, sa_column=sa.Column(BigId, primary_key=True))
    licence: str = Field(max_length=40)
    event_id: str = Field(max_length=36)
    position: int = Field(sa_type=sa.BigInteger)  # the event's event_log.position
    call_index: int
    system: str = Field(max_length=10)
    action: str = Field(max_length=40)
    operator_id: str = Field(max_length=64)
    plan: str = Field(sa_type=sa.Text)  # JSON: the mapping's arguments, references unresolved
    request: str | None = Field(default=None, sa_type=sa.Text)  # JSON body as sent, fixed
    nonce: str | None = Field(default=None, max_length=80, unique=True)
    readback: str | None = Field(default=None, sa_type=sa.Text)  # JSON
    status: str = Field(max_length=10)
    not_before: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    state_ids: str | None = Field(default=None, sa_type=sa.Text)  # JSON list
    response: str | None = Field(default=None, sa_type=sa.Text)  # the state's answer, raw
    message: str | None = Field(default=None, sa_type=sa.Text)
    attempts: int = 0
    # True: the state refused the write itself (nothing done, ever); False: we could not make
    # or check the call (credentials, an unknown state id, a failed read-back). A retry of the
    # latter checks first whether an earlier send took effect.
    refusal_final: bool | None = None
    notification_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    created_at: datetime = Field(sa_column=time_column())
    first_sent_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    last_attempt_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    done_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))


class SyncObject(SQLModel, table=True):
    __tablename__ = "sync_objects"

    licence: str = Field(primary_key=True, max_length=40)
    system: str = Field(primary_key=True, max_length=10)
    kind: str = Field(primary_key=True, max_length=20)  # plant, room, batch, harvest, ...
    key: str = Field(primary_key=True, max_length=120)  # our identifier
    state_id: str = Field(max_length=40)
    data: str = Field(default="{}", sa_type=sa.Text)  # JSON
    updated_at: datetime = Field(sa_column=time_column())


class SyncOutage(SQLModel, table=True):
    __tablename__ = "sync_outages"

    id: int | None = Field(default=None, sa_column=sa.Column(BigId, primary_key=True))
    licence: str = Field(max_length=40, index=True)
    system: str = Field(max_length=10)
    lost_at: datetime = Field(sa_column=time_column())
    lost_cause: str = Field(sa_type=sa.Text)
    restored_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    backlog_at_restore: int | None = None
    notification_id: int | None = Field(default=None, sa_type=sa.BigInteger)


class SyncCredential(SQLModel, table=True):
    __tablename__ = "sync_credentials"

    licence: str = Field(primary_key=True, max_length=40)
    user_id: str = Field(primary_key=True, max_length=64)
    system: str = Field(primary_key=True, max_length=10)
    secret: str = Field(sa_type=sa.Text)  # a Fernet token; the plaintext is never stored
    updated_at: datetime = Field(sa_column=time_column())


SYNC_TABLES = ("sync_links", "sync_calls", "sync_objects", "sync_outages", "sync_credentials")
