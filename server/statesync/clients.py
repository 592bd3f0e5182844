"""State clients per person: the connector makes each call as the operator of the event it
files, with that person's credentials (docs/sync.md, Credentials).

:class:`ClientPool` reads a person's credentials (:mod:`server.statesync.credentials`) when
first needed, builds their client and keeps it (a BioTrack session then lives across calls);
:meth:`ClientPool.forget` drops it after a refusal of the credentials, so the next call reads
them afresh. Secrets stay inside the clients; nothing here logs one.
"""

from dataclasses import KW_ONLY, dataclass, field

from sqlalchemy.engine import Engine

from server.statesync.biotrack_client import BioTrackApi, HttpBioTrackClient
from server.statesync.credentials import CredentialError, Credentials
from server.statesync.metrc_client import HttpMetrcClient, MetrcApi

__all__ = ["ClientPool"]


@dataclass(repr=False, eq=False)  # no repr: it would show the vendor key
class ClientPool:
    """The clients of one connector, a client per (licence, person); ``timeout_s`` of each
    request, in seconds."""

    engine: Engine
    credentials: Credentials
    _: KW_ONLY
    metrc_vendor_key: str | None
    timeout_s: float
    _metrc: dict[tuple[str, str], HttpMetrcClient] = field(default_factory=dict, init=False)
    _biotrack: dict[tuple[str, str], HttpBioTrackClient] = field(default_factory=dict, init=False)

    def metrc(self, base_url: str, licence: str, user_id: str) -> MetrcApi:
        key = (licence, user_id)
        if key not in self._metrc:
            if self.metrc_vendor_key is None:
                raise CredentialError(
                    "SEEDTRACE_SYNC_METRC_VENDOR_KEY is not set: the connector cannot call Metrc"
                )
            with self.engine.connect() as conn:
                secret = self.credentials.read(conn, licence, user_id, "metrc")
            self._metrc[key] = HttpMetrcClient(
                base_url, self.metrc_vendor_key, secret.secret, timeout_s=self.timeout_s
            )
        return self._metrc[key]

    def biotrack(self, base_url: str, licence: str, user_id: str) -> BioTrackApi:
        key = (licence, user_id)
        if key not in self._biotrack:
            with self.engine.connect() as conn:
                secret = self.credentials.read(conn, licence, user_id, "biotrack")
            if secret.username is None:
                raise CredentialError(
                    f"the BioTrack credentials of {user_id} of {licence} have no user name"
                )
            self._biotrack[key] = HttpBioTrackClient(
                base_url,
                licence,
                secret.username,
                secret.secret,
                timeout_s=self.timeout_s,
            )
        return self._biotrack[key]

    def forget(self, licence: str, user_id: str) -> None:
        for pool in (self._metrc, self._biotrack):
            client = pool.pop((licence, user_id), None)
            if client is not None:
                client.close()

    def close(self) -> None:
        for pool in (self._metrc, self._biotrack):
            for client in pool.values():
                client.close()
            pool.clear()
