"""What the log keeps of a transfer: field paths and counts, never pupil values."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from gateway import samples
from gateway.access.keys import Client
from gateway.evidence.models import TransferRecord
from gateway.formats.json_reference import filtered
from gateway.register import loading
from gateway.register.schools import School, SchoolScope
from gateway.settings import Settings
from gateway.transfer import record
from gateway.transfer.state import Transfer
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def basispoort() -> Any:
    """The shipped Basispoort agreement and the las-sync payload schema."""
    enforced = loading.load(
        Settings(contracts_dir=ROOT / "contracts", config_dir=ROOT / "config"), {}
    )
    [agreement] = enforced.register.all()
    return agreement, enforced.payload_schemas["las-sync"]


def _strings(value: Any) -> set[str]:
    """Every string value (not key) anywhere in ``value``."""
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value))
    return {value} if isinstance(value, str) else set()


def _transfer(document: dict[str, Any], agreement: Any, schema: Any) -> Transfer:
    route = agreement.routes[0]
    result = filtered(document, route.policy, schema)
    moment = datetime(2031, 5, 5, 5, 5, 5, tzinfo=UTC)  # no date in the samples looks like this
    transfer = Transfer(
        method="POST",
        path="/sync",
        supplier="basispoort",
        started_at=moment,
        client=Client(7, "parnassys", "source", SchoolScope.of(["99XX"])),
        school=School.parse("99XX"),
        agreement=agreement,
        route=route,
        filtered=result,
        body_sha256=hashlib.sha256(result.body).hexdigest(),
        query_stripped=2,
    )
    return transfer


def test_entry_holds_no_pupil_values(basispoort: Any) -> None:
    """The log entry for a filtered 3-pupil sync names paths and counts, never a pupil's value."""
    agreement, schema = basispoort
    document = samples.sync(3)
    transfer = _transfer(document, agreement, schema)
    entry = record.entry(transfer)
    logged = json.dumps(entry, default=str)
    values = {s for s in _strings(document["leerlingen"]) if len(s) >= 4}
    assert len(values) > 50
    forwarded_text = transfer.filtered.body.decode()  # type: ignore[union-attr]
    assert any(v in forwarded_text for v in values)  # the check below can fail
    leaked = sorted(v for v in values if v in logged)
    assert leaked == []
    assert entry["records"] == 3
    assert entry["fields_stripped"]["leerlingen[].bsn"] == 3
    assert entry["fields_stripped"]["?*"] == 2
    assert "leerlingen[].voornaam" in entry["fields_forwarded"]
    assert (entry["source_system"], entry["school"], entry["key_id"]) == ("parnassys", "99XX", 7)


def test_entry_does_not_name_keys_the_sender_made_up(basispoort: Any) -> None:
    """A key the schema does not know is counted as ``<parent>.*``: a key can carry data too."""
    agreement, schema = basispoort
    document = samples.sync(1)
    document["leerlingen"][0]["Sanne Berg 2018-03-01"] = "x"
    document["school"]["bsn 123456782"] = True
    entry = record.entry(_transfer(document, agreement, schema))
    logged = json.dumps(entry, default=str)
    assert "Sanne Berg" not in logged and "123456782" not in logged
    assert entry["fields_stripped"]["leerlingen[].*"] == 1
    assert entry["fields_stripped"]["school.*"] == 1


def test_entry_of_a_refusal_before_filtering(basispoort: Any) -> None:
    """A transfer refused before filtering gets an entry with zero records and no field lists."""
    transfer = Transfer(method="POST", path="/sync", supplier="basispoort")
    transfer.finish("blocked", 401, problem="unauthenticated")
    entry = record.entry(transfer)
    assert (entry["records"], entry["fields_forwarded"], entry["fields_stripped"]) == (0, [], {})
    assert (entry["source_system"], entry["school"], entry["agreement_reference"]) == (
        None,
        None,
        None,
    )
    assert set(entry) == {f for f in TransferRecord._meta.fields_map if f != "seq"}


def test_entry_of_a_refusal_after_filtering_keeps_what_the_filter_found(basispoort: Any) -> None:
    """A transfer blocked for what the filter found says nothing left, and what was found."""
    agreement, schema = basispoort
    document = samples.sync(2)
    document["leerlingen"][0]["groepsnaam"] = "Groep 3a 123456782"
    document["leerlingen"][1]["geboortedatum"] = "Anna de Vries"
    transfer = _transfer(document, agreement, schema)
    transfer.finish("blocked", 422, problem="forbidden-content")
    entry = record.entry(transfer)
    assert (entry["records"], entry["fields_forwarded"]) == (0, [])
    assert entry["fields_inspected"] == {"leerlingen[].groepsnaam": {"bsn": 1}}
    assert entry["fields_invalid"] == {"leerlingen[].geboortedatum": {"format": 1}}
    logged = json.dumps(entry, default=str)
    assert "123456782" not in logged and "Anna de Vries" not in logged
