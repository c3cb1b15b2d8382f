"""Values, end to end: through a real gateway to a real supplier, what an allowed field carries is
checked, and what breaks its rule or hides an identifier never arrives."""

from __future__ import annotations

import json
from typing import Any

import yaml

from gateway import samples
from tests.conftest import ROOT, RunningGateway, Upstream

ECKID = "https://ketenid.nl/201703/" + "9f" * 64
# Each of these reached the supplier before values were checked, logged as a plain "forwarded".
ATTACK = {
    ("leerlingen", 0, "groepsnaam"): ("Groep 3a 123456782", "inspected", "bsn"),
    ("leerlingen", 1, "tussenvoegsel"): (
        json.dumps({"bsn": "123456782", "godsdienst": "islamitisch", "medisch": "ADHD"}),
        "invalid",
        "length",
    ),
    ("leerlingen", 2, "jaargroep"): ("NL91ABNA0417164300", "invalid", "type"),
    ("leerlingen", 3, "geslacht"): ("Kerkstraat 12", "invalid", "enum"),
    ("leerlingen", 4, "geboortedatum"): ("Anna de Vries", "invalid", "format"),
    ("school", None, "dependance"): (ECKID, "invalid", "pattern"),
    ("groepen", 0, "naam"): ("x" * 4_000_000, "invalid", "length"),
}


def attacked(pupils: int) -> dict[str, Any]:
    document = samples.sync(pupils)
    for (where, index, key), (value, _, _) in ATTACK.items():
        target = document[where] if index is None else document[where][index]
        target[key] = value
    return document


def with_values(values: dict[str, Any]) -> str:
    data = yaml.safe_load((ROOT / "contracts" / "basispoort.yaml").read_text())
    data["values"] = values
    return yaml.safe_dump(data)


def path_of(where: str, index: int | None, key: str) -> str:
    return f"{where}.{key}" if index is None else f"{where}[].{key}"


async def test_no_bad_value_reaches_the_supplier_and_the_rest_does(
    start_gateway: Any, upstream: Upstream
) -> None:
    """Every attack value is left out for its record only, counted in the log by path and kind,
    and every pupil still arrives."""
    gateway: RunningGateway = await start_gateway()
    response = await gateway.push(attacked(30))
    assert response.status_code == 200, response.text
    [received] = upstream.received
    text = received.body.decode()
    for value, _, _ in ATTACK.values():
        assert value not in text
    assert "123456782" not in text
    sent = received.json()
    assert len(sent["leerlingen"]) == 30
    assert "groepsnaam" not in sent["leerlingen"][0] and "voornaam" in sent["leerlingen"][0]
    assert "dependance" not in sent["school"] and sent["school"]["brin"] == "99XX"
    assert "naam" not in sent["groepen"][0] and sent["groepen"][0]["groepskey"] == "G-1a"
    [entry] = await gateway.transfers()
    assert entry["outcome"] == "forwarded" and entry["records"] == 30
    expected: dict[str, dict[str, dict[str, int]]] = {"invalid": {}, "inspected": {}}
    for (where, index, key), (_, account, kind) in ATTACK.items():
        expected[account][path_of(where, index, key)] = {kind: 1}
    assert entry["fields_invalid"] == expected["invalid"]
    assert entry["fields_inspected"] == expected["inspected"]
    logged = json.dumps(entry)
    assert "123456782" not in logged and "Anna de Vries" not in logged


async def test_records_that_are_no_records_do_not_leave(
    start_gateway: Any, upstream: Upstream
) -> None:
    """Items that are not objects, or lack a valid leerlingkey, are not sent and not counted as
    records; the log says how many records really left."""
    gateway: RunningGateway = await start_gateway()
    document = samples.sync(2)
    document["leerlingen"] += ["x", 123, None, {"voornaam": "Sanne"}, {"leerlingkey": "a b"}]
    response = await gateway.push(document)
    assert response.status_code == 200, response.text
    assert len(upstream.received[0].json()["leerlingen"]) == 2
    [entry] = await gateway.transfers()
    assert entry["records"] == 2
    assert entry["fields_invalid"] == {
        "leerlingen[]": {"type": 3},
        "leerlingen[].leerlingkey": {"pattern": 1, "required": 1},
    }


async def test_on_invalid_block_refuses_the_whole_transfer(
    start_gateway: Any, upstream: Upstream
) -> None:
    """Under ``on_invalid: block`` one bad value refuses the transfer (422), nothing is sent, and
    the log says what was wrong."""
    gateway: RunningGateway = await start_gateway(
        contracts={"basispoort.yaml": with_values({"on_invalid": "block"})}
    )
    document = samples.sync(3)
    document["leerlingen"][1]["geboortedatum"] = "2017-02-30"
    response = await gateway.push(document)
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "/problems/invalid-values"
    assert "2017-02-30" not in response.text
    assert upstream.received == []
    [entry] = await gateway.transfers()
    assert (entry["outcome"], entry["problem"], entry["records"]) == (
        "blocked",
        "invalid-values",
        0,
    )
    assert entry["fields_invalid"] == {"leerlingen[].geboortedatum": {"format": 1}}
    assert entry["fields_forwarded"] == []


async def test_inspection_block_refuses_and_redact_leaves_out(
    start_gateway: Any, upstream: Upstream
) -> None:
    """A kind set to block refuses the transfer; the other kinds stay redacted."""
    gateway: RunningGateway = await start_gateway(
        contracts={"basispoort.yaml": with_values({"inspection": {"bsn": "block"}})}
    )
    document = samples.sync(3)
    document["groepen"][0]["naam"] = "Groep NL91 ABNA 0417 1643 00"
    response = await gateway.push(document)
    assert response.status_code == 200, response.text
    document["leerlingen"][0]["groepsnaam"] = "Groep 1a 1234.56.782"
    response = await gateway.push(document)
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "/problems/forbidden-content"
    assert "1234.56.782" not in response.text
    assert len(upstream.received) == 1
    assert "NL91" not in upstream.received[0].body.decode()
    refused, forwarded = await gateway.transfers()
    assert refused["outcome"] == "blocked"
    assert refused["fields_inspected"] == {
        "groepen[].naam": {"iban": 1},
        "leerlingen[].groepsnaam": {"bsn": 1},
    }
    assert forwarded["fields_inspected"] == {"groepen[].naam": {"iban": 1}}


async def test_a_clean_sync_passes_untouched(start_gateway: Any, upstream: Upstream) -> None:
    """The sample sync, with nine-digit numbers failing the eleven-test in its group names, leaves
    exactly as the Basispoort set of its input: nothing invalid, nothing inspected."""
    gateway: RunningGateway = await start_gateway()
    document = samples.sync(50)
    document["groepen"][0]["naam"] = "Groep 123456789"  # fails the eleven-test
    response = await gateway.push(document)
    assert response.status_code == 200, response.text
    [entry] = await gateway.transfers()
    assert entry["fields_invalid"] == {} and entry["fields_inspected"] == {}
    assert upstream.received[0].json()["groepen"][0]["naam"] == "Groep 123456789"
