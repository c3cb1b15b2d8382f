"""Unit tests for gateway.register.suppliers: base URLs normalised, unusable ones refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.register import suppliers
from gateway.register.loading import InvalidConfiguration, load
from gateway.settings import Settings

ROOT = Path(__file__).resolve().parents[2]

NORMALISED = [
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080/"),
    ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/"),
    ("https://rest.example/api", "https://rest.example/api/"),
    ("https://rest.example/api/v2/", "https://rest.example/api/v2/"),
    ("HTTP://Rest.Example:80/x", "http://rest.example/x/"),
]


@pytest.mark.parametrize(("written", "base"), NORMALISED, ids=[n[0] for n in NORMALISED])
def test_a_base_url_is_normalised_to_end_in_a_slash(written: str, base: str) -> None:
    """A base URL is used as written, with the trailing slash people leave off added."""
    url, why = suppliers.base_url(written)
    assert (str(url), why) == (base, "")


UNUSABLE = [
    ("not a URL", "garbage", "is not an http"),
    ("ftp", "ftp://rest.example/", "is not an http"),
    ("no host", "http:///sync", "is not an http"),
    ("port out of range", "http://rest.example:99999/", "is not a URL"),
    ("user and password", "https://opron:geheim@rest.example/", "user name or password"),
    ("query", "https://rest.example/api?key=1", "query or fragment"),
    ("empty query", "https://rest.example/api?", "query or fragment"),
    ("fragment", "https://rest.example/api#x", "query or fragment"),
    ("dot-dot", "https://rest.example/api/../admin/", "dot segments"),
    ("encoded dot-dot", "https://rest.example/api/%2e%2e/admin/", "dot segments"),
]


@pytest.mark.parametrize(("case", "written", "says"), UNUSABLE, ids=[u[0] for u in UNUSABLE])
def test_a_base_url_that_cannot_work_is_refused_with_a_reason(
    case: str, written: str, says: str
) -> None:
    """What cannot be a base URL is refused, saying why."""
    url, why = suppliers.base_url(written)
    assert url is None
    assert says in why


def settings_with(tmp_path: Path, upstream: str) -> Settings:
    config = tmp_path / "config"
    config.mkdir()
    (config / "suppliers.yaml").write_text(f"suppliers:\n  basispoort:\n    upstream: {upstream}\n")
    return Settings(contracts_dir=ROOT / "contracts", config_dir=config)


def test_an_unusable_base_url_from_the_environment_stops_the_load(tmp_path: Path) -> None:
    """GATEWAY_UPSTREAM_<SLUG> with a password is a start-up problem naming the variable, and
    the password is not repeated in the message."""
    settings = settings_with(tmp_path, "https://basispoort.invalid/")
    environ = {"GATEWAY_UPSTREAM_BASISPOORT": "https://opron:geheim@rest.example/"}
    with pytest.raises(InvalidConfiguration) as refused:
        load(settings, environ)
    [problem] = refused.value.problems
    assert "GATEWAY_UPSTREAM_BASISPOORT" in problem.message
    assert "geheim" not in str(refused.value)


def test_the_base_url_without_a_slash_is_loaded_with_one(tmp_path: Path) -> None:
    """``http://127.0.0.1:8080`` in the environment loads as ``http://127.0.0.1:8080/``."""
    settings = settings_with(tmp_path, "https://basispoort.invalid/")
    enforced = load(settings, {"GATEWAY_UPSTREAM_BASISPOORT": "http://127.0.0.1:8080"})
    assert str(enforced.suppliers["basispoort"].upstream) == "http://127.0.0.1:8080/"
