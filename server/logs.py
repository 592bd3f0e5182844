"""The server's log lines: JSON for production, plain for a terminal (docs/operations.md, Logs).

``seedtrace server --log-format json`` (or ``SEEDTRACE_LOG_FORMAT=json``) writes one JSON
object a line (``python-json-logger``): ``time``, ``level``, ``logger``, ``message``, and the
record's ids: every ingest line about events carries ``event_id`` and ``station_id`` (one
event), or ``event_ids`` and ``station_ids`` (a batch), plus ``licence``. A traceback is in
``exc_info``. The plain format puts the same ids in brackets after the message.

Ids go on a line through :func:`ids` (``log.warning(..., extra=ids(envelope))``), or for
everything logged inside a block through :func:`log_context` (the ingest worker wraps the
deciding of a batch in one, so lines logged deeper down carry the batch's ids too).
"""

import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal, TextIO

from pythonjsonlogger.json import JsonFormatter

from schemas.events import EventEnvelope
from schemas.topics import StationTopic

LogFormat = Literal["plain", "json"]
ID_FIELDS = ("licence", "station_id", "event_id", "station_ids", "event_ids", "sequence")
PLAIN = "%(asctime)s %(name)s %(levelname)s %(message)s"

_context: ContextVar[dict[str, Any] | None] = ContextVar("seedtrace_log_ids", default=None)


def ids(envelope: EventEnvelope) -> dict[str, Any]:
    """The ids of one event, for a log line's ``extra``."""
    return {
        "licence": envelope.licence,
        "station_id": envelope.station_id,
        "event_id": envelope.event_id,
    }


def refused_ids(station: StationTopic | None, event_id: str | None) -> dict[str, Any]:
    """The ids of a refused message: what its topic and (if it could be read) it named."""
    fields: dict[str, Any] = {} if event_id is None else {"event_id": event_id}
    if station is not None:
        fields.update(licence=station.licence, station_id=station.station_id)
    return fields


def batch_ids(envelopes: Sequence[EventEnvelope]) -> dict[str, Any]:
    """The ids of a batch: one event's as :func:`ids`, several as lists (in batch order)."""
    if len(envelopes) == 1:
        return ids(envelopes[0])
    return {
        "event_ids": [e.event_id for e in envelopes],
        "station_ids": sorted({f"{e.licence}/{e.station_id}" for e in envelopes}),
    }


@contextmanager
def log_context(fields: dict[str, Any]) -> Iterator[None]:
    """Put ``fields`` on every line logged (on this thread) inside the block; an inner block's
    fields replace an outer one's (one event of a batch being decided alone)."""
    token = _context.set(dict(fields))
    try:
        yield
    finally:
        _context.reset(token)


class _ContextIds(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_context.get() or {}).items():
            if not hasattr(record, key):  # a line's own extra wins
                setattr(record, key, value)
        return True


class _PlainWithIds(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        found = [f"{k}={getattr(record, k)}" for k in ID_FIELDS if hasattr(record, k)]
        if not found:
            return line
        head, newline, rest = line.partition("\n")  # the ids before a traceback
        return f"{head} [{' '.join(found)}]{newline}{rest}"


def formatter(fmt: LogFormat) -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    return _PlainWithIds(PLAIN)


def handler(fmt: LogFormat, stream: TextIO | None = None) -> logging.Handler:
    """A handler writing ``fmt`` lines to ``stream`` (stderr), the log context's ids added."""
    out = logging.StreamHandler(sys.stderr if stream is None else stream)
    out.setFormatter(formatter(fmt))
    out.addFilter(_ContextIds())
    return out


def configure(level: str, fmt: LogFormat) -> None:
    """Send every log line to stderr in ``fmt``; replaces handlers set up before."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler(fmt))
    root.setLevel(level.upper())
