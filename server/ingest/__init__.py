"""MQTT ingest: parse, order, decide and store station events, then answer each station.

- :mod:`server.ingest.parse`     bytes + topic -> an event, or a rejection naming the problem
- :mod:`server.ingest.pipeline`  the transaction: exactly-once, per-station order, rules, store
- :mod:`server.ingest.worker`    the paho-mqtt client: shared subscription, manual acks
"""
