"""The server's Prometheus metrics, served at ``GET /metrics`` (docs/operations.md, Metrics).

One :class:`ServerMetrics` per application: it owns its own
:class:`~prometheus_client.CollectorRegistry` (never the process-wide default), which the
API app that serves ``/metrics`` and the ingest worker of the same process share
(``seedtrace server``); tests make one each, so they never count each other's events.

What is counted, and nothing else: counts by outcome and by rule id, sizes and times. No
licence number, station, operator or tag UID appears in a label, so ``/metrics`` can be
scraped without a console session and shows no licensee's data.

``seedtrace_ingest_messages_total``          messages taken off the broker (events in)
``seedtrace_ingest_acks_total{outcome}``     acks published: accepted, rejected, duplicate
``seedtrace_ingest_rejections_total{rule_id}``  one per violated rule of a rejected event
                                             (regulation rules and contract rules alike)
``seedtrace_ingest_ack_latency_seconds``     from a message's receipt to the broker ack,
                                             after its station ack was published
``seedtrace_ingest_batch_size``              messages per batch the worker decided
``seedtrace_ingest_queue_depth``             messages received and not yet taken in a batch
``seedtrace_deadline_sweep_seconds``         time one deadline sweep took
"""

import collections
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from schemas.acks import Ack, Outcome

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
SWEEP_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class ServerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.messages = Counter(
            "seedtrace_ingest_messages", "Messages taken off the broker", registry=r
        )
        self.acks = Counter(
            "seedtrace_ingest_acks",
            "Acks published to stations, by outcome",
            ["outcome"],
            registry=r,
        )
        self.rejections = Counter(
            "seedtrace_ingest_rejections",
            "Rule violations of rejected events, by rule id",
            ["rule_id"],
            registry=r,
        )
        self.ack_latency = Histogram(
            "seedtrace_ingest_ack_latency_seconds",
            "From a message's receipt to its broker ack (its station ack published)",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_size = Histogram(
            "seedtrace_ingest_batch_size",
            "Messages per batch the ingest worker decided",
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.queue_depth = Gauge(
            "seedtrace_ingest_queue_depth",
            "Messages received and not yet taken in a batch",
            registry=r,
        )
        self.sweep_time = Histogram(
            "seedtrace_deadline_sweep_seconds",
            "Time one deadline sweep took",
            buckets=SWEEP_BUCKETS,
            registry=r,
        )

    # -- the ingest worker's calls -----------------------------------------------------------

    def watch_queue(self, depth: Callable[[], int]) -> None:
        """Read the ingest queue's depth at scrape time."""
        self.queue_depth.set_function(lambda: float(depth()))

    def acks_published(self, acks: Iterable[Ack]) -> None:
        """Count acks published (a batch's at once: one increment per outcome, not per ack)."""
        outcomes: collections.Counter[str] = collections.Counter()
        rules: collections.Counter[str] = collections.Counter()
        for ack in acks:
            outcomes[ack.outcome.value] += 1
            if ack.outcome is Outcome.REJECTED:
                rules.update({v.rule_id for v in ack.violations})
        for outcome, n in outcomes.items():
            self.acks.labels(outcome=outcome).inc(n)
        for rule_id in sorted(rules):
            self.rejections.labels(rule_id=rule_id).inc(rules[rule_id])

    def batch_done(self, received: Sequence[datetime], now: datetime) -> None:
        """A batch was decided and acknowledged; ``received``: when each message came."""
        self.messages.inc(len(received))
        self.batch_size.observe(len(received))
        for at in received:
            self.ack_latency.observe(max(0.0, (now - at).total_seconds()))

    # -- serving -----------------------------------------------------------------------------

    def exposition(self) -> tuple[bytes, str]:
        """The text exposition format and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
