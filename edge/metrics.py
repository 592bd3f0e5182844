"""The station's Prometheus metrics, on a local port when ``[metrics] enabled = true``.

Each agent has its own :class:`~prometheus_client.CollectorRegistry` (never the process-wide
default), so two agents in one process (the tests) count apart. What is exposed, all prefixed
``seedtrace_station_``:

``outbox_depth`` / ``outbox_capacity``   events waiting in the outbox, and how many fit (gauges)
``device_state{device,state}``          1 for each device's current state (closed, ready,
                                        unavailable, error), 0 for the others
``broker_reconnects_total``             log-ons to the broker after the first one
``events_published_total``              events handed to MQTT (a resend counts again)
``events_acked_total{outcome}``         acks deciding an event: accepted or rejected
``events_rejected_total{rule_id}``      rejections (by a regulation rule or the contract),
                                        by the rule's id

Nothing here names a person, a tag or the licence: the port is meant for a site's monitoring.
Failure mode: :func:`serve` raises OSError when the port is taken (the agent says so and
does not start).
"""

from collections.abc import Callable, Iterator
from threading import Thread
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from devices.base import DeviceState

DEVICE_STATES = [*(s.value for s in DeviceState), "error"]


class _DeviceStates(Collector):
    """Reads the devices' states at scrape time (the hub's dict; one state per device)."""

    def __init__(self, states: Callable[[], dict[str, str]]) -> None:
        self._states = states

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "seedtrace_station_device_state",
            "1 for the device's current state, 0 for the others",
            labels=["device", "state"],
        )
        for device, current in sorted(self._states().items()):
            for state in sorted({*DEVICE_STATES, current}):
                family.add_metric([device, state], 1.0 if state == current else 0.0)
        yield family


class StationMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.outbox_depth = Gauge(
            "seedtrace_station_outbox_depth", "Events waiting in the outbox", registry=r
        )
        self.outbox_capacity = Gauge(
            "seedtrace_station_outbox_capacity", "Events the outbox holds at most", registry=r
        )
        self.reconnects = Counter(
            "seedtrace_station_broker_reconnects",
            "Log-ons to the broker after the first",
            registry=r,
        )
        self.published = Counter(
            "seedtrace_station_events_published",
            "Events handed to MQTT (resends count again)",
            registry=r,
        )
        self.acked = Counter(
            "seedtrace_station_events_acked",
            "Acks deciding an event, by outcome",
            ["outcome"],
            registry=r,
        )
        self.rejected = Counter(
            "seedtrace_station_events_rejected",
            "Events rejected or refused by the server, by rule id",
            ["rule_id"],
            registry=r,
        )

    def watch(
        self, depth: Callable[[], int], capacity: int, states: Callable[[], dict[str, str]]
    ) -> None:
        """Read the outbox depth and the devices' states when scraped."""
        self.outbox_depth.set_function(lambda: float(depth()))
        self.outbox_capacity.set(capacity)
        self.registry.register(_DeviceStates(states))

    def serve(self, host: str, port: int) -> tuple[WSGIServer, Thread]:
        """Serve ``/metrics`` on ``host:port`` (port 0: any free one) on a daemon thread."""
        server, thread = start_http_server(port, addr=host, registry=self.registry)
        return server, thread
