"""Consents and transformations, end to end: through a real gateway to a real supplier, a field
that depends on a pupil's consent arrives only with it, transformed fields arrive transformed,
and the log counts both by path."""

from __future__ import annotations

import hashlib
import hmac
import stat
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from gateway import samples
from gateway.app import create_app
from gateway.formats.transforms import KeyFileError, age_on, supplier_key
from gateway.settings import Settings
from tests.conftest import ROOT, RunningGateway, Upstream


def conditioned_contract() -> str:
    data = yaml.safe_load((ROOT / "contracts" / "basispoort.yaml").read_text())
    for route in data["routes"]:
        if route.get("payload", "las-sync") != "las-sync":
            continue  # the /sync routes; Basispoort's REST shapes have other field names
        fields = [
            f
            for f in route["fields"]
            if f not in ("leerlingen[].leerlingkey", "leerlingen[].geboortedatum")
        ]
        route["fields"] = [
            *fields,
            {"path": "leerlingen[].leerlingkey", "transform": "pseudonym"},
            {"path": "leerlingen[].geboortedatum", "transform": "age_years"},
            {"path": "leerlingen[].adres.postcode", "transform": "postcode_digits"},
            {"path": "leerlingen[].foto_url", "requires_consent": "toestemmingen.foto_video"},
        ]
    return yaml.safe_dump(data)


async def test_consents_and_transformations_reach_the_supplier_as_agreed(
    start_gateway: Any, upstream: Upstream, tmp_path: Path
) -> None:
    """Only pupils whose foto_video consent is true arrive with foto_url; leerlingkey arrives as
    the supplier's pseudonym, geboortedatum as an age, postcode as four digits; the key file is
    made 0600 at start; the log counts withheld and transformed per path, never a value."""
    key_file = tmp_path / "keys" / "pseudonym.key"
    gateway: RunningGateway = await start_gateway(
        contracts={"basispoort.yaml": conditioned_contract()}, pseudonym_key_file=key_file
    )
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    document = samples.sync(5, seed=11)
    pupils = document["leerlingen"]
    for pupil, consent in zip(pupils, [True, False, None, "true", True], strict=True):
        pupil["toestemmingen"]["foto_video"] = consent
    del pupils[4]["toestemmingen"]
    response = await gateway.push(document)
    assert response.status_code == 200, response.text
    [received] = upstream.received
    sent = received.json()["leerlingen"]
    assert ["foto_url" in p for p in sent] == [True, False, False, False, False]
    key = supplier_key(bytes.fromhex(key_file.read_text().strip()), "basispoort")
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    for source, out in zip(pupils, sent, strict=True):
        expected = hmac.new(key, source["leerlingkey"].encode(), hashlib.sha256).hexdigest()[:32]
        assert out["leerlingkey"] == expected
        assert out["geboortedatum"] == age_on(
            datetime.strptime(source["geboortedatum"], "%Y-%m-%d").date(), today
        )
        assert "adres" not in out or out["adres"] == {"postcode": source["adres"]["postcode"][:4]}
        assert source["leerlingkey"] not in received.body.decode()
    [entry] = await gateway.transfers()
    assert entry["fields_withheld"] == {"leerlingen[].foto_url": 4}
    assert entry["fields_transformed"] == {
        "leerlingen[].adres.postcode": {"postcode_digits": 5},
        "leerlingen[].geboortedatum": {"age_years": 5},
        "leerlingen[].leerlingkey": {"pseudonym": 5},
    }
    assert "leerlingen[].foto_url" in entry["fields_forwarded"]
    assert pupils[0]["leerlingkey"] not in str(entry)


async def test_an_existing_pseudonym_key_is_used_and_not_replaced(
    start_gateway: Any, upstream: Upstream, tmp_path: Path
) -> None:
    """A gateway whose key file exists uses that key (a restart keeps every pseudonym)."""
    key_file = tmp_path / "pseudonym.key"
    master = bytes(range(32))
    key_file.write_text(master.hex() + "\n")
    key_file.chmod(0o600)
    gateway = await start_gateway(
        contracts={"basispoort.yaml": conditioned_contract()}, pseudonym_key_file=key_file
    )
    document = samples.sync(1)
    await gateway.push(document)
    pseudonym = upstream.received[0].json()["leerlingen"][0]["leerlingkey"]
    key = supplier_key(master, "basispoort")
    source = document["leerlingen"][0]["leerlingkey"].encode()
    assert pseudonym == hmac.new(key, source, hashlib.sha256).hexdigest()[:32]
    assert key_file.read_text() == master.hex() + "\n"


def test_a_key_file_others_can_read_stops_the_start(tmp_path: Path) -> None:
    """The gateway does not start on a pseudonym key that is not the owner's alone."""
    key_file = tmp_path / "pseudonym.key"
    key_file.write_text(bytes(32).hex() + "\n")
    key_file.chmod(0o644)
    contracts = tmp_path / "contracts"
    contracts.mkdir()
    (contracts / "basispoort.yaml").write_text(conditioned_contract())
    config = tmp_path / "config"
    config.mkdir()
    (config / "suppliers.yaml").write_text(
        "suppliers:\n  basispoort:\n    upstream: https://basispoort.invalid/\n"
    )
    settings = Settings(
        database_url=f"sqlite://{tmp_path / 'db.sqlite3'}",
        contracts_dir=contracts,
        config_dir=config,
        pseudonym_key_file=key_file,
    )
    with pytest.raises(KeyFileError, match="0600"):
        create_app(settings, {})
