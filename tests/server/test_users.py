"""Users are registered and trained as events: the server operator bootstraps a licensee's
account manager (and nothing else), the account manager registers the rest; ``seedtrace users``."""

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.main import app
from schemas.acks import Outcome
from schemas.clock import SYSTEM_CLOCK
from schemas.events import TagsReceived, TagType
from server.compliance.rules.people import SERVER_OPERATOR
from server.ingest.submit import submit
from server.ingest.users import UserRefused, register_user
from tests.pinned import pinned_clock
from tests.server.conftest import add_unstaffed_licensee
from tests.server.floor import uid

NEW = "CT-3003"
runner = CliRunner()


def register_jo(
    engine: Engine, licence: str, trainer: str, operator_id: str = SERVER_OPERATOR
) -> None:
    """Jo, a user trained on 2 May 2024 by ``trainer``, registered by ``operator_id``."""
    register_user(
        engine,
        licence,
        "jo",
        "Jo",
        "user",
        date(2024, 5, 2),
        trainer,
        operator_id=operator_id,
        clock=pinned_clock(),
    )


@pytest.fixture
def new_licensee(engine: Engine) -> str:
    add_unstaffed_licensee(engine, NEW, "Nutmeg Growers", "CT", "America/New_York")
    return NEW


def test_the_server_operator_bootstraps_the_account_manager(
    engine: Engine, new_licensee: str
) -> None:
    done = register_user(
        engine,
        new_licensee,
        "boss",
        "Bo Ss",
        "account_manager",
        date(2024, 5, 1),
        "DCP training",
        clock=pinned_clock(),
    )
    assert (done.registered.outcome, done.trained.outcome) == (Outcome.ACCEPTED, Outcome.ACCEPTED)
    register_jo(engine, new_licensee, "Bo Ss", operator_id="boss")
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT user_id, role, registered_by FROM users WHERE licence = :l ORDER BY user_id"
            ),
            {"l": new_licensee},
        ).all()
        log = conn.execute(
            sa.text("SELECT station_id, operator_id, kind FROM event_log WHERE licence = :l"),
            {"l": new_licensee},
        ).all()
    assert [tuple(r) for r in rows] == [
        ("boss", "account_manager", SERVER_OPERATOR),
        ("jo", "user", "boss"),
    ]
    assert [tuple(r) for r in log] == [
        ("console", SERVER_OPERATOR, "user.registered"),
        ("console", SERVER_OPERATOR, "user.trained"),
        ("console", "boss", "user.registered"),
        ("console", "boss", "user.trained"),
    ]


def test_the_server_operator_does_nothing_else(engine: Engine, new_licensee: str) -> None:
    with pytest.raises(UserRefused, match="USER-AUTHORISED: The server operator") as refused:
        register_jo(engine, new_licensee, "Nobody")
    assert [v.rule_id for v in refused.value.violations] == ["USER-AUTHORISED"]
    tags = TagsReceived(tag_type=TagType.PLANT, uids=[uid(1)])
    ack = submit(engine, new_licensee, SERVER_OPERATOR, tags, clock=SYSTEM_CLOCK)
    assert ack.outcome is Outcome.REJECTED
    assert "only registers and trains a licensee's account manager" in ack.violations[0].message


def test_cli_users_add_and_list(engine: Engine, database_url: str) -> None:
    added = runner.invoke(
        app,
        [
            "users", "add", "OR-1001", "j.garcia",
            "--name", "Jo Garcia", "--role", "user", "--trained-on", "2024-06-03",
            "--trainer", "Ana Chen", "--operator", "a.chen", "--database-url", database_url,
        ],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "registered j.garcia (user) for OR-1001, trained 2024-06-03" in added.output
    listed = runner.invoke(app, ["users", "list", "OR-1001", "--database-url", database_url])
    assert listed.exit_code == 0, listed.output
    assert "j.garcia\tuser\ttrained 2024-06-03\tactive\tJo Garcia" in listed.output


def test_cli_users_add_says_why_it_was_refused(engine: Engine, database_url: str) -> None:
    base = ["users", "add", "OR-1001", "j.garcia", "--name", "Jo Garcia", "--role", "user",
            "--trainer", "Ana Chen", "--database-url", database_url]  # fmt: skip
    refused = runner.invoke(app, [*base, "--trained-on", "2024-06-03"])  # by the server operator
    assert refused.exit_code == 1
    assert (
        "USER-AUTHORISED: The server operator (seedtrace@server) only registers" in refused.output
    )
    bad_date = runner.invoke(app, [*base, "--trained-on", "03/06/2024"])
    assert bad_date.exit_code == 2
    assert "is not a date (YYYY-MM-DD)" in bad_date.output
    bad_role = runner.invoke(app, [*base, "--trained-on", "2024-06-03", "--role", "boss"])
    assert bad_role.exit_code == 2
    assert "'boss' is not a valid Role" in bad_role.output
