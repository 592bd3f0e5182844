"""The tables the analytics read and write, reached once (``server.db.analytics``, and the log
and the plants they read)."""

from server.db.analytics import (
    AnalyticsRun,
    HarvestBalanceRow,
    InventoryProjection,
    SignalReview,
    SignalRow,
    StrainHistory,
)
from server.db.core import table_of
from server.db.tables import EventLog, Licensee, Plant

RUNS = table_of(AnalyticsRun)
BALANCES = table_of(HarvestBalanceRow)
SIGNALS = table_of(SignalRow)
REVIEWS = table_of(SignalReview)
HISTORY = table_of(StrainHistory)
PROJECTIONS = table_of(InventoryProjection)
LOG = table_of(EventLog)
REGISTERED = table_of(Licensee)
PLANTS = table_of(Plant)
