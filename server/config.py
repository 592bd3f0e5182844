"""Server settings, from ``SEEDTRACE_*`` environment variables (or keyword arguments).

Validated at start-up; a bad value stops the server with a message naming the variable.
"""

from dataclasses import fields
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from server.accounts.lockout import LockoutPolicy
from server.accounts.passwords import Passwords
from server.accounts.stations import BrokerConfig

# A period in seconds, more than none; a span in whole days, at least one; a TCP port.
Seconds = Annotated[float, Field(gt=0)]
Days = Annotated[int, Field(ge=1)]
Port = Annotated[int, Field(ge=1, le=65535)]


class ServerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SEEDTRACE_", extra="forbid")

    database_url: str = Field(
        default="sqlite:///var/seedtrace.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    mqtt_host: str = "127.0.0.1"
    mqtt_port: Port = 1883
    mqtt_username: str | None = None
    mqtt_password: SecretStr | None = None
    mqtt_tls_ca: Path | None = Field(default=None, description="CA file; enables TLS")
    health_mqtt_username: str | None = Field(
        default=None,
        description="The station health listener's own broker account (a console account); "
        "required when the broker wants accounts, never the ingest's",
    )
    health_mqtt_password: SecretStr | None = None
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
    lease_check_s: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="PostgreSQL, several ingest processes: how often each process checks the "
        "licensee leases (takes free licensees, gives back what is over its share)",
    )
    lease_timeout_s: float = Field(
        default=5.0,
        ge=2,
        le=300,
        description="PostgreSQL: a process that sends nothing to the database for this long "
        "(frozen, cut off) loses its session and with it its licensee leases; at least twice "
        "lease_check_s. A process that dies loses them at once.",
    )
    max_payload_bytes: int = Field(default=64 * 1024, ge=1024)
    batch_size: int = Field(default=100, ge=1, le=10_000)
    backlog_batch_size: int = Field(
        default=500,
        ge=1,
        le=10_000,
        description="When more than batch_size events are already waiting (a station back from "
        "an outage, a burst), batches of up to this many: fewer transactions drain it faster",
    )
    batch_wait_ms: float = Field(
        default=0.0,
        ge=0,
        description="How long to wait for more events after the first before deciding a "
        "batch. 0: take only what is already queued, so a lone scan is answered at once and "
        "batches form by themselves under load.",
    )
    gap_report_after_s: Seconds = 60.0
    analytics_refresh_s: Seconds = Field(
        default=900.0,
        description="How long the ingest waits, after a round of the analytics refresh "
        "(harvest balances and diversion signals of the licensees whose record moved, "
        "docs/analytics.md) is done, before the next round",
    )
    analytics_slice_s: Seconds = Field(
        default=0.5,
        description="With no events waiting, the longest the ingest worker refreshes analytics "
        "between two batches (PostgreSQL: at most lease_check_s); a slice ends after the "
        "licensee that crosses it, so one licensee's refresh is never cut",
    )
    analytics_busy_share: float = Field(
        default=0.1,
        gt=0,
        le=1,
        description="With events waiting, the share of the ingest worker's time the analytics "
        "refresh may take: a slice is one licensee, and the next waits until the ingest has had "
        "(1 - share) / share times as long",
    )
    deadline_sweep_s: Seconds = Field(
        default=60.0,
        description="How often the deadline sweep runs: overdue marking, the daily "
        "reconciliation notification, the tag supply check",
    )
    tag_supply_days: Days = Field(
        default=14,
        description="TAG-SUPPLY warns when the unassigned tags of a type last fewer days than "
        "this at the recent rate of use",
    )
    tag_supply_window_days: Days = Field(
        default=14, description="TAG-SUPPLY: the recent rate of use is over this many days"
    )

    # --- REST API and accounts -------------------------------------------------------------
    api_host: str = Field(default="127.0.0.1", description="Address the REST API listens on")
    api_port: Port = 8000
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Comma-separated addresses of the HTTPS reverse proxies whose "
        "X-Forwarded-Proto and X-Forwarded-For are believed (docs/deploy.md); empty: none",
    )
    hsts_max_age_s: int = Field(
        default=365 * 24 * 3600,
        ge=0,
        description="Strict-Transport-Security max-age sent on answers to HTTPS requests; 0: none",
    )
    session_lifetime_s: int = Field(
        default=12 * 3600,
        ge=60,
        le=30 * 24 * 3600,
        description="How long a sign-in lasts (seconds), however active the session",
    )
    login_free_attempts: int = Field(
        default=3, ge=1, description="Failed log-ins in a row before each attempt must wait"
    )
    login_backoff_base_s: Seconds = Field(
        default=1.0, description="First wait; doubles with every further failure"
    )
    login_backoff_max_s: Seconds = 60.0
    login_lock_after: int = Field(
        default=10, ge=2, description="Failed log-ins in a row that lock the account"
    )
    login_lock_s: Seconds = Field(default=900.0, description="How long a lock lasts")
    argon2_time_cost: int = Field(default=3, ge=1, le=100)
    argon2_memory_kib: int = Field(
        default=65536, ge=64, le=4 * 1024 * 1024, description="Memory per password hash"
    )
    argon2_parallelism: int = Field(default=4, ge=1, le=64)
    broker_files_dir: Path | None = Field(
        default=None,
        description="Where station credentials issued through the API are written for "
        "mosquitto (passwd and acl, e.g. /etc/mosquitto/seedtrace); unset: stored only",
    )
    broker_roster: Path | None = Field(
        default=None,
        description="The roster file of `seedtrace broker credentials` (ingest and console "
        "accounts), kept in the files written for the API's stations",
    )
    broker_files_group: str | None = Field(
        default=None, description="Group owning the broker files (mosquitto reads them)"
    )
    broker_pid_file: Path | None = Field(
        default=None, description="mosquitto's pid file: reloaded after writing; unset: not"
    )
    invoice_font_dir: Path = Field(
        default=Path("/usr/share/fonts/truetype/dejavu"),
        description="Folder of DejaVuSans.ttf and DejaVuSans-Bold.ttf (Debian fonts-dejavu-core), "
        "embedded in PDF invoices (SALES-INVOICE) so any script prints",
    )
    audit_moisture_tolerance_pct: Decimal = Field(
        default=Decimal(5),
        ge=0,
        le=50,
        description="Physical audits: a weight variance of usable cannabis within this "
        "percentage of the expected weight is normal moisture variation (AUDIT-VARIANCE)",
    )
    log_format: Literal["plain", "json"] = Field(
        default="plain",
        description="json: one JSON object a line, with the event and station ids of each "
        "ingest line (production, a log collector); plain: for a terminal",
    )

    @model_validator(mode="after")
    def _lease_timing(self) -> "ServerSettings":
        if self.lease_timeout_s < 2 * self.lease_check_s:
            raise ValueError("lease_timeout_s must be at least twice lease_check_s")
        return self

    @model_validator(mode="after")
    def _argon2_memory(self) -> "ServerSettings":
        if self.argon2_memory_kib < 8 * self.argon2_parallelism:
            raise ValueError("argon2_memory_kib must be at least 8 x argon2_parallelism")
        return self

    def passwords(self) -> Passwords:
        """The password hasher these settings describe."""
        return Passwords(
            time_cost=self.argon2_time_cost,
            memory_kib=self.argon2_memory_kib,
            parallelism=self.argon2_parallelism,
        )

    def broker_config(self) -> BrokerConfig | None:
        """Where and how station credentials are written for mosquitto; None: not at all."""
        if self.broker_files_dir is None:
            return None
        return BrokerConfig(
            files_dir=self.broker_files_dir,
            roster_file=self.broker_roster,
            group=self.broker_files_group,
            pid_file=self.broker_pid_file,
        )

    def lockout(self) -> LockoutPolicy:
        """The ``login_*`` settings: each is the policy's field of the same name."""
        policy = {f.name: getattr(self, f"login_{f.name}") for f in fields(LockoutPolicy)}
        return LockoutPolicy(**policy)
