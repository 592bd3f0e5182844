"""The seedtrace event contract, shared by stations and the central service.

This package depends on nothing else of ours. It holds the versioned event models
(:mod:`schemas.events`), the acknowledgement the server sends back (:mod:`schemas.acks`),
the station status message (:mod:`schemas.status`), exact weights (:mod:`schemas.weights`),
identifier formats (:mod:`schemas.ids`), the MQTT topic layout (:mod:`schemas.topics`) and
the one line of plain English a person reads for an event (:mod:`schemas.describe`).
The JSON Schema files in ``schemas/json/`` and ``schemas/asyncapi.yaml`` are generated from
these models by ``python -m schemas.generate``. Import from the module that defines a name
(``from schemas.events import EventEnvelope``): the package itself re-exports nothing.
"""
