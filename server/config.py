"""Server settings, from ``SEEDTRACE_*`` environment variables (or keyword arguments).

Validated at start-up; a bad value stops the server with a message naming the variable.
"""

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SEEDTRACE_", extra="forbid")

    database_url: str = Field(
        default="sqlite:///var/seedtrace.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = Field(default=1883, ge=1, le=65535)
    mqtt_username: str | None = None
    mqtt_password: SecretStr | None = None
    mqtt_tls_ca: Path | None = Field(default=None, description="CA file; enables TLS")
    client_id: str = Field(
        default="seedtrace-ingest-1",
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Stable per ingest process: its persistent session is found again by it",
    )
    share_group: str = Field(default="seedtrace-ingest", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    session_expiry_s: int = Field(
        default=300,
        ge=0,
        description="How long the broker keeps this process's session (and the events queued "
        "for it) while it is away. Short, so a dead member of the shared group does not hold "
        "events for long; stations resend anything unacknowledged anyway.",
    )
    max_payload_bytes: int = Field(default=64 * 1024, ge=1024)
    batch_size: int = Field(default=100, ge=1, le=10_000)
    batch_wait_ms: float = Field(
        default=0.0,
        ge=0,
        description="How long to wait for more events after the first before deciding a "
        "batch. 0: take only what is already queued, so a lone scan is answered at once and "
        "batches form by themselves under load.",
    )
    gap_report_after_s: float = Field(default=60.0, gt=0)
    deadline_sweep_s: float = Field(
        default=60.0,
        gt=0,
        description="How often the deadline sweep runs: overdue marking, the daily "
        "reconciliation notification, the tag supply check",
    )
    tag_supply_days: int = Field(
        default=14,
        ge=1,
        description="TAG-SUPPLY warns when the unassigned tags of a type last fewer days than "
        "this at the recent rate of use",
    )
    tag_supply_window_days: int = Field(
        default=14, ge=1, description="TAG-SUPPLY: the recent rate of use is over this many days"
    )
