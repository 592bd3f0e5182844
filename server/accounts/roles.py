"""Who may do what: account kinds, access roles and the signed-in :class:`Principal`.

Roles:

- ``account_manager``, ``administrator``: a licensee's managers. They register, train and
  cancel users, issue station credentials, change the licence's details (account manager only)
  and do everything a user does.
- ``user``: a licensee's trained person. Reads the licensee's data and records what happens
  (tags received, corrections, losses of access, reconciliation, notifications).
- ``regulator``: not bound to a licensee; reads every licensee it oversees and writes nothing
  (REGULATOR-ACCESS).
- ``station``: a device account. It publishes events for its own licence over MQTT and has no
  access to the API or the console.

A licensee person's role is the one recorded in the roster (``user.registered``), so it is
part of the legal record; regulators and stations exist only in the accounts tables.
"""

from dataclasses import dataclass
from enum import StrEnum


class AccountKind(StrEnum):
    USER = "user"
    REGULATOR = "regulator"
    STATION = "station"


class AccessRole(StrEnum):
    ACCOUNT_MANAGER = "account_manager"
    ADMINISTRATOR = "administrator"
    USER = "user"
    REGULATOR = "regulator"
    STATION = "station"


MANAGERS = frozenset({AccessRole.ACCOUNT_MANAGER, AccessRole.ADMINISTRATOR})
LICENSEE_ROLES = MANAGERS | {AccessRole.USER}


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in account behind one request."""

    account_id: int
    login: str
    kind: AccountKind
    role: AccessRole
    display_name: str
    licence: str | None  # the licensee a user belongs to; None for a regulator
    operator_id: str  # the user_id every event this principal records is attributed to
    oversees: frozenset[str]  # a regulator's licensees; empty for anyone else
    token_sha256: str  # the session this request came with

    @property
    def licences(self) -> frozenset[str]:
        """Every licensee whose data this principal may read."""
        own = frozenset() if self.licence is None else frozenset({self.licence})
        return own | self.oversees

    def can_read(self, licence: str) -> bool:
        return licence in self.licences

    def can_write(self, licence: str) -> bool:
        return self.role in LICENSEE_ROLES and licence == self.licence

    def is_manager(self) -> bool:
        return self.role in MANAGERS
