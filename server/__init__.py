"""The central service: MQTT ingest, regulatory rules, the event store, REST API and console.

Imports only ``schemas`` of ours. Its packages, top floor first; each may import only the
floors below it (``[tool.importlinter]`` in ``pyproject.toml``; ``docs/architecture.md``):

- :mod:`server.broker`, :mod:`server.migrations`: the private mosquitto harness, Alembic
- :mod:`server.compliance`: the rules, the deadline engine, their catalogue and its docs
- :mod:`server.api`, :mod:`server.console`: delivery, the REST API and the ops console
- :mod:`server.appstate`, :mod:`server.documents`: what both share; printable PDFs
- :mod:`server.vegadraw`: the console's chart renderer (a child process)
- :mod:`server.ingest`, :mod:`server.statesync`, :mod:`server.health`: the services
- :mod:`server.metrics`, :mod:`server.logs`, :mod:`server.mqttclient`, :mod:`server.config`
- :mod:`server.accounts`, :mod:`server.analytics`, :mod:`server.reads`, :mod:`server.store`:
  people, mass balance and diversion signals, the read model,
  the append-only log and its projections
- :mod:`server.brokerauth`: the broker's account files
- :mod:`server.db`: engine, column types, tables
"""
