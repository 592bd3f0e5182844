"""The app's start-up moves what it made out of the garbage collector's way, and gives it back
at shutdown (``server.api.app.lifespan``): a full collection during a request then walks only
what requests made, not the server's 230,000 start-up objects (docs/performance.md, Scale,
change 21)."""

import gc

from fastapi import FastAPI
from fastapi.testclient import TestClient


def test_start_up_objects_are_frozen_while_the_app_runs_and_handed_back_after(
    app: FastAPI,
) -> None:
    with TestClient(app) as client:
        assert client.get("/api/v1/licensees").status_code == 401  # serving
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the server's modules, the app, its routes
        gc.collect()
        assert gc.get_freeze_count() == frozen  # a collection leaves them alone
    assert gc.get_freeze_count() == 0
