"""Settings: built once from the environment at start-up and passed in; nothing else reads it.

Every variable is optional; the defaults run the gateway on 127.0.0.1:8000 with embedded SQLite
under ``var/`` and the contracts and config of the working directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from gateway.formats.bounds import Bounds

_PACKAGE = Path(__file__).resolve().parent


def default_schemas_dir() -> Path:
    """``gateway/schemas`` in an installed wheel, ``schemas/`` beside the package in a checkout."""
    for candidate in (_PACKAGE / "schemas", _PACKAGE.parent / "schemas"):
        if (candidate / "contract.schema.json").is_file():
            return candidate
    return _PACKAGE.parent / "schemas"


class SettingsError(ValueError):
    """An environment variable with a value the gateway cannot use."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite://var/poortwachter.sqlite3"
    contracts_dir: Path = Path("contracts")
    config_dir: Path = Path("config")
    schemas_dir: Path = field(default_factory=default_schemas_dir)
    host: str = "127.0.0.1"
    port: int = 8000
    timezone: str = "Europe/Amsterdam"  # the day on which an agreement is in force is a Dutch day
    max_body_bytes: int = 128 * 1024 * 1024
    max_records: int = 200_000  # items of one array of records (leerlingen) in one body
    max_values: int = 20_000_000  # JSON values in one body
    log_write_timeout: float = 5.0  # seconds a transfer waits for its log entry before 503
    log_batch_size: int = 256
    key_cache_seconds: float = 5.0  # how long a revoked key may still be honoured
    heartbeat_seconds: float = 5.0  # a stopped gateway's pending entries go unknown after 3
    rate_per_client: float = 200.0  # requests a second per key, sustained (0: no limit)
    burst_per_client: int = 400  # requests above the rate a key may send at once
    concurrency_per_client: int = 32  # transfers of one key in flight at once (0: no limit)
    console_idle_minutes: float = 30.0  # an FG console session ends after this long unused
    console_session_hours: float = 12.0  # and after this long whatever its use
    # Benchmark only: run without the transfer log to measure what it costs. Never in service.
    bench_without_log: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        defaults = cls()

        def number(name: str, default: float, kind: type[int] | type[float] = float) -> Any:
            value = environ.get(f"GATEWAY_{name.upper()}")
            if value is None:
                return default
            try:
                return kind(value)
            except ValueError:
                raise SettingsError(
                    f"GATEWAY_{name.upper()}={value!r} is not a {kind.__name__}"
                ) from None

        settings = cls(
            database_url=environ.get("GATEWAY_DATABASE_URL", defaults.database_url),
            contracts_dir=Path(environ.get("GATEWAY_CONTRACTS_DIR", defaults.contracts_dir)),
            config_dir=Path(environ.get("GATEWAY_CONFIG_DIR", defaults.config_dir)),
            schemas_dir=Path(environ.get("GATEWAY_SCHEMAS_DIR", defaults.schemas_dir)),
            host=environ.get("GATEWAY_HOST", defaults.host),
            port=number("port", defaults.port, int),
            timezone=environ.get("GATEWAY_TIMEZONE", defaults.timezone),
            max_body_bytes=number("max_body_bytes", defaults.max_body_bytes, int),
            max_records=number("max_records", defaults.max_records, int),
            max_values=number("max_values", defaults.max_values, int),
            log_write_timeout=number("log_write_timeout", defaults.log_write_timeout),
            key_cache_seconds=number("key_cache_seconds", defaults.key_cache_seconds),
            heartbeat_seconds=number("heartbeat_seconds", defaults.heartbeat_seconds),
            rate_per_client=number("rate_per_client", defaults.rate_per_client),
            burst_per_client=number("burst_per_client", defaults.burst_per_client, int),
            concurrency_per_client=number(
                "concurrency_per_client", defaults.concurrency_per_client, int
            ),
            console_idle_minutes=number("console_idle_minutes", defaults.console_idle_minutes),
            console_session_hours=number("console_session_hours", defaults.console_session_hours),
            bench_without_log=environ.get("GATEWAY_BENCH_WITHOUT_LOG") == "1",
        )
        settings.zone  # noqa: B018 - fail at start-up, not at the first request
        if not 0 <= settings.port <= 65535:
            raise SettingsError(f"GATEWAY_PORT={settings.port} is not a port (0 to 65535)")
        for name in ("max_body_bytes", "log_write_timeout", "key_cache_seconds",
                     "heartbeat_seconds", "rate_per_client", "burst_per_client",
                     "concurrency_per_client"):  # fmt: skip
            if getattr(settings, name) < 0:
                raise SettingsError(f"GATEWAY_{name.upper()} may not be negative")
        if settings.heartbeat_seconds == 0 or settings.max_body_bytes == 0:
            raise SettingsError("GATEWAY_HEARTBEAT_SECONDS and GATEWAY_MAX_BODY_BYTES must be > 0")
        if settings.console_idle_minutes <= 0 or settings.console_session_hours <= 0:
            raise SettingsError(
                "GATEWAY_CONSOLE_IDLE_MINUTES and GATEWAY_CONSOLE_SESSION_HOURS must be > 0"
            )
        if settings.max_records < 1 or settings.max_values < 1:
            raise SettingsError("GATEWAY_MAX_RECORDS and GATEWAY_MAX_VALUES must be > 0")
        return settings

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (KeyError, ValueError) as error:
            raise SettingsError(f"GATEWAY_TIMEZONE={self.timezone!r} is not a time zone") from error

    @property
    def bounds(self) -> Bounds:
        """What one body may ask of the filter."""
        return Bounds(max_records=self.max_records, max_values=self.max_values)

    @property
    def suppliers_file(self) -> Path:
        return self.config_dir / "suppliers.yaml"

    @property
    def organisation_file(self) -> Path:
        """The school group's details for the FG console's letters (optional)."""
        return self.config_dir / "organisation.yaml"
