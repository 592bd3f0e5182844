"""``seedtrace web``: the REST API and the ops console under uvicorn, with the station health
listener in the same process (it needs a broker account that may read status topics: the
``console`` role of ``seedtrace broker credentials``)."""

import logging
from typing import Annotated

import typer

from cli.server_cmd import DatabaseUrl, _settings


def web(
    database_url: DatabaseUrl = None,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    mqtt_host: Annotated[str | None, typer.Option(help="Broker host (station health).")] = None,
    mqtt_port: Annotated[int | None, typer.Option(help="Broker port (station health).")] = None,
    health: Annotated[
        bool, typer.Option("--health/--no-health", help="Listen to the stations' status topics.")
    ] = True,
    migrate_first: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Apply migrations at start.")
    ] = True,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING, ERROR.")] = "INFO",
) -> None:
    """Serve the REST API (/api/v1, /docs) and the ops console (/console)."""
    import uvicorn

    from server.api.app import create_app
    from server.db.engine import make_engine, migrate
    from server.health.listener import HealthListener

    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    settings = _settings(database_url=database_url, mqtt_host=mqtt_host, mqtt_port=mqtt_port)
    engine = make_engine(settings.database_url)
    if migrate_first:
        migrate(engine)
    listener = HealthListener(settings, engine) if health else None
    if listener is not None:
        listener.start()
    try:
        uvicorn.run(create_app(settings, engine), host=host, port=port, log_level=log_level.lower())
    finally:
        if listener is not None:
            listener.stop()
        engine.dispose()
