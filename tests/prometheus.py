"""/metrics as Prometheus reads it, for the station's and the server's metrics tests.

:func:`samples` parses a text exposition; :func:`server_metrics` scrapes the server's API app
as Prometheus does, without a session.
"""

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine

from schemas.clock import SYSTEM_CLOCK
from server.api.app import create_app
from server.config import ServerSettings
from server.metrics import ServerMetrics

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]  # (name, labels) -> value


def samples(text: str) -> Samples:
    """Every sample of the exposition ``text``, by name and sorted labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def server_metrics(engine: Engine, metrics: ServerMetrics) -> tuple[str, Samples]:
    """The server's /metrics text and samples, served by the API app of the process whose
    ``metrics`` they are (the ingest worker's, say); fails unless it answers 200, text/plain."""
    app = create_app(ServerSettings(), engine, clock=SYSTEM_CLOCK, metrics=metrics)
    with TestClient(app) as client:
        response = client.get("/metrics")  # no session: Prometheus does not log on
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text, samples(response.text)
