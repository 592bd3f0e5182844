"""What the web app keeps on ``app.state``, read by the API's and the console's dependencies.

The application factory (:func:`server.api.app.create_app`) puts the engine and the clock
there in its lifespan; a request that finds either missing is a wiring bug, reported as such.
"""

from fastapi import Request
from sqlalchemy.engine import Engine

from schemas.clock import Clock


def get_engine(request: Request) -> Engine:
    """The app's database engine; :class:`RuntimeError` if the lifespan did not build one."""
    engine = getattr(request.app.state, "engine", None)
    if not isinstance(engine, Engine):
        raise RuntimeError("the app has no engine (app.state.engine); build it in the lifespan")
    return engine


def get_clock(request: Request) -> Clock:
    """The app's clock; :class:`RuntimeError` if the lifespan did not set one."""
    clock = getattr(request.app.state, "clock", None)
    if not isinstance(clock, Clock):
        raise RuntimeError("the app has no clock (app.state.clock); build it in the lifespan")
    return clock
