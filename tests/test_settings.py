"""Unit tests for gateway.settings: settings from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.settings import Settings, SettingsError, default_schemas_dir


def test_defaults_from_an_empty_environment() -> None:
    """With no variables set every setting has its documented default."""
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite://var/poortwachter.sqlite3"
    assert settings.contracts_dir == Path("contracts")
    assert settings.config_dir == Path("config")
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000
    assert settings.timezone == "Europe/Amsterdam"
    assert settings.zone.key == "Europe/Amsterdam"
    assert settings.max_body_bytes == 128 * 1024 * 1024
    assert settings.log_write_timeout == 5.0
    assert settings.key_cache_seconds == 5.0
    assert settings.suppliers_file == Path("config") / "suppliers.yaml"


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
