"""Every table's SQLAlchemy Core :class:`~sqlalchemy.Table`, reached once, under the table's
own name in capitals (``event_log``: :data:`EVENT_LOG`).

The SQLModel classes (:mod:`server.db.tables` and its siblings) declare the tables; the queries
are Core statements over them (:func:`server.db.core.table_of`). A module that reads several
tables imports them from here instead of reaching each again; it may give one a shorter local
name (``from server.db.core_tables import PLANTS as P``).
"""

from server.db.accounts import (
    Account,
    AccountSession,
    RegulatorLicensee,
    SignInThrottle,
)
from server.db.analytics import (
    AnalyticsRun,
    HarvestBalanceRow,
    InventoryProjection,
    SignalReview,
    SignalRow,
    StrainHistory,
)
from server.db.core import table_of
from server.db.health import StationHealth
from server.db.integrity import ChainCheckpoint
from server.db.notifications import (
    DeadlineLicensee,
    DeadlineOutage,
    DeadlinePerson,
    EventNotice,
    Notification,
)
from server.db.statesync import (
    SyncCall,
    SyncCredential,
    SyncLink,
    SyncObject,
    SyncOutage,
)
from server.db.tables import (
    AccessLoss,
    Batch,
    Correction,
    Diversion,
    DiversionReport,
    EventLog,
    FlaggedRecord,
    HarvestBatch,
    HeldEvent,
    InventoryAudit,
    LicenceDetails,
    Licensee,
    Location,
    Package,
    PackageSource,
    Plant,
    Reconciliation,
    Sale,
    Station,
    Tag,
    TagOrder,
    TrainingRecord,
    TrainingRegistration,
    Transfer,
    TransferItem,
    User,
    Waste,
)

# server.db.tables
LICENSEES = table_of(Licensee)
STATIONS = table_of(Station)
EVENT_LOG = table_of(EventLog)
HELD_EVENTS = table_of(HeldEvent)
BATCHES = table_of(Batch)
TAGS = table_of(Tag)
PLANTS = table_of(Plant)
HARVEST_BATCHES = table_of(HarvestBatch)
WASTE = table_of(Waste)
LICENCE_DETAILS = table_of(LicenceDetails)
LOCATIONS = table_of(Location)
USERS = table_of(User)
TRAINING_RECORDS = table_of(TrainingRecord)
TRAINING_REGISTRATIONS = table_of(TrainingRegistration)
TAG_ORDERS = table_of(TagOrder)
PACKAGES = table_of(Package)
PACKAGE_SOURCES = table_of(PackageSource)
TRANSFERS = table_of(Transfer)
TRANSFER_ITEMS = table_of(TransferItem)
SALES = table_of(Sale)
ACCESS_LOSSES = table_of(AccessLoss)
FLAGGED_RECORDS = table_of(FlaggedRecord)
CORRECTIONS = table_of(Correction)
DIVERSIONS = table_of(Diversion)
DIVERSION_REPORTS = table_of(DiversionReport)
RECONCILIATIONS = table_of(Reconciliation)
INVENTORY_AUDITS = table_of(InventoryAudit)

# server.db.analytics
ANALYTICS_RUNS = table_of(AnalyticsRun)
HARVEST_BALANCES = table_of(HarvestBalanceRow)
ANALYTICS_SIGNALS = table_of(SignalRow)
SIGNAL_REVIEWS = table_of(SignalReview)
STRAIN_HISTORY = table_of(StrainHistory)
INVENTORY_PROJECTIONS = table_of(InventoryProjection)

# server.db.notifications
NOTIFICATIONS = table_of(Notification)
EVENT_NOTICES = table_of(EventNotice)
DEADLINE_LICENSEES = table_of(DeadlineLicensee)
DEADLINE_PEOPLE = table_of(DeadlinePerson)
DEADLINE_OUTAGES = table_of(DeadlineOutage)

# server.db.accounts
ACCOUNTS = table_of(Account)
REGULATOR_LICENSEES = table_of(RegulatorLicensee)
ACCOUNT_SESSIONS = table_of(AccountSession)
SIGN_IN_THROTTLE = table_of(SignInThrottle)

# server.db.statesync
SYNC_LINKS = table_of(SyncLink)
SYNC_CALLS = table_of(SyncCall)
SYNC_OBJECTS = table_of(SyncObject)
SYNC_OUTAGES = table_of(SyncOutage)
SYNC_CREDENTIALS = table_of(SyncCredential)

# server.db.health
STATION_HEALTH = table_of(StationHealth)

# server.db.integrity
CHAIN_CHECKPOINTS = table_of(ChainCheckpoint)
