"""Unit tests for gateway.register.suppliers: base URLs normalised, unusable ones refused;
client keys in the clear warned about, and their passphrase taken like a credential."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from gateway.access.secrets import SecretFiles
from gateway.register import suppliers
from gateway.register.loading import InvalidConfiguration, load
from gateway.settings import Settings
from tests.test_tls import make_pki

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


def test_client_keys_in_the_clear_are_warnings_for_suppliers_and_sources(tmp_path: Path) -> None:
    """A plain client key (suppliers.yaml or sources.yaml) still loads, and each is a warning
    at its client_key setting (an encrypted one is not: the next test)."""
    pki = make_pki(tmp_path / "pki")
    settings = settings_with(tmp_path, "https://basispoort.invalid/")
    tls = f"    tls: {{client_cert: {pki.client1.cert}, client_key: {pki.client1.key}}}\n"  # plain
    with settings.suppliers_file.open("a") as suppliers_yaml:
        suppliers_yaml.write(tls)
    (settings.config_dir / "sources.yaml").write_text(
        "sources:\n  las:\n    leerlinggegevens: https://las.invalid/uwlr\n    schools: all\n" + tls
    )
    enforced = load(settings, {})
    assert enforced.suppliers["basispoort"].tls is not None
    assert [w.location for w in enforced.warnings] == [
        "suppliers.basispoort.tls.client_key",
        "sources.las.tls.client_key",
    ]
    assert all("lies on disk unencrypted" in w.message for w in enforced.warnings)


def test_a_passphrase_in_the_environment_wins_over_the_secrets_file(tmp_path: Path) -> None:
    """Like a credential, the passphrase is taken from the environment when it is set there,
    even when the secrets file holds another value under the same name."""
    pki = make_pki(tmp_path / "pki")
    key = serialization.load_pem_private_key(pki.client1.key.read_bytes(), None)
    encrypted = tmp_path / "client1.key.enc"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"the-right-one"),
        )
    )
    store = SecretFiles(tmp_path / "secrets.json", tmp_path / "secrets.key")
    store.set("BP_KEY_PASS", "a-stale-one")
    settings = settings_with(tmp_path, "https://basispoort.invalid/")
    settings = replace(settings, secrets_file=store.secrets_file, secrets_key_file=store.key_file)
    with settings.suppliers_file.open("a") as suppliers_yaml:
        suppliers_yaml.write(
            f"    tls: {{client_cert: {pki.client1.cert}, client_key: {encrypted},\n"
            "           client_key_password: {env: BP_KEY_PASS}}\n"
        )
    enforced = load(settings, {"BP_KEY_PASS": "the-right-one"})
    assert enforced.suppliers["basispoort"].tls is not None and enforced.warnings == ()
    with pytest.raises(InvalidConfiguration, match="does not decrypt"):
        load(settings, {})  # the stored value alone is the stale one
