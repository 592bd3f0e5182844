"""The station's configuration: one TOML file, typed and checked at start-up.

``seedtrace edge --config station.toml``. Every key is described in ``docs/edge.md``; examples
per station kind live in ``deploy/stations/``. A bad file stops the agent with
:class:`ConfigError`, whose message names each bad key as a dotted path
(``devices.scale-1.url: ...``). Relative paths are taken relative to the config file.

Secrets: the MQTT password is read from ``broker.password_file`` (or given inline for a lab
station); operators' PINs and passwords are stored only as scrypt hashes
(:mod:`edge.secrets`), in ``[[operators]]`` entries or in a separate ``operators_file``.
"""

import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from schemas.ids import (
    DEVICE_PATTERN,
    LICENCE_PATTERN,
    NAME_PATTERN,
    RESERVED_STATION_IDS,
    STATION_PATTERN,
    USER_PATTERN,
)


class ConfigError(Exception):
    """The station's configuration is missing, unreadable or invalid; the message says where."""


class Workflow(StrEnum):
    """The station's modes (``docs/edge.md``, Workflows)."""

    START_BATCH = "start_batch"
    GERMINATE = "germinate"
    TAG_PLANTS = "tag_plants"
    CHANGE_PHASE = "change_phase"
    MOVE = "move"
    HARVEST = "harvest"
    WEIGH_BATCH = "weigh_batch"
    DESTROY = "destroy"
    WASTE = "waste"
    RECEIVE_TAGS = "receive_tags"


class DeviceRole(StrEnum):
    SCALE = "scale"
    TAGS = "tags"  # plant tags (RFID or their barcode); badges on the same reader work too
    BADGE = "badge"  # only operator badges
    BARCODE = "barcode"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Name = Annotated[str, Field(pattern=NAME_PATTERN, min_length=1, max_length=100)]


class BrokerConfig(_Section):
    """``url``: ``mqtt://host:1883`` or ``mqtts://host:8883`` (TLS)."""

    url: str = "mqtt://127.0.0.1:1883"
    client_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    username: str | None = None
    password: str | None = None
    password_file: Path | None = None
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    keepalive_s: int = Field(default=15, ge=5, le=600)

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts"):
            raise ValueError(f"{url!r}: the scheme must be mqtt:// or mqtts://")
        if not parts.hostname:
            raise ValueError(f"{url!r} names no host")
        try:
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError as err:
            raise ValueError(f"{url!r}: {err}") from err
        return url

    @model_validator(mode="after")
    def _secrets(self) -> "BrokerConfig":
        if self.password is not None and self.password_file is not None:
            raise ValueError("give password or password_file, not both")
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together (client certificate)")
        return self

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def tls(self) -> bool:
        return urlsplit(self.url).scheme == "mqtts" or self.ca_file is not None

    @property
    def port(self) -> int:
        port = urlsplit(self.url).port
        if port is not None:
            return port
        return 8883 if self.tls else 1883

    def read_password(self) -> str | None:
        if self.password_file is None:
            return self.password
        try:
            return self.password_file.read_text().strip()
        except OSError as err:
            raise ConfigError(
                f"broker.password_file: cannot read {self.password_file}: {err}"
            ) from err


class DeviceConfig(_Section):
    """One device: its URL (``devices/urls.py``) and what the station uses it for."""

    url: str
    role: DeviceRole

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        from devices.errors import DeviceConfigError
        from devices.registry import device_kind

        try:
            device_kind(url)
        except DeviceConfigError as err:
            raise ValueError(str(err)) from err
        return url


class OutboxConfig(_Section):
    path: Path | None = None  # default: <data_dir>/outbox.db
    capacity: int = Field(default=100_000, ge=10)
    warn_ratio: float = Field(default=0.8, gt=0, le=1)
    window: int = Field(default=50, ge=1, le=1000, description="events in flight at once")
    resend_after_s: float = Field(default=10.0, gt=0)


class AccessConfig(_Section):
    lost_after_s: float = Field(default=60.0, gt=0)


class DisplayConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)  # 0: any free port (tests)
    enabled: bool = True


class MetricsConfig(_Section):
    """Prometheus metrics of the station (``edge.metrics``), served at ``/metrics``.

    Off by default: a station serves its touchscreen and nothing else unless a site's
    monitoring asks for more. On the loopback interface unless ``host`` says otherwise."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=9108, ge=0, le=65535)  # 0: any free port (tests)


class Operator(_Section):
    """One local credential. ``pin_hash``/``password_hash`` come from
    ``seedtrace edge hash-secret``."""

    user_id: Annotated[str, Field(pattern=USER_PATTERN)]
    name: Name
    badge: str | None = None  # the badge's card serial, as the reader reports it
    pin_hash: str | None = None
    password_hash: str | None = None

    @field_validator("badge")
    @classmethod
    def _badge(cls, badge: str | None) -> str | None:
        if badge is None:
            return None
        from devices.uid import normalise_uid

        return normalise_uid(badge)

    @field_validator("pin_hash", "password_hash")
    @classmethod
    def _hash(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from edge.secrets import check_hash_format

        check_hash_format(value)
        return value

    @model_validator(mode="after")
    def _some_way_in(self) -> "Operator":
        if self.badge is not None and self.pin_hash is None:
            raise ValueError("a badge needs a pin_hash (badge tap + PIN)")
        if self.pin_hash is None and self.password_hash is None:
            raise ValueError("give pin_hash (with badge) or password_hash")
        return self


class SignInConfig(_Section):
    idle_sign_out_s: float = Field(default=300.0, gt=0)
    max_failures: int = Field(default=5, ge=1)
    lockout_s: float = Field(default=60.0, ge=0)


class FloorConfig(_Section):
    """Names offered on the touchscreen."""

    rooms: list[Name] = Field(default_factory=list)
    drying_rooms: list[Name] = Field(default_factory=list)
    strains: list[Name] = Field(default_factory=list)
    harvest_batch_prefix: Name = "HB"
    min_weight_g: float = Field(default=1.0, ge=0)  # below this the pan counts as empty


class StationConfig(_Section):
    licence: Annotated[str, Field(pattern=LICENCE_PATTERN)]
    station_id: Annotated[str, Field(pattern=STATION_PATTERN)]
    location: Name
    # The premises' IANA zone: which day a harvest batch is named for, batch names, the times
    # the display shows. Never the Pi's own zone, which is often left at UTC.
    time_zone: str
    kind: str = "station"  # free text for people: propagation, flower, harvest...
    data_dir: Path = Path("/var/lib/seedtrace/edge")
    workflows: Annotated[list[Workflow], Field(min_length=1)]
    broker: BrokerConfig = BrokerConfig()
    devices: dict[Annotated[str, Field(pattern=DEVICE_PATTERN)], DeviceConfig] = Field(
        default_factory=dict
    )
    outbox: OutboxConfig = OutboxConfig()
    access: AccessConfig = AccessConfig()
    display: DisplayConfig = DisplayConfig()
    metrics: MetricsConfig = MetricsConfig()
    sign_in: SignInConfig = SignInConfig()
    floor: FloorConfig = FloorConfig()
    operators: list[Operator] = Field(default_factory=list)
    operators_file: Path | None = None

    @field_validator("station_id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value.lower() in RESERVED_STATION_IDS:
            raise ValueError(f"{value!r} is reserved for the server's own events; choose another")
        return value

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(
                f"{value!r} is not an IANA time zone (e.g. America/Los_Angeles)"
            ) from err
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "StationConfig":
        scales = [d for d, c in self.devices.items() if c.role is DeviceRole.SCALE]
        if len(scales) > 1:
            raise ValueError(f"one scale per station (found {', '.join(scales)})")
        needs_scale = {Workflow.HARVEST, Workflow.WEIGH_BATCH, Workflow.DESTROY, Workflow.WASTE}
        if needs_scale & set(self.workflows) and not scales:
            raise ValueError(
                "harvest, weigh_batch, destroy and waste need a device with role scale"
            )
        ids = [o.user_id for o in self.operators]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"operators: {', '.join(dupes)} listed twice (UNIQUE-LOGON)")
        badges = [o.badge for o in self.operators if o.badge is not None]
        if len(badges) != len(set(badges)):
            raise ValueError("operators: one badge is given to two people (UNIQUE-LOGON)")
        return self

    @property
    def outbox_path(self) -> Path:
        return self.outbox.path if self.outbox.path is not None else self.data_dir / "outbox.db"

    @property
    def scale_id(self) -> str | None:
        return next((d for d, c in self.devices.items() if c.role is DeviceRole.SCALE), None)


class _OperatorsFile(_Section):
    operators: list[Operator]


def _format(err: ValidationError, source: str) -> str:
    lines = [f"{source}: {err.error_count()} problem(s)"]
    for item in err.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key (misspelt?)"
        lines.append(f"  {where}: {message}")
    return "\n".join(lines)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err}") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path} is not valid TOML: {err}") from err


def _resolve(base: Path, value: Path | None) -> Path | None:
    if value is None or value.is_absolute():
        return value
    return (base / value).resolve()


def parse_config(
    data: dict[str, Any], source: str = "station config", base: Path | None = None
) -> StationConfig:
    """Validate an already-parsed TOML document. ``base`` anchors relative paths."""
    try:
        config = StationConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format(err, source)) from err
    base = base if base is not None else Path.cwd()
    broker = config.broker.model_copy(
        update={
            key: _resolve(base, getattr(config.broker, key))
            for key in ("password_file", "ca_file", "cert_file", "key_file")
        }
    )
    outbox = config.outbox.model_copy(update={"path": _resolve(base, config.outbox.path)})
    operators = list(config.operators)
    operators_file = _resolve(base, config.operators_file)
    if operators_file is not None:
        try:
            extra = _OperatorsFile.model_validate(_read_toml(operators_file))
        except ValidationError as err:
            raise ConfigError(_format(err, str(operators_file))) from err
        operators += extra.operators
    update: dict[str, Any] = {
        "data_dir": _resolve(base, config.data_dir),
        "broker": broker,
        "outbox": outbox,
        "operators": operators,
        "operators_file": operators_file,
    }
    try:
        # Validate again so the cross-checks (UNIQUE-LOGON) see operators from the file too.
        return StationConfig.model_validate({**config.model_dump(), **update})
    except ValidationError as err:
        raise ConfigError(_format(err, source)) from err


def load_config(path: Path) -> StationConfig:
    """Read and check ``path``. Raises ConfigError naming every bad key."""
    return parse_config(_read_toml(path), str(path), path.resolve().parent)
