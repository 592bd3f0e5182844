"""The central service: MQTT ingest, regulatory rules, the event store, REST API and console.

Imports only ``schemas`` of ours. Layout:

- :mod:`server.config`    typed settings (``SEEDTRACE_*`` environment variables)
- :mod:`server.db`        engine, column types, tables, Alembic migrations
- :mod:`server.store`     the append-only event log, projections, rebuild
- :mod:`server.rules`     pure rule functions with their IDs and citations
- :mod:`server.ingest`    the MQTT worker and the per-event pipeline
"""
