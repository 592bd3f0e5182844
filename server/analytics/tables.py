"""The tables the analytics read and write (``server.db.analytics``, and the log, the licensees
and the plants they read), under the names the analytics use."""

from server.db.core_tables import ANALYTICS_RUNS as RUNS
from server.db.core_tables import ANALYTICS_SIGNALS as SIGNALS
from server.db.core_tables import EVENT_LOG as LOG
from server.db.core_tables import HARVEST_BALANCES as BALANCES
from server.db.core_tables import INVENTORY_PROJECTIONS as PROJECTIONS
from server.db.core_tables import LICENSEES as REGISTERED
from server.db.core_tables import PLANTS
from server.db.core_tables import SIGNAL_REVIEWS as REVIEWS
from server.db.core_tables import STRAIN_HISTORY as HISTORY

__all__ = [
    "BALANCES",
    "HISTORY",
    "LOG",
    "PLANTS",
    "PROJECTIONS",
    "REGISTERED",
    "REVIEWS",
    "RUNS",
    "SIGNALS",
]
