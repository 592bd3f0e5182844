"""Projection handlers, registered by the event payload they apply.

A handler is declared with ``@projects(PayloadModel)``; it receives the payload already typed,
and the registry keys it by the model's ``kind``. :func:`server.store.projections.apply` looks
the handler up. Failure modes: two handlers for one kind raise at import; an event whose
payload is not the registered model raises :class:`TypeError` naming the event.
"""

from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from pydantic import BaseModel

from schemas.events import EventEnvelope

P = TypeVar("P", bound=BaseModel)
Handler = Callable[[sa.Connection, EventEnvelope, int], None]
Typed = Callable[[sa.Connection, EventEnvelope, P, int], None]

HANDLERS: dict[str, Handler] = {}


def kind_of(model: type[BaseModel]) -> str:
    """The event kind a payload model declares (its ``kind`` field's default)."""
    field = model.model_fields.get("kind")
    if field is None or not isinstance(field.default, str):
        raise TypeError(f"{model.__name__} declares no event kind")
    return field.default


def projects(model: type[P]) -> Callable[[Typed[P]], Typed[P]]:
    """Register the decorated function as the projection of ``model``'s events."""
    kind = kind_of(model)

    def register(fn: Typed[P]) -> Typed[P]:
        if kind in HANDLERS:
            raise RuntimeError(f"two projections for {kind}")

        def handler(conn: sa.Connection, event: EventEnvelope, position: int) -> None:
            payload = event.payload
            if not isinstance(payload, model):
                raise TypeError(
                    f"event {event.event_id} is a {event.kind} but carries "
                    f"{type(payload).__name__}, not {model.__name__}"
                )
            fn(conn, event, payload, position)

        HANDLERS[kind] = handler
        return fn

    return register
