"""The connector's settings, from ``SEEDTRACE_SYNC_*`` environment variables (or keywords).

Validated at start-up; a bad or missing value stops ``seedtrace sync`` with a message naming
the variable. Secrets (the credentials key, Metrc's vendor key) have no working default.
"""

from datetime import time

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["SyncSettings"]


class SyncSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SEEDTRACE_SYNC_", extra="forbid")

    credentials_key: SecretStr = Field(
        description="Fernet key (32 url-safe base64 bytes; `seedtrace sync new-key`) that "
        "encrypts people's state credentials at rest"
    )
    metrc_vendor_key: SecretStr | None = Field(
        default=None, description="The integrator's Metrc vendor key (needed for OR and CA)"
    )
    worker_id: str = Field(
        default="seedtrace-sync-1",
        pattern=r"^[A-Za-z0-9_.:-]{1,100}$",
        description="Unique per running connector process: a restarted process with the same "
        "id takes its leases back at once; two live processes must never share one",
    )
    lease_s: float = Field(
        default=10.0,
        gt=0,
        description="How long a licensee stays with one connector process without renewal: "
        "a killed process loses its licensees after this long",
    )
    timeout_s: float = Field(default=4.0, gt=0, description="One state call's HTTP timeout")
    poll_s: float = Field(default=0.5, gt=0, description="Idle wait between queue checks")
    lost_after_s: float = Field(
        default=60.0,
        ge=0,
        description="The state unreachable this long (without a success) is a loss of access, "
        "recorded with its cause (OAR 845-025 CTS Requirements (8))",
    )
    backoff_max_s: float = Field(default=30.0, gt=0)
    burst: int = Field(default=20, ge=1, description="Calls per licensee before the next one")
    calls_per_s: float = Field(
        default=40.0,
        gt=0,
        description="Steps per licensee per second at most: stay under the state's rate limit "
        "(Metrc's default is 50 writes per second per facility) instead of running into 429 "
        "and waiting out a whole Retry-After",
    )
    metrc_batch_rows: int = Field(
        default=100,
        ge=1,
        description="Most rows in one Metrc request: consecutive calls of one action (a "
        "harvest day's plants) go together up to this many rows (server.statesync.batches); "
        "1 sends every call alone",
    )

    reconcile_daily: bool = Field(
        default=True,
        description="Reconcile each held licensee with its state system once a day and file "
        "the differences as compliance notifications (server.statesync.daily)",
    )
    reconcile_at: time = Field(
        default=time(3, 0),
        description="When the daily reconciliation runs, on the premises' clock (HH:MM)",
    )

    @model_validator(mode="after")
    def _lease_outlives_a_call(self) -> "SyncSettings":
        # A call is only sent under a lease with at least one timeout left, so no other
        # process can take the licensee while an answer may still come.
        if self.lease_s < 2 * self.timeout_s:
            raise ValueError(
                f"SEEDTRACE_SYNC_LEASE_S ({self.lease_s}) must be at least twice "
                f"SEEDTRACE_SYNC_TIMEOUT_S ({self.timeout_s})"
            )
        return self
