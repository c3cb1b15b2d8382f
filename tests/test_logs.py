"""The operational log (gateway.logs): one line per transfer through a real gateway, as text or
as JSON lines from a served process, and never a pupil's data."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from gateway import logs, samples
from tests import rawhttp
from tests.conftest import SCHOOL, RunningGateway, Upstream, plain_environ
from tests.processes import cli, served

BSN = "123456782"


def transfer_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "gateway.transfer"]


async def test_one_line_per_transfer_whatever_its_end(
    start_gateway: Any, upstream: Upstream, caplog: pytest.LogCaptureFixture
) -> None:
    """A forwarded transfer, a refused one and one the protocol refused each give exactly one
    line with id, supplier, school, outcome, status and duration, and none of the pupil data
    in the bodies."""
    caplog.set_level(logging.INFO, logger="gateway.transfer")
    gateway: RunningGateway = await start_gateway()
    payload = samples.sync(2)
    payload["leerlingen"][0]["bsn"] = BSN
    forwarded = await gateway.push(payload)
    refused = await gateway.push(payload, headers=gateway.headers(key=None))
    too_large = await rawhttp.request(
        gateway.url, "POST", "/proxy/basispoort/sync", [("X-Filler", "a" * 100_000)]
    )
    ids = [forwarded.headers["X-Transfer-Id"], refused.headers["X-Transfer-Id"]]
    ids.append(too_large.header("x-transfer-id") or "")
    lines = {r.transfer["transfer_id"]: r for r in transfer_records(caplog)}  # type: ignore[attr-defined]
    assert set(lines) == set(ids), "one line per transfer"
    assert len(transfer_records(caplog)) == 3
    expected = {
        ids[0]: ("basispoort", SCHOOL, "forwarded", 200, logging.INFO),
        ids[1]: ("basispoort", None, "blocked", 401, logging.INFO),
        ids[2]: (None, None, "rejected", 431, logging.INFO),
    }
    for transfer_id, (supplier, school, outcome, status, level) in expected.items():
        record = lines[transfer_id]
        fields = record.transfer  # type: ignore[attr-defined]
        assert (fields["supplier"], fields["school"], fields["outcome"], fields["status"]) == (
            supplier, school, outcome, status
        )  # fmt: skip
        assert record.levelno == level
        assert fields["duration_ms"] is not None
        text = record.getMessage()
        assert f"outcome={outcome}" in text and f"status={status}" in text
        assert transfer_id in text
    everything = "\n".join(r.getMessage() for r in caplog.records)
    for value in (BSN, payload["leerlingen"][0]["voornaam"], payload["leerlingen"][1]["eckid"]):
        assert value not in everything


async def test_a_supplier_failure_is_a_warning_line(
    start_gateway: Any, upstream: Upstream, caplog: pytest.LogCaptureFixture
) -> None:
    """A 502 from an unreachable supplier is logged as a warning an operator sees."""
    caplog.set_level(logging.INFO, logger="gateway.transfer")
    upstream.url = "http://127.0.0.1:1/api/"
    gateway: RunningGateway = await start_gateway()
    response = await gateway.push(samples.sync(1))
    assert response.status_code == 502
    [record] = transfer_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.transfer["outcome"] == "upstream_error"  # type: ignore[attr-defined]


def test_json_lines_carry_a_transfers_fields_as_keys() -> None:
    """The JSON formatter writes one object with time, level, logger, message and the fields."""
    record = logging.LogRecord(
        "gateway.transfer", logging.INFO, __file__, 1, "transfer %s", ("x",), None
    )
    record.transfer = {"transfer_id": "x", "outcome": "forwarded", "status": 200}
    line = json.loads(logs.JsonLines().format(record))
    assert line["level"] == "info" and line["logger"] == "gateway.transfer"
    assert line["message"] == "transfer x"
    assert (line["transfer_id"], line["outcome"], line["status"]) == ("x", "forwarded", 200)
    assert line["time"].endswith("+00:00")


async def test_a_served_gateway_writes_json_lines_when_asked(
    tmp_path: Path, database_url: str, upstream: Upstream
) -> None:
    """``poortwachter serve`` with GATEWAY_LOG_FORMAT=json writes every line on stdout as JSON,
    the transfer's line with its fields."""
    env = {
        **plain_environ(),
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_UPSTREAM_BASISPOORT": upstream.url,
        "GATEWAY_LOG_FORMAT": "json",
    }
    key = cli(env, "keys", "create", "--client", "parnassys", "--schools", SCHOOL)
    log = tmp_path / "serve.log"
    async with served(env, log) as (_, url):
        import httpx

        async with httpx.AsyncClient(base_url=url) as client:
            response = await client.post(
                "/proxy/basispoort/sync",
                content=json.dumps(samples.sync(1)).encode(),
                headers={"Authorization": f"Bearer {key}", "X-School": SCHOOL,
                         "Content-Type": "application/json"},
            )  # fmt: skip
        assert response.status_code == 200, response.text
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    [line] = [line for line in lines if line.get("logger") == "gateway.transfer"]
    assert line["transfer_id"] == response.headers["X-Transfer-Id"]
    assert (line["outcome"], line["status"], line["supplier"]) == ("forwarded", 200, "basispoort")
    assert any(entry["logger"].startswith("uvicorn") for entry in lines)  # uvicorn's too
