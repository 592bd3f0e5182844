"""Close SQLite's REPLACE path into the event log.

SQLite resolves ``INSERT OR REPLACE`` / ``REPLACE INTO`` with an existing key by deleting the
old row *without* firing DELETE triggers (unless ``recursive_triggers`` is on), so the UPDATE
and DELETE triggers of the first migration did not stop a stored event from being rewritten.
A BEFORE INSERT trigger now refuses any insert whose ``position`` or ``event_id`` is already in
the log, before conflict resolution can run; the connection also turns ``recursive_triggers``
on (``server/db/engine.py``). PostgreSQL has no REPLACE, and its ``ON CONFLICT DO UPDATE``
already fires the UPDATE trigger, so nothing changes there.
"""

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"

REFUSAL = "event_log is append-only: the legal record cannot be changed (NO-FALSIFICATION)"


def upgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE TRIGGER event_log_no_replace BEFORE INSERT ON event_log "
        "WHEN EXISTS (SELECT 1 FROM event_log "
        "WHERE position = NEW.position OR event_id = NEW.event_id) "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
    )


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS event_log_no_replace")
