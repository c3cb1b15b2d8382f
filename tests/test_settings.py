"""Unit tests for gateway.settings: settings from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.settings import Settings, SettingsError, default_schemas_dir

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_from_an_empty_environment() -> None:
    """With no variables set every setting has its documented default, relative paths resolved
    against the checkout the package runs from."""
    settings = Settings.from_env({})
    assert settings.database_url == f"sqlite://{ROOT}/var/poortwachter.sqlite3"
    assert settings.contracts_dir == ROOT / "contracts"
    assert settings.config_dir == ROOT / "config"
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000
    assert settings.timezone == "Europe/Amsterdam"
    assert settings.zone.key == "Europe/Amsterdam"
    assert settings.max_body_bytes == 128 * 1024 * 1024
    assert settings.log_write_timeout == 5.0
    assert settings.key_cache_seconds == 5.0
    assert settings.suppliers_file == ROOT / "config" / "suppliers.yaml"
    assert settings.max_decompression_ratio == 100.0
    assert (settings.body_timeout, settings.header_timeout) == (60.0, 10.0)
    assert settings.max_header_bytes == 32 * 1024
    assert (settings.body_workers, settings.large_bodies_at_once) == (2, 1)
    assert settings.log_format == "text"


def test_default_schemas_dir_holds_the_contract_schema() -> None:
    """The default schemas directory contains contract.schema.json (the repo's schemas/)."""
    settings = Settings.from_env({})
    assert (settings.schemas_dir / "contract.schema.json").is_file()
    assert settings.schemas_dir == default_schemas_dir()
    assert settings.schemas_dir == Path(__file__).resolve().parent.parent / "schemas"


def test_environment_overrides_core_settings(tmp_path: Path) -> None:
    """Each core GATEWAY_* variable replaces its default, converted to the setting's type."""
    settings = Settings.from_env(
        {
            "GATEWAY_DATABASE_URL": "postgres://db/gw",
            "GATEWAY_CONTRACTS_DIR": str(tmp_path / "c"),
            "GATEWAY_CONFIG_DIR": str(tmp_path / "cfg"),
            "GATEWAY_SCHEMAS_DIR": str(tmp_path / "s"),
            "GATEWAY_HOST": "0.0.0.0",
            "GATEWAY_PORT": "9001",
            "GATEWAY_TIMEZONE": "UTC",
            "GATEWAY_MAX_BODY_BYTES": "1024",
            "GATEWAY_LOG_WRITE_TIMEOUT": "0.5",
            "GATEWAY_KEY_CACHE_SECONDS": "1.5",
        }
    )
    assert settings.database_url == "postgres://db/gw"
    assert settings.contracts_dir == tmp_path / "c"
    assert settings.config_dir == tmp_path / "cfg"
    assert settings.schemas_dir == tmp_path / "s"
    assert settings.host == "0.0.0.0"
    assert settings.port == 9001
    assert settings.timezone == "UTC"
    assert settings.zone.key == "UTC"
    assert settings.max_body_bytes == 1024
    assert settings.log_write_timeout == 0.5
    assert settings.key_cache_seconds == 1.5
    assert settings.suppliers_file == tmp_path / "cfg" / "suppliers.yaml"


@pytest.mark.parametrize("port", ["eighty", "", "80.5", "0x50"])
def test_bad_port_raises_settings_error(port: str) -> None:
    """A GATEWAY_PORT that is not an integer raises SettingsError naming the variable."""
    with pytest.raises(SettingsError, match="GATEWAY_PORT="):
        Settings.from_env({"GATEWAY_PORT": port})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GATEWAY_MAX_BODY_BYTES", "lots"),
        ("GATEWAY_LOG_WRITE_TIMEOUT", "soon"),
        ("GATEWAY_KEY_CACHE_SECONDS", "5s"),
    ],
)
def test_other_bad_numbers_raise_settings_error(name: str, value: str) -> None:
    """Numeric settings that do not parse raise SettingsError, not a bare ValueError."""
    with pytest.raises(SettingsError):
        Settings.from_env({name: value})


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "Europe/Amsterdamm", "../etc/passwd", ""])
def test_bad_timezone_raises_settings_error(zone: str) -> None:
    """A GATEWAY_TIMEZONE that is not an IANA time zone raises SettingsError at start-up."""
    with pytest.raises(SettingsError, match="GATEWAY_TIMEZONE"):
        Settings.from_env({"GATEWAY_TIMEZONE": zone})


def test_zone_of_directly_built_settings_raises_settings_error() -> None:
    """Settings built without from_env still refuse an unknown zone when it is asked for."""
    with pytest.raises(SettingsError):
        _ = Settings(timezone="Nowhere/Land").zone


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_port_out_of_range_raises_settings_error(port: str) -> None:
    """A GATEWAY_PORT outside 0..65535 is refused at start-up, not when binding."""
    with pytest.raises(SettingsError, match="GATEWAY_PORT"):
        Settings.from_env({"GATEWAY_PORT": port})


@pytest.mark.parametrize(
    "name", ["GATEWAY_MAX_BODY_BYTES", "GATEWAY_LOG_WRITE_TIMEOUT", "GATEWAY_RATE_PER_CLIENT"]
)
def test_negative_limits_raise_settings_error(name: str) -> None:
    """Sizes, timeouts and limits may not be negative."""
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: "-5"})


def test_relative_paths_follow_gateway_home_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GATEWAY_HOME anchors the SQLite path, contracts and config; the working directory does
    not, so a command run elsewhere uses the same database."""
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({"GATEWAY_HOME": "/srv/pw"})
    assert settings.database_url == "sqlite:///srv/pw/var/poortwachter.sqlite3"
    assert settings.contracts_dir == Path("/srv/pw/contracts")
    assert settings.config_dir == Path("/srv/pw/config")
    elsewhere = Settings.from_env({})
    assert elsewhere.database_url == f"sqlite://{ROOT}/var/poortwachter.sqlite3"
    absolute = Settings.from_env({"GATEWAY_DATABASE_URL": "sqlite:///data/pw.sqlite3"})
    assert absolute.database_url == "sqlite:///data/pw.sqlite3"


BAD_DATABASE_URLS = [
    ("garbage", "not a database URL"),
    ("mysql://pw:geheim@db/pw", "MySQL is not supported"),
    ("sqlite:var/x.sqlite3", "write sqlite://PATH"),
    ("sqlite://", "needs a file path"),
    ("http://db.example/pw", "not a database URL"),
]


@pytest.mark.parametrize(("url", "says"), BAD_DATABASE_URLS, ids=[b[0] for b in BAD_DATABASE_URLS])
def test_a_database_url_the_gateway_cannot_use_is_a_settings_error(url: str, says: str) -> None:
    """GATEWAY_DATABASE_URL that is no SQLite or PostgreSQL URL is refused saying what to write,
    without repeating the URL (it may hold a password)."""
    with pytest.raises(SettingsError, match="GATEWAY_DATABASE_URL") as refused:
        Settings.from_env({"GATEWAY_DATABASE_URL": url})
    assert says in str(refused.value)
    assert "geheim" not in str(refused.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GATEWAY_MAX_DECOMPRESSION_RATIO", "0.5"),
        ("GATEWAY_MAX_DECOMPRESSION_RATIO", "-1"),
        ("GATEWAY_BODY_WORKERS", "0"),
        ("GATEWAY_LARGE_BODIES_AT_ONCE", "0"),
        ("GATEWAY_HEADER_TIMEOUT", "0"),
        ("GATEWAY_MAX_HEADER_BYTES", "0"),
        ("GATEWAY_BODY_TIMEOUT", "-1"),
        ("GATEWAY_LOG_FORMAT", "xml"),
    ],
)
def test_bounds_that_cannot_work_are_settings_errors(name: str, value: str) -> None:
    """A ratio under 1, no workers, no header time or size, a negative body timeout or an
    unknown log format is refused at start-up, naming the variable."""
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_bounds_are_read_from_the_environment() -> None:
    """Each bound set in the environment is the one used (0 switches the ratio off)."""
    settings = Settings.from_env(
        {
            "GATEWAY_MAX_DECOMPRESSION_RATIO": "0",
            "GATEWAY_BODY_TIMEOUT": "5",
            "GATEWAY_HEADER_TIMEOUT": "2.5",
            "GATEWAY_MAX_HEADER_BYTES": "8192",
            "GATEWAY_BODY_WORKERS": "4",
            "GATEWAY_LARGE_BODIES_AT_ONCE": "2",
            "GATEWAY_LOG_FORMAT": "json",
        }
    )
    assert settings.max_decompression_ratio == 0
    assert (settings.body_timeout, settings.header_timeout) == (5.0, 2.5)
    assert settings.max_header_bytes == 8192
    assert (settings.body_workers, settings.large_bodies_at_once) == (4, 2)
    assert settings.log_format == "json"
