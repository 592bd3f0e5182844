"""Behind an HTTPS reverse proxy (docs/deploy.md): the real uvicorn configuration of
``seedtrace server`` believes X-Forwarded-Proto only from the configured proxy addresses, so the
console's session cookie is ``Secure`` and HSTS is sent exactly when the browser spoke HTTPS."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from sqlalchemy.engine import Engine

from cli.server_cmd import api_config
from schemas.clock import ManualClock
from server.api.app import create_app
from server.config import ServerSettings
from tests.api.conftest import MANAGER
from tests.api.people import PASSWORD
from tests.server.browser.harness import free_port

SITE = "farm.example"
FORM = {"login": MANAGER, "password": PASSWORD, "next": "/console/"}
VIA_PROXY = {"Host": SITE, "X-Forwarded-Proto": "https", "Origin": f"https://{SITE}"}


@contextmanager
def served(settings: ServerSettings, engine: Engine, clock: ManualClock) -> Iterator[str]:
    settings = settings.model_copy(update={"api_port": free_port()})
    server = uvicorn.Server(api_config(create_app(settings, engine, clock=clock), settings))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped before it started"
        assert time.monotonic() < deadline, "uvicorn did not start within 20 s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{settings.api_port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.mark.usefixtures("people")
def test_a_trusted_proxys_https_makes_the_cookie_secure_and_sends_hsts(
    settings: ServerSettings, engine: Engine, clock: ManualClock
) -> None:
    with served(settings, engine, clock) as url, httpx.Client(base_url=url) as client:
        answer = client.post("/console/sign-in", data=FORM, headers=VIA_PROXY)
        assert answer.status_code == 303, answer.text
        assert "Secure" in answer.headers["set-cookie"]
        assert answer.headers["strict-transport-security"] == "max-age=31536000"
        plain = client.post(
            "/console/sign-in", data=FORM, headers={"Host": SITE, "Origin": f"http://{SITE}"}
        )
        assert plain.status_code == 303
        assert "Secure" not in plain.headers["set-cookie"]  # plain HTTP: no Secure, no HSTS
        assert "strict-transport-security" not in plain.headers


@pytest.mark.usefixtures("people")
def test_forwarded_headers_from_an_untrusted_address_are_not_believed(
    settings: ServerSettings, engine: Engine, clock: ManualClock
) -> None:
    untrusted = settings.model_copy(update={"forwarded_allow_ips": ""})
    with served(untrusted, engine, clock) as url, httpx.Client(base_url=url) as client:
        answer = client.post("/console/sign-in", data=FORM, headers=VIA_PROXY)
        # Seen as plain HTTP, the HTTPS origin is another site's: the form is refused.
        assert answer.status_code == 403
        assert "set-cookie" not in answer.headers
        assert "strict-transport-security" not in answer.headers
