"""The station display: one page served on localhost for the kiosk browser on the touchscreen.

Standard library only (``http.server``, a thread per connection; a Pi's kiosk holds one or
two): no web framework in the edge extra. The page (``page.html``) has its CSS and script
inline, nothing from a CDN, so it works with the network down. Routes:

=================  =============================================================================
``GET /``          the page
``GET /state``     the view as JSON (:meth:`edge.agent.Agent.view`)
``GET /events``    server-sent events: the view each time it changes (a comment every 15 s
                   keeps the connection open)
``POST /action``   ``{"action": ...}`` from a touch target; answers ``{"ok", "message"}``
=================  =============================================================================

``POST /action`` must be JSON (``Content-Type: application/json``), which a page from another
origin cannot send without a CORS preflight we never answer, and an ``Origin`` header, if
present, must be this server's: other sites open in a browser cannot drive the station.
"""

import json
import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any, Protocol

log = logging.getLogger("seedtrace.edge.display")

KEEPALIVE_S = 15.0
MAX_BODY = 16 * 1024


class ViewSource(Protocol):
    def view(self, after: int = -1, timeout: float = 0.0) -> tuple[int, dict[str, Any]]: ...

    def submit(self, body: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]: ...


def _page() -> bytes:
    return resources.files("edge.display").joinpath("page.html").read_bytes()


class DisplayServer:
    def __init__(self, source: ViewSource, host: str = "127.0.0.1", port: int = 8080) -> None:
        self.source = source
        self.stopping = threading.Event()
        handler = type("Handler", (_Handler,), {"display": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.page = _page()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="display", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    display: DisplayServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: HTTPStatus, data: Any) -> None:
        self._send(status, json.dumps(data).encode(), "application/json")

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/":
            self._send(HTTPStatus.OK, self.display.page, "text/html; charset=utf-8")
        elif path == "/state":
            version, view = self.display.source.view()
            self._json(HTTPStatus.OK, {**view, "version": version})
        elif path == "/events":
            self._stream()
        else:
            self._json(HTTPStatus.NOT_FOUND, {"ok": False, "message": f"no page {path}"})

    def _stream(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        version = -1
        try:
            while not self.display.stopping.is_set():
                new, view = self.display.source.view(after=version, timeout=KEEPALIVE_S)
                if new == version:
                    self.wfile.write(b": keepalive\n\n")
                else:
                    version = new
                    data = json.dumps({**view, "version": version})
                    self.wfile.write(f"data: {data}\n\n".encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return  # the browser went away (page reloaded, kiosk restarted)

    def do_POST(self) -> None:
        if self.path != "/action":
            self._json(HTTPStatus.NOT_FOUND, {"ok": False, "message": f"no action at {self.path}"})
            return
        host = self.headers.get("Host", "")
        origin = self.headers.get("Origin")
        if origin is not None and origin != f"http://{host}":
            self._json(HTTPStatus.FORBIDDEN, {"ok": False, "message": "foreign origin"})
            return
        if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            self._json(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, {"ok": False, "message": "send JSON"})
            return
        length = int(self.headers.get("Content-Length", "0") or 0)
        if length > MAX_BODY:
            self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"ok": False, "message": "too big"})
            return
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError as err:
            self._json(HTTPStatus.BAD_REQUEST, {"ok": False, "message": f"not JSON: {err}"})
            return
        if not isinstance(body, dict):
            self._json(HTTPStatus.BAD_REQUEST, {"ok": False, "message": "send a JSON object"})
            return
        self._json(HTTPStatus.OK, self.display.source.submit(body))
