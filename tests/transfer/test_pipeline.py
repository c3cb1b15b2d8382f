"""End to end through a real gateway (uvicorn) to a real supplier server on loopback."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from tortoise import connections

from gateway import samples
from tests.conftest import ROOT, SCHOOL, RunningGateway, Upstream

BASISPOORT_SET = {
    "school": {"brin", "dependance", "basispoort_id"},
    "groepen[]": {"groepskey", "naam", "jaargroep"},
    "leerlingen[]": {
        "basispoort_id", "leerlingkey", "voornaam", "tussenvoegsel", "achternaam",
        "geboortedatum", "geslacht", "groepskey", "groepsnaam", "jaargroep",
    },
}  # fmt: skip


def contract(**changes: Any) -> str:
    """The shipped Basispoort contract with top-level or agreement keys changed."""
    data = yaml.safe_load((ROOT / "contracts" / "basispoort.yaml").read_text())
    for key, value in changes.items():
        if key in data["agreement"] or key in ("valid_until", "lifecycle"):
            data["agreement"][key] = value
        else:
            data[key] = value
    return yaml.safe_dump(data)


async def test_supplier_receives_exactly_the_basispoort_set(
    start_gateway: Any, upstream: Upstream
) -> None:
    """A full sync of 30 pupils with every field reaches Basispoort as the Basispoort set only."""
    gateway: RunningGateway = await start_gateway()
    payload = samples.sync(30)
    response = await gateway.push(payload)
    assert response.status_code == 200
    assert len(upstream.received) == 1
    sent = upstream.received[0].json()
    assert set(sent) == {"school", "groepen", "leerlingen"}
    assert set(sent["school"]) == BASISPOORT_SET["school"]
    assert all(set(g) == BASISPOORT_SET["groepen[]"] for g in sent["groepen"])
    assert len(sent["leerlingen"]) == 30
    for pupil in sent["leerlingen"]:
        assert set(pupil) == BASISPOORT_SET["leerlingen[]"]
    text = upstream.received[0].body.decode()
    for original in payload["leerlingen"]:
        for value in (
            original["bsn"],
            original["ouders"][0]["iban"],
            original["eckid"],
            original["adres"]["postcode"],
            original["zorgverzekering"]["polisnummer"],
        ):
            assert value not in text


async def test_log_entry_names_every_stripped_path_with_its_count(
    start_gateway: Any, upstream: Upstream
) -> None:
    """The log entry lists each stripped path with how often it was stripped, and no values."""
    gateway = await start_gateway()
    payload = samples.sync(30)
    response = await gateway.push(payload)
    [entry] = await gateway.transfers()
    assert entry["id"] == response.headers["X-Transfer-Id"]
    assert entry["outcome"] == "forwarded"
    assert entry["records"] == 30
    assert entry["source_system"] == "parnassys"
    assert entry["school"] == SCHOOL
    assert (entry["agreement_reference"], entry["agreement_version"]) == (
        "OPRON-BASISPOORT",
        "2018.1",
    )
    pupil_keys = set(payload["leerlingen"][0]) - BASISPOORT_SET["leerlingen[]"]
    expected = {f"leerlingen[].{key}": 30 for key in pupil_keys}
    expected |= {"school.naam": 1, "school.plaats": 1}
    assert entry["fields_stripped"] == expected
    assert "leerlingen[].bsn" in entry["fields_stripped"]
    forwarded = {f"leerlingen[].{k}" for k in BASISPOORT_SET["leerlingen[]"]}
    forwarded |= {f"groepen[].{k}" for k in BASISPOORT_SET["groepen[]"]}
    forwarded |= {f"school.{k}" for k in BASISPOORT_SET["school"]}
    assert set(entry["fields_forwarded"]) == forwarded
    assert entry["body_sha256"] == hashlib.sha256(upstream.received[0].body).hexdigest()
    logged = json.dumps(entry)
    for value in ("Sanne", payload["leerlingen"][0]["achternaam"], payload["leerlingen"][0]["bsn"]):
        assert value not in logged


async def test_only_safe_headers_cross_in_either_direction(
    start_gateway: Any, upstream: Upstream
) -> None:
    """The LAS's key, cookies and school header stay behind; the supplier's cookie does too."""
    gateway = await start_gateway()
    headers = gateway.headers(Cookie="session=las", Accept="application/json")
    response = await gateway.push(samples.sync(1), headers=headers)
    sent = {k.lower(): v for k, v in upstream.received[0].headers.items()}
    assert "authorization" not in sent
    assert "cookie" not in sent
    assert "x-school" not in sent
    assert sent["accept"] == "application/json"
    assert sent["x-transfer-id"] == response.headers["X-Transfer-Id"]
    assert "set-cookie" not in response.headers


async def test_query_parameters_not_named_by_the_route_are_stripped_and_counted(
    start_gateway: Any, upstream: Upstream
) -> None:
    """Pupil data in the query string does not ride along; the log counts it without naming it."""
    gateway = await start_gateway()
    await gateway.push(samples.sync(1), path="/proxy/basispoort/sync?naam=Sanne&bsn=123")
    assert upstream.received[0].query == ""
    [entry] = await gateway.transfers()
    assert entry["fields_stripped"]["?*"] == 2
    assert "Sanne" not in json.dumps(entry)


async def test_supplier_error_status_is_passed_back_and_logged(
    start_gateway: Any, upstream: Upstream
) -> None:
    """A supplier's own 500 reaches the caller; the data did leave, so the entry says forwarded."""
    gateway = await start_gateway()
    upstream.status = 500
    upstream.reply = b'{"error": "boom"}'
    response = await gateway.push(samples.sync(2))
    assert response.status_code == 500
    assert response.json() == {"error": "boom"}
    [entry] = await gateway.transfers()
    assert (entry["outcome"], entry["upstream_status"]) == ("forwarded", 500)


async def test_get_without_body_is_forwarded_when_the_route_allows_it(
    start_gateway: Any, upstream: Upstream
) -> None:
    """A route with no body (GET) is forwarded as-is, and logged with zero records."""
    text = contract(routes=[{"method": "GET", "path": "/status/{id}", "fields": []}])
    gateway = await start_gateway({"basispoort.yaml": text})
    response = await gateway.client.get("/proxy/basispoort/status/7", headers=gateway.headers())
    assert response.status_code == 200
    assert upstream.received[0].method == "GET"
    assert upstream.received[0].path == "/api/status/7"
    [entry] = await gateway.transfers()
    assert (entry["route"], entry["records"]) == ("GET /status/{id}", 0)


REFUSALS = [
    # (case, request changes, status, problem, outcome)
    ("no key", {"key": None}, 401, "unauthenticated", "blocked"),
    ("unknown key", {"key": "pw_not-a-key"}, 401, "unauthenticated", "blocked"),
    ("fg key on proxy", {"key": "fg"}, 403, "forbidden", "blocked"),
    ("unknown supplier", {"path": "/proxy/nobody/sync"}, 404, "unknown-supplier", "rejected"),
    ("no school header", {"school": None}, 400, "missing-school", "rejected"),
    ("not a school code", {"school": "Veendam"}, 400, "missing-school", "rejected"),
    ("school not allowed", {"school": "98YY"}, 403, "school-not-allowed", "blocked"),
    ("payload for another school", {"brin": "98YY"}, 403, "school-mismatch", "blocked"),
    ("route not covered", {"path": "/proxy/basispoort/other"}, 403, "route-not-covered", "blocked"),
    ("malformed JSON", {"body": b'{"leerlingen": [}'}, 400, "malformed-body", "rejected"),
    ("top-level array", {"body": b"[1, 2]"}, 400, "malformed-body", "rejected"),
    ("not JSON", {"content_type": "text/plain"}, 415, "unsupported-media-type", "rejected"),
    ("unknown encoding", {"encoding": "br"}, 415, "unsupported-media-type", "rejected"),
    ("gzip that is not", {"encoding": "gzip"}, 400, "malformed-body", "rejected"),
    ("too large", {"body": b'{"x": "' + b"a" * 20000 + b'"}'}, 413, "body-too-large", "rejected"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "change", "status", "problem", "outcome"), REFUSALS, ids=[r[0] for r in REFUSALS]
)
async def test_refusal(
    start_gateway: Any,
    upstream: Upstream,
    case: str,
    change: dict[str, Any],
    status: int,
    problem: str,
    outcome: str,
) -> None:
    """Each refusal answers with its status and a problem body, is logged, and sends nothing."""
    gateway = await start_gateway(max_body_bytes=16384)
    payload = samples.sync(2)
    payload["school"]["brin"] = change.get("brin", SCHOOL)
    key = change.get("key", "")
    key = gateway.fg_key if key == "fg" else key
    headers = gateway.headers(key=key, school=change.get("school", SCHOOL))
    headers["Content-Type"] = change.get("content_type", "application/json")
    if "encoding" in change:
        headers["Content-Encoding"] = change["encoding"]
    body = change.get("body", json.dumps(payload).encode())
    response = await gateway.push(
        body, path=change.get("path", "/proxy/basispoort/sync"), headers=headers
    )
    assert response.status_code == status, response.text
    assert_problem(response, status, problem)
    assert upstream.received == []
    [entry] = await gateway.transfers()
    assert entry["id"] == response.json()["transfer_id"]
    assert (entry["outcome"], entry["status"], entry["problem"]) == (outcome, status, problem)
    assert entry["fields_forwarded"] == []


def assert_problem(response: Any, status: int, problem: str) -> None:
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"/problems/{problem}"
    assert body["status"] == status
    assert body["title"] and body["detail"]
    assert body["transfer_id"] == response.headers["X-Transfer-Id"]


LIFECYCLE = [
    ("expired", {"valid_from": "2020-01-01", "valid_until": "2021-12-31"}, "is expired"),
    ("pending", {"valid_from": "2099-01-01"}, "is pending"),
    ("suspended", {"lifecycle": {"status": "suspended", "since": "2021-01-01",
                                 "reason": "datalek bij leverancier"}}, "is suspended since"),
    ("terminated", {"lifecycle": {"status": "terminated", "since": "2021-01-01",
                                  "reason": "opgezegd"}}, "is terminated since"),
    ("other schools only", {"schools": ["98YY"]}, "no agreement with basispoort covers"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "changes", "says"), LIFECYCLE, ids=[c[0] for c in LIFECYCLE])
async def test_no_agreement_in_force_blocks(
    start_gateway: Any, upstream: Upstream, case: str, changes: dict[str, Any], says: str
) -> None:
    """Without an agreement in force for the school today, nothing flows (403, logged)."""
    gateway = await start_gateway({"basispoort.yaml": contract(**changes)})
    response = await gateway.push(samples.sync(2))
    assert response.status_code == 403
    assert_problem(response, 403, "no-agreement")
    assert says in response.json()["detail"]
    assert upstream.received == []
    [entry] = await gateway.transfers()
    assert (entry["outcome"], entry["problem"]) == ("blocked", "no-agreement")


async def test_a_new_agreement_version_takes_over_on_its_first_day(
    start_gateway: Any, upstream: Upstream
) -> None:
    """With an expired version and one in force, the transfer is logged under the one in force."""
    old = contract(valid_from="2018-07-03", valid_until="2021-12-31", version="2018.1")
    new = contract(valid_from="2022-01-01", version="2022.1")
    gateway = await start_gateway({"basispoort-2018.yaml": old, "basispoort-2022.yaml": new})
    assert (await gateway.push(samples.sync(1))).status_code == 200
    [entry] = await gateway.transfers()
    assert entry["agreement_version"] == "2022.1"


async def test_unreachable_supplier_is_502_and_logged(
    start_gateway: Any, upstream: Upstream, unused_tcp_port: int
) -> None:
    """A supplier that refuses connections gives 502 and an upstream_error entry."""
    upstream.url = f"http://127.0.0.1:{unused_tcp_port}/"
    gateway = await start_gateway()
    response = await gateway.push(samples.sync(2))
    assert_problem(response, 502, "upstream-unreachable")
    [entry] = await gateway.transfers()
    assert (entry["outcome"], entry["status"]) == ("upstream_error", 502)
    assert entry["body_sha256"] is not None  # what may have left is on record


async def test_slow_supplier_is_504_and_logged(start_gateway: Any, upstream: Upstream) -> None:
    """A supplier slower than its read timeout gives 504 and an upstream_error entry."""
    upstream.delay = 3.0
    gateway = await start_gateway(
        suppliers="suppliers:\n  basispoort:\n    upstream: https://basispoort.invalid/\n"
        "    connect_timeout: 1\n    read_timeout: 0.5\n"
    )
    response = await gateway.push(samples.sync(2))
    assert_problem(response, 504, "upstream-timeout")
    [entry] = await gateway.transfers()
    assert (entry["outcome"], entry["status"]) == ("upstream_error", 504)


async def test_nothing_is_forwarded_when_the_log_cannot_be_written(
    start_gateway: Any, upstream: Upstream
) -> None:
    """With the log table gone, the transfer is refused with 503 and the supplier gets nothing."""
    gateway = await start_gateway(log_write_timeout=2.0)
    await connections.get("default").execute_script("DROP TABLE transfer")
    response = await gateway.push(samples.sync(2))
    assert_problem(response, 503, "log-unavailable")
    assert upstream.received == []


@pytest.fixture
def unused_tcp_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_contract_helper_changes_what_it_says(tmp_path: Path) -> None:
    """The test helper really changes the contract (so the lifecycle tests test something)."""
    data = yaml.safe_load(contract(valid_until="2021-12-31", schools=["98YY"]))
    assert data["agreement"]["valid_until"] == "2021-12-31"
    assert data["schools"] == ["98YY"]
