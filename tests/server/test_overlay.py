"""The batch overlay answers from what the batch's one read brought, without going back to the
database: a rule asking for the licence (every USER-AUTHORISED check does, for the premises'
calendar) must not cost a flush and a query per batch."""

from sqlalchemy.engine import Engine

from server.store.overlay import Overlay, Writes
from server.store.state import DbState
from tests.server.conftest import LICENCE


def test_the_licence_read_with_the_batch_is_kept(engine: Engine) -> None:
    flushed: list[str] = []
    with engine.connect() as conn:
        state = DbState(conn, LICENCE).licence()
        overlay = Overlay(conn, LICENCE, Writes(), lambda: flushed.append("flush"), state)
        assert overlay.licence() is state
        assert flushed == []
        overlay.forget()  # the database changed behind it: read again, after a flush
        assert overlay.licence() == state
        assert flushed == ["flush"]
