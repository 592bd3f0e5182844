"""Live updates over server-sent events (``text/event-stream``), polled from the database.

Why polling: the ingest worker usually runs in another process (or several), so the database
is the one place every decided event reaches. Each open stream asks it "anything after
position N?" every :data:`POLL_S` seconds with an indexed range query, in a worker thread so
the event loop never blocks on the database.

Wire format (the browser's ``EventSource`` parses it): each message is ``event: <name>``,
``id: <cursor>``, one ``data:`` line per line of HTML, then a blank line. The browser sends
the last ``id`` back as ``Last-Event-ID`` when it reconnects, so nothing is missed or repeated.
A comment line (``: keep-alive``) goes out when nothing happened for :data:`KEEPALIVE_S`, so
proxies keep the connection open. A stream ends after :data:`MAX_STREAM_S` (the browser
reconnects at once), so a server shutting down never waits long for open streams.

The session is checked again every :data:`SESSION_CHECK_S`: when it has ended (signed out,
expired, or the person was cancelled) the stream sends ``event: ended`` and closes, and the
page goes to the sign-in form at once instead of showing data to someone who lost access.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

POLL_S = 0.5
KEEPALIVE_S = 15.0
MAX_STREAM_S = 300.0
RETRY_MS = 1000
SESSION_CHECK_S = 2.0


@dataclass(frozen=True, slots=True)
class Message:
    event: str
    data: str
    id: str | None = None

    def encode(self) -> bytes:
        lines = [f"event: {self.event}"]
        if self.id is not None:
            lines.append(f"id: {self.id}")
        lines += [f"data: {line}" for line in self.data.splitlines() or [""]]
        return ("\n".join(lines) + "\n\n").encode()


Poll = Callable[[], list[Message]]
"""Called every POLL_S seconds in a worker thread; returns what is new since the last call
(it keeps its own cursor)."""


def stream(
    request: Request,
    poll: Poll,
    *,
    signed_in: Callable[[], bool],
    poll_s: float = POLL_S,
) -> StreamingResponse:
    """A ``text/event-stream`` response that sends whatever ``poll`` returns while
    ``signed_in()`` (called in a worker thread) says the session is still valid."""

    async def messages() -> AsyncIterator[bytes]:
        yield f"retry: {RETRY_MS}\n\n".encode()
        started = last_sent = checked = time.monotonic()
        while time.monotonic() - started < MAX_STREAM_S:
            if await request.is_disconnected():
                return
            if time.monotonic() - checked >= SESSION_CHECK_S:
                checked = time.monotonic()
                if not await run_in_threadpool(signed_in):
                    yield Message("ended", "Your session has ended.").encode()
                    return
            new = await run_in_threadpool(poll)
            for message in new:
                yield message.encode()
            now = time.monotonic()
            if new:
                last_sent = now
            elif now - last_sent >= KEEPALIVE_S:
                yield b": keep-alive\n\n"
                last_sent = now
            await asyncio.sleep(poll_s)

    return StreamingResponse(
        messages(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def last_event_id(request: Request) -> int | None:
    """The cursor the browser resumes from after a reconnect, when it sent a valid one."""
    raw = request.headers.get("last-event-id")
    if raw is None or not raw.isdigit():
        return None
    return int(raw)
