"""Every table module, imported in one place so ``SQLModel.metadata`` holds the whole schema.

Alembic's environment and the migration tests import this; a new table module is added here.
"""

from sqlmodel import SQLModel

import server.db.accounts
import server.db.analytics
import server.db.health
import server.db.integrity
import server.db.notifications
import server.db.statesync
import server.db.tables

METADATA = SQLModel.metadata
MODULES = (
    server.db.tables,
    server.db.health,
    server.db.accounts,
    server.db.notifications,
    server.db.statesync,
    server.db.integrity,
    server.db.analytics,
)
