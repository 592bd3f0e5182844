"""The mosquitto settings every seedtrace broker needs, whatever its listeners.

Shared by the production config (:mod:`server.brokerauth.conf`) and the private broker of tests
and the demo (:mod:`server.broker`). Measured in ``docs/platform-facts.md``:

- ``set_tcp_nodelay true``: without it each QoS 1 round trip waits ~88 ms for delayed ACKs;
- ``max_queued_messages`` / ``max_queued_bytes`` raised: past the default 1000, mosquitto
  silently drops QoS 1 messages it already PUBACKed;
- ``max_inflight_messages`` raised, so an ingest process with manual acks can hold a batch;
- ``max_packet_size`` bounds what one client may send (1 MiB).
"""

TUNING = (
    "set_tcp_nodelay true",
    "max_queued_messages 1000000",
    "max_queued_bytes 0",
    "max_inflight_messages 1000",
    "max_packet_size 1048576",
)
