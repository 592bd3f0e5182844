"""``server.db.among``: a column among many values, sent as one parameter, finds exactly the
rows ``IN`` finds, on SQLite and PostgreSQL, for none, a few and many values."""

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from server.db.among import FEW, among
from server.db.core_tables import LICENSEES as LIC
from tests.server.conftest import LICENCE, OTHER_LICENCE

MANY = [f"OR-{n:04d}" for n in range(500)]


@pytest.mark.parametrize(
    "wanted",
    [
        [],
        [LICENCE],
        [LICENCE, OTHER_LICENCE],
        [*MANY, OTHER_LICENCE],
        [*MANY, 'it\'s "quoted", [not] json'],
    ],
    ids=["none", "one", "two", "many", "many-odd"],
)
def test_among_finds_what_in_finds(engine: Engine, wanted: list[str]) -> None:
    with engine.connect() as conn:
        known = set(conn.execute(sa.select(LIC.c.licence)).scalars())
        found = conn.execute(sa.select(LIC.c.licence).where(among(LIC.c.licence, wanted)))
        assert set(found.scalars()) == known & set(wanted)
    assert {LICENCE, OTHER_LICENCE} <= known  # the fixture's licensees: something to find


def test_many_values_are_one_parameter(engine: Engine) -> None:
    many = sa.select(LIC.c.licence).where(among(LIC.c.licence, MANY))
    few = sa.select(LIC.c.licence).where(among(LIC.c.licence, MANY[:FEW]))
    sent = {"render_postcompile": True}  # as executed: an IN's one parameter per value
    assert len(many.compile(engine, compile_kwargs=sent).params) == 1
    assert len(few.compile(engine, compile_kwargs=sent).params) == FEW
