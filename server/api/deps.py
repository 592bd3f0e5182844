"""Dependencies of the API's routes: the engine, the clock and the event recorder.

All of them come from ``app.state`` (set by :func:`server.api.app.create_app`), never from
module globals, so a test builds an app on its own database and clock.
"""

from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, BaseModel
from sqlalchemy.engine import Engine

from schemas.acks import Outcome, Violation
from schemas.clock import Clock
from schemas.events import Payload
from server.accounts.deps import Scope
from server.api import contract
from server.api.errors import EventRejected
from server.appstate import get_clock as get_clock
from server.appstate import get_engine as get_engine
from server.config import ServerSettings
from server.ingest.submit import submit


def get_settings(request: Request) -> ServerSettings:
    settings: ServerSettings = request.app.state.settings
    return settings


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[ServerSettings, Depends(get_settings)]
ClockDep = Annotated[Clock, Depends(get_clock)]


class Recorded(BaseModel):
    """An event recorded and accepted; ``notices`` flag what a compliance manager must know
    (a late record, say) without refusing it."""

    event_id: str
    kind: str
    sequence: int
    received_at: AwareDatetime
    notices: list[Violation]


@dataclass(frozen=True, slots=True)
class Recorder:
    """Records one event through the ingest pipeline, attributed to the signed-in user
    (ACCOUNTABLE), under the pseudo-station ``console``."""

    engine: Engine
    clock: Clock

    def __call__(self, scope: Scope, payload: Payload) -> Recorded:
        """Raises EventRejected (422 with the violations) when a rule refuses the event; the
        log keeps the rejected attempt either way."""
        ack = submit(self.engine, scope.licence, scope.operator_id, payload, clock=self.clock)
        if ack.outcome is not Outcome.ACCEPTED or ack.event_id is None or ack.sequence is None:
            raise EventRejected(ack)
        return Recorded(
            event_id=ack.event_id,
            kind=payload.kind,
            sequence=ack.sequence,
            received_at=ack.received_at,
            notices=list(ack.notices),
        )


E = TypeVar("E", bound=BaseModel)


def event_of(kind: type[E], body: BaseModel, **ids: str) -> E:
    """The event ``kind`` made of a request ``body`` and the ids its URL named (``user_id=``):
    a route's body is the event's payload less what the path already says, so its fields are
    passed on as they are (a ValidationError, a server error, if the two ever disagree)."""
    return kind(**dict(body), **ids)


def get_recorder(engine: EngineDep, clock: ClockDep) -> Recorder:
    return Recorder(engine, clock)


RecorderDep = Annotated[Recorder, Depends(get_recorder)]


def known_query(request: Request) -> None:
    """Refuse (422, naming it) a query parameter the operation does not document: a misspelt
    filter (``?limt=5``, ``?stauts=open``) must not silently list everything; and one that
    takes a single value but was given several. What an operation takes is read from the API's
    own OpenAPI document (:mod:`server.api.contract`)."""
    taken = contract.query_names(request)
    unknown = sorted(set(request.query_params) - taken)
    if unknown:
        takes = f" (it takes: {', '.join(sorted(taken))})" if taken else " (it takes none)"
        raise RequestValidationError(
            [
                {
                    "loc": ("query", name),
                    "msg": "not a parameter of this operation" + takes,
                    "type": "extra_forbidden",
                }
                for name in unknown
            ]
        )
    # A single-valued filter given twice (?location=a&location=b) would otherwise be read as
    # its last value alone: refuse it rather than list something the client did not ask for.
    repeatable = contract.repeatable_query_names(request)
    repeated = sorted(
        name
        for name in set(request.query_params)
        if name not in repeatable and len(request.query_params.getlist(name)) > 1
    )
    if repeated:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", name),
                    "msg": f"given {len(request.query_params.getlist(name))} times; this "
                    "parameter takes one value",
                    "type": "too_long",
                }
                for name in repeated
            ]
        )


NUL_IN_JSON = b"\\u0000"  # how JSON writes U+0000 inside a string


async def no_nul(request: Request) -> None:
    """Refuse (422) a NUL character (U+0000) anywhere in the path, the query or a JSON body.
    No field of the record may hold one, and PostgreSQL cannot store one in text: it would
    otherwise reach the database and fail there as a server error."""
    where = None
    if "\x00" in request.url.path:
        where = ("path", "")
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            where = ("query", name.replace("\x00", ""))
    if where is None:
        body = await request.body()  # Starlette keeps it: the route reads it again
        # An escaped backslash before "u0000" is the text \u0000, not a NUL.
        if b"\x00" in body or NUL_IN_JSON in body.replace(b"\\\\", b""):
            where = ("body", "")
    if where is not None:
        raise RequestValidationError(
            [
                {
                    "loc": where,
                    "msg": "a NUL character (U+0000) is not allowed here",
                    "type": "string_nul",
                }
            ]
        )
