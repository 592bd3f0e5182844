"""When an event says it happened: never after it reached the server.

An event's ``occurred_at`` is read from the station's clock; the server's receive time from
its own injected clock. A station's clock may run a little fast (NTP on a Raspberry Pi corrects
drift in steps), so an event may be dated up to :data:`CLOCK_SKEW` after its receipt; beyond
that the date is not an accurate record of when the thing happened (OR User Requirements
(1)-(2); CA 8402(a), 8404(c)) and the event is refused, naming how far ahead the station's
clock reads. A correction's replay judges events already in the log again without a receive
time: they were judged when they came.
"""

from collections.abc import Iterator
from datetime import timedelta

from schemas.events import EventEnvelope
from server.compliance.rules.base import rule
from server.compliance.rules.kinds import ALL_KINDS
from server.compliance.rules.state import StateView

# How far after its receipt an event may be dated: the drift a station's clock may show
# between NTP corrections, with room for the broker's queue. Documented in docs/mqtt.md.
CLOCK_SKEW = timedelta(minutes=5)


def _span(delta: timedelta) -> str:
    """``3 days 4 h 10 min`` / ``7 min 30 s``: how far ahead, as a person says it."""
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes else []
    parts += [f"{secs} s"] if secs and not days else []
    return " ".join(parts)


@rule(
    "NO-FUTURE-EVENT",
    summary="An event is dated no later than its receipt by the server plus the clock-skew "
    "tolerance (5 minutes); a later date is refused, naming how far ahead the station's clock "
    "reads.",
    kinds=ALL_KINDS,
)
def no_future_event(state: StateView, event: EventEnvelope) -> Iterator[str]:
    received = state.received_at()
    if received is None or event.occurred_at <= received + CLOCK_SKEW:
        return
    zone = state.licence().zone
    said, now = event.occurred_at.astimezone(zone), received.astimezone(zone)
    yield (
        f"This event is dated {said:%a %Y-%m-%d %H:%M:%S %Z}, after it reached the server at "
        f"{now:%a %Y-%m-%d %H:%M:%S %Z}: the clock of station {event.station_id} reads "
        f"{_span(event.occurred_at - received)} ahead of the server's (more than the "
        f"{_span(CLOCK_SKEW)} allowed); set the station's clock and record the event again "
        "with the time it happened"
    )
