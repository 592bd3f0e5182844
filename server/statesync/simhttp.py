"""The HTTP layer both state-API simulators share: loopback server, fault layer, admin knobs.

Why the standard library's ``ThreadingHTTPServer`` and not an ASGI app on uvicorn: the most
important fault, "the write committed and then its answer was lost", needs the simulator to
drop the TCP connection **after** its handler has committed and **before** a single byte of the
answer is written. Here the handler owns the socket and simply shuts it down; an ASGI app
cannot do that (uvicorn answers 500 when the app fails before the response starts). It also
needs no event loop next to the caller's, so a test starts a simulator in a thread with no
ceremony. Each connection is served on its own thread; the simulator's apps serialise their
store access with one lock, so the simulated state system behaves like one database.

A request goes: admin path (``/_sim/...``, never faulted) or: latency -> outage/storm/5xx
(:class:`server.statesync.faults.FaultState`) -> the app -> if the app says it committed a
write, maybe lose the answer -> the JSON answer. Bodies are JSON; decimals go out as JSON
numbers (the state APIs take numbers) and come in as :class:`decimal.Decimal`.
"""

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from schemas.clock import Clock
from server.statesync.faults import FaultState
from server.statesync.wire import dumps, loads

__all__ = ["SimApp", "SimRequest", "SimResponse", "SimServer"]

log = logging.getLogger(__name__)

MAX_BODY = 4 * 1024 * 1024  # a state API refuses huge bodies too; ours would be a bug


@dataclass(frozen=True)
class SimRequest:
    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]  # names lowercased
    body: bytes

    def param(self, name: str) -> str | None:
        """A query parameter (case-insensitive name, as ASP.NET reads them), or None."""
        for key, values in self.query.items():
            if key.lower() == name.lower() and values:
                return values[0]
        return None


@dataclass
class SimResponse:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    # The request changed the store: the lose-the-answer fault may apply to it.
    committed_write: bool = False


class SimApp(Protocol):
    """A simulated state system: the part behind the shared HTTP and fault layer."""

    def handle(self, request: SimRequest) -> SimResponse: ...

    def admin(self, request: SimRequest) -> SimResponse | None:
        """An app-specific ``/_sim/...`` request (seeding users, tags); None if unknown."""
        ...


class SimServer:
    """Serves ``app`` on ``http://host:port`` (port 0: a free one) until :meth:`stop`."""

    def __init__(
        self, app: SimApp, faults: FaultState, clock: Clock, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.app = app
        self.faults = faults
        self.clock = clock
        self._httpd = ThreadingHTTPServer((host, port), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> str:
        self._thread = threading.Thread(
            # A short poll: stop() waits for it, and tests start and stop many servers.
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"statesim {self.url}",
            daemon=True,
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def serve(self, request: SimRequest) -> SimResponse | None:
        """The answer to ``request``, or None to drop the connection without one."""
        if request.path.startswith("/_sim/"):
            return self._admin(request)
        delay = self.faults.latency_s()
        if delay > 0:
            time.sleep(delay)  # a delay, not a clock reading: the injected clock stays put
        blocked = self.faults.interfere(self.clock.now())
        if blocked is not None:
            headers = {}
            if blocked.retry_after_s is not None:
                headers["Retry-After"] = str(blocked.retry_after_s)
            return SimResponse(blocked.status, {"Message": blocked.message}, headers)
        response = self.app.handle(request)
        if response.committed_write and self.faults.lose_response():
            log.info("fault: %s %s committed, answer dropped", request.method, request.path)
            return None
        return response

    def _admin(self, request: SimRequest) -> SimResponse:
        if request.path == "/_sim/faults":
            now = self.clock.now()
            if request.method == "GET":
                return SimResponse(200, self.faults.describe(now))
            if request.method == "POST":
                try:
                    patch = loads(request.body or b"{}")
                    if not isinstance(patch, dict):
                        raise ValueError("the body must be a JSON object of knobs to change")
                    self.faults.update(patch, now)
                except ValueError as err:
                    return SimResponse(400, {"Message": str(err)})
                return SimResponse(200, self.faults.describe(now))
        answer = self.app.admin(request)
        if answer is None:
            return SimResponse(
                404, {"Message": f"no admin endpoint {request.method} {request.path}"}
            )
        return answer


def _make_handler(server: SimServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real APIs and httpx use

        def setup(self) -> None:
            super().setup()
            # Headers and body are two writes: without this, Nagle and delayed ACK add ~40 ms.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s " + format, self.address_string(), *args)

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
            self._serve()

        def do_DELETE(self) -> None:
            self._serve()

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._write(SimResponse(413, {"Message": f"body over {MAX_BODY} bytes"}))
                self.close_connection = True
                return
            body = self.rfile.read(length) if length > 0 else b""
            split = urlsplit(self.path)
            request = SimRequest(
                method=self.command,
                path=split.path.rstrip("/") or "/",
                query=parse_qs(split.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            try:
                response = server.serve(request)
            except Exception:  # the top of this connection's loop: a simulator bug
                log.exception("simulator failed on %s %s", self.command, self.path)
                response = SimResponse(500, {"Message": "simulator error (see its log)"})
            if response is None:
                self.close_connection = True
                with contextlib.suppress(OSError):  # the peer went first: nothing to drop
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            self._write(response)

        def _write(self, response: SimResponse) -> None:
            payload = dumps(response.body)
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler
