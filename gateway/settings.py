"""Settings: built once from the environment at start-up and passed in; nothing else reads it.

Every variable is optional; the defaults run the gateway on 127.0.0.1:8000 with embedded SQLite
under ``var/`` and the contracts and config of the gateway's home. Relative paths (the SQLite
database, the contracts, config and schemas directories) are resolved against the home,
``GATEWAY_HOME``: by default the checkout the package runs from, or, for an installed package,
the working directory. So ``cd /tmp && poortwachter keys list`` in a checkout still uses the
checkout's database, instead of quietly making an empty one in /tmp.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from gateway.evidence.cosignature import Cosigner, parse_cosigner_key
from gateway.evidence.note import MalformedKey
from gateway.formats.bounds import Bounds

_PACKAGE = Path(__file__).resolve().parent
POSTGRES_SCHEMES = ("postgres", "postgresql", "asyncpg")


def default_home() -> Path:
    """The checkout the package runs from (``contracts/`` beside ``gateway/``), else the working
    directory (an installed package, e.g. the Docker image's /srv/poortwachter)."""
    checkout = _PACKAGE.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "contracts").is_dir():
        return checkout
    return Path.cwd()


def default_schemas_dir() -> Path:
    """``gateway/schemas`` in an installed wheel, ``schemas/`` beside the package in a checkout."""
    for candidate in (_PACKAGE / "schemas", _PACKAGE.parent / "schemas"):
        if (candidate / "contract.schema.json").is_file():
            return candidate
    return _PACKAGE.parent / "schemas"


class SettingsError(ValueError):
    """An environment variable with a value the gateway cannot use."""


def database_url(value: str, home: Path) -> str:
    """``GATEWAY_DATABASE_URL`` checked, with a relative SQLite path made absolute under ``home``.

    Messages never repeat the value: it may hold a password.
    """
    scheme = urlsplit(value).scheme.lower()
    if scheme == "sqlite":
        if not value.startswith("sqlite://"):
            raise SettingsError(
                "GATEWAY_DATABASE_URL: write sqlite://PATH (relative to GATEWAY_HOME) or "
                "sqlite:///ABSOLUTE/PATH"
            )
        path, question, query = value.removeprefix("sqlite://").partition("?")
        if not path:
            raise SettingsError("GATEWAY_DATABASE_URL: sqlite:// needs a file path")
        if path == ":memory:":
            return value
        return f"sqlite://{home / path}{question}{query}"
    if scheme in POSTGRES_SCHEMES:
        return value
    if scheme == "mysql":
        raise SettingsError(
            "GATEWAY_DATABASE_URL: MySQL is not supported; use sqlite://PATH or "
            "postgres://user@host:5432/db"
        )
    raise SettingsError(
        "GATEWAY_DATABASE_URL is not a database URL: use sqlite://PATH or "
        "postgres://user@host:5432/db"
    )


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
    # A compressed body may decompress to this many times its size (above 1 MiB; 0: no limit).
    # Real syncs compress about 8 times, sparse ones about 30; an 8 KB bomb of {} 1000 times.
    max_decompression_ratio: float = 100.0
    body_timeout: float = 60.0  # seconds for a body to arrive whole once it is read (0: none)
    header_timeout: float = 10.0  # seconds for a request's line and headers to arrive
    max_header_bytes: int = 32 * 1024  # request line and headers together; 431 beyond
    body_workers: int = 2  # threads that filter bodies over 256 KiB, off the event loop
    large_bodies_at_once: int = 1  # bodies over 16 MiB in work at once; others wait their turn
    log_write_timeout: float = 5.0  # seconds a transfer waits for its log entry before 503
    log_batch_size: int = 256
    key_cache_seconds: float = 5.0  # how long a revoked key may still be honoured
    heartbeat_seconds: float = 5.0  # a stopped gateway's pending entries go unknown after 3
    rate_per_client: float = 200.0  # requests a second per key, sustained (0: no limit)
    burst_per_client: int = 400  # requests above the rate a key may send at once
    concurrency_per_client: int = 32  # transfers of one key in flight at once (0: no limit)
    log_format: str = "text"  # the operational log on stdout: text, or json (one object a line)
    console_idle_minutes: float = 30.0  # an FG console session ends after this long unused
    console_session_hours: float = 12.0  # and after this long whatever its use
    # Benchmark only: run without the transfer log to measure what it costs. Never in service.
    bench_without_log: bool = False
    # The gateway's pseudonym key (transform: pseudonym), outside the database; made 0600 at
    # the first start that needs it, or by ``poortwachter keys init-pseudonyms``.
    pseudonym_key_file: Path = Path("var/pseudonym.key")
    # The subject index's HMAC key (docs/access-requests.md); None: beside a SQLite database,
    # else var/subject.key under the home. Index rows older than the term may be purged.
    subject_key_file: Path | None = None
    subject_retention_days: int = 1095  # three years
    # Supplier credentials encrypted at rest (docs/operations.md); None: none are read.
    secrets_file: Path | None = None
    secrets_key_file: Path | None = None
    # The transfer log as evidence (docs/evidence.md): its name in checkpoints, the signing key
    # and the copy of every checkpoint outside the database, an optional witness
    # (c2sp.org/tlog-witness: its submission prefix) and its cosigner vkey (type 0x04).
    log_origin: str = "poortwachter.local/transfer-log"
    log_key_file: Path = Path("var/log-signing.key")
    checkpoint_file: Path = Path("var/checkpoints.jsonl")
    witness_url: str | None = None
    witness_key: str | None = None
    seal_interval: float = 0.5  # seconds between the sealer's rounds

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

        home = Path(environ.get("GATEWAY_HOME") or default_home()).absolute()
        settings = cls(
            database_url=database_url(
                environ.get("GATEWAY_DATABASE_URL", defaults.database_url), home
            ),
            contracts_dir=home / environ.get("GATEWAY_CONTRACTS_DIR", defaults.contracts_dir),
            config_dir=home / environ.get("GATEWAY_CONFIG_DIR", defaults.config_dir),
            schemas_dir=home / environ.get("GATEWAY_SCHEMAS_DIR", defaults.schemas_dir),
            host=environ.get("GATEWAY_HOST", defaults.host),
            port=number("port", defaults.port, int),
            timezone=environ.get("GATEWAY_TIMEZONE", defaults.timezone),
            max_body_bytes=number("max_body_bytes", defaults.max_body_bytes, int),
            max_records=number("max_records", defaults.max_records, int),
            max_values=number("max_values", defaults.max_values, int),
            max_decompression_ratio=number(
                "max_decompression_ratio", defaults.max_decompression_ratio
            ),
            body_timeout=number("body_timeout", defaults.body_timeout),
            header_timeout=number("header_timeout", defaults.header_timeout),
            max_header_bytes=number("max_header_bytes", defaults.max_header_bytes, int),
            body_workers=number("body_workers", defaults.body_workers, int),
            large_bodies_at_once=number("large_bodies_at_once", defaults.large_bodies_at_once, int),
            log_write_timeout=number("log_write_timeout", defaults.log_write_timeout),
            key_cache_seconds=number("key_cache_seconds", defaults.key_cache_seconds),
            heartbeat_seconds=number("heartbeat_seconds", defaults.heartbeat_seconds),
            rate_per_client=number("rate_per_client", defaults.rate_per_client),
            burst_per_client=number("burst_per_client", defaults.burst_per_client, int),
            concurrency_per_client=number(
                "concurrency_per_client", defaults.concurrency_per_client, int
            ),
            log_format=environ.get("GATEWAY_LOG_FORMAT", defaults.log_format),
            console_idle_minutes=number("console_idle_minutes", defaults.console_idle_minutes),
            console_session_hours=number("console_session_hours", defaults.console_session_hours),
            bench_without_log=environ.get("GATEWAY_BENCH_WITHOUT_LOG") == "1",
            pseudonym_key_file=home
            / environ.get("GATEWAY_PSEUDONYM_KEY_FILE", defaults.pseudonym_key_file),
            subject_key_file=home / environ.get("GATEWAY_SUBJECT_KEY_FILE", "var/subject.key"),
            subject_retention_days=number(
                "subject_retention_days", defaults.subject_retention_days, int
            ),
            secrets_file=home / environ.get("GATEWAY_SECRETS_FILE", "var/secrets.json"),
            secrets_key_file=home / environ.get("GATEWAY_SECRETS_KEY_FILE", "var/secrets.key"),
            log_origin=environ.get("GATEWAY_LOG_ORIGIN", defaults.log_origin),
            log_key_file=home / environ.get("GATEWAY_LOG_KEY_FILE", defaults.log_key_file),
            checkpoint_file=home / environ.get("GATEWAY_CHECKPOINT_FILE", defaults.checkpoint_file),
            witness_url=environ.get("GATEWAY_WITNESS_URL") or None,
            witness_key=environ.get("GATEWAY_WITNESS_KEY") or None,
            seal_interval=number("seal_interval", defaults.seal_interval),
        )
        settings.zone  # noqa: B018 - fail at start-up, not at the first request
        if not 0 <= settings.port <= 65535:
            raise SettingsError(f"GATEWAY_PORT={settings.port} is not a port (0 to 65535)")
        for name in ("max_body_bytes", "log_write_timeout", "key_cache_seconds",
                     "heartbeat_seconds", "rate_per_client", "burst_per_client",
                     "concurrency_per_client", "max_decompression_ratio", "body_timeout",
                     "body_workers", "large_bodies_at_once", "header_timeout",
                     "max_header_bytes"):  # fmt: skip
            if getattr(settings, name) < 0:
                raise SettingsError(f"GATEWAY_{name.upper()} may not be negative")
        if settings.console_idle_minutes <= 0 or settings.console_session_hours <= 0:
            raise SettingsError(
                "GATEWAY_CONSOLE_IDLE_MINUTES and GATEWAY_CONSOLE_SESSION_HOURS must be > 0"
            )
        if settings.max_records < 1 or settings.max_values < 1:
            raise SettingsError("GATEWAY_MAX_RECORDS and GATEWAY_MAX_VALUES must be > 0")
        for name in ("heartbeat_seconds", "max_body_bytes", "body_workers",
                     "large_bodies_at_once", "header_timeout", "max_header_bytes"):  # fmt: skip
            if getattr(settings, name) == 0:
                raise SettingsError(f"GATEWAY_{name.upper()} must be more than 0")
        if settings.log_format not in ("text", "json"):
            raise SettingsError(f"GATEWAY_LOG_FORMAT={settings.log_format!r}: use text or json")
        if not 0 < settings.seal_interval <= 60:
            raise SettingsError("GATEWAY_SEAL_INTERVAL must be more than 0 and at most 60")
        if 0 < settings.max_decompression_ratio < 1:
            raise SettingsError("GATEWAY_MAX_DECOMPRESSION_RATIO must be 0 (off) or at least 1")
        if settings.subject_retention_days < 1:
            raise SettingsError("GATEWAY_SUBJECT_RETENTION_DAYS must be at least 1")
        settings.cosigner  # noqa: B018 - a wrong witness key fails the start
        return settings

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (KeyError, ValueError) as error:
            raise SettingsError(f"GATEWAY_TIMEZONE={self.timezone!r} is not a time zone") from error

    @property
    def cosigner(self) -> Cosigner | None:
        """The witness's cosigning key, to verify its cosignatures with (None: unverified)."""
        if self.witness_key is None:
            return None
        try:
            return parse_cosigner_key(self.witness_key)
        except MalformedKey as error:
            raise SettingsError(
                f"GATEWAY_WITNESS_KEY is not a witness's verifier key "
                f"(<name>+<key id>+<base64 of 0x04 and the Ed25519 key>): {error}"
            ) from None

    @property
    def cosignature_file(self) -> Path:
        """The witness's cosignatures, beside the checkpoint file (docs/evidence.md)."""
        return self.checkpoint_file.with_name("cosignatures.jsonl")

    @property
    def bounds(self) -> Bounds:
        """What one body may ask of the filter."""
        return Bounds(max_records=self.max_records, max_values=self.max_values)

    @property
    def subject_key_path(self) -> Path:
        """The subject key file: as set, else beside a SQLite database file, else under var/."""
        if self.subject_key_file is not None:
            return self.subject_key_file
        if self.database_url.startswith("sqlite://") and ":memory:" not in self.database_url:
            database = Path(self.database_url.removeprefix("sqlite://").split("?", 1)[0])
            return database.parent / "subject.key"
        return default_home() / "var" / "subject.key"

    @property
    def suppliers_file(self) -> Path:
        return self.config_dir / "suppliers.yaml"

    @property
    def organisation_file(self) -> Path:
        """The school group's details for the FG console's letters (optional)."""
        return self.config_dir / "organisation.yaml"
