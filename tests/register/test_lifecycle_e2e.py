"""The register gating real transfers: a real gateway (uvicorn) to a real upstream on loopback.

The gateway's clock is set by each test (``Gateway.clock``): expiry is tested at the second it
happens, without sleeping until then and without a restart.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gateway import samples
from gateway.access import keys
from gateway.formats import payload_schema
from gateway.register import contract_files, versions
from gateway.register.reloading import Reloader
from gateway.transfer.pipeline import Gateway
from tests.conftest import RunningGateway, Upstream
from tests.register import contracts
from tests.test_app import assert_problem

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
BEFORE_NOON = datetime(2026, 12, 6, 11, 59, 59, 999000, tzinfo=AMSTERDAM)
NOON = datetime(2026, 12, 6, 12, 0, 0, tzinfo=AMSTERDAM)


def set_clock(gateway: RunningGateway, moment: datetime) -> None:
    engine: Gateway = gateway.app.state.gateway
    engine.clock = lambda: moment


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def start(start_gateway: Any, text: str) -> RunningGateway:
    gateway: RunningGateway = await start_gateway({"basispoort.yaml": text})
    set_clock(gateway, BEFORE_NOON)
    return gateway


STATES = [
    ("draft", {"draft": True}, "is draft: a draft is never in force"),
    ("pending", {"valid_from": "2027-01-01"}, "is pending: not yet in force"),
    ("expired", {"valid_until": "2026-12-05"}, "is expired: it was valid until 2026-12-05"),
    ("suspended", {"lifecycle": {"status": "suspended", "since": "2026-11-01",
                                 "reason": "datalek bij leverancier"}},
     "is suspended since 2026-11-01: datalek bij leverancier"),
    ("terminated", {"lifecycle": {"status": "terminated", "since": "2026-11-01",
                                  "reason": "opgezegd", "deletion_confirmed": None}},
     "is terminated since 2026-11-01: opgezegd"),
]  # fmt: skip


@pytest.mark.parametrize(("state", "changes", "says"), STATES, ids=[s[0] for s in STATES])
async def test_an_agreement_not_in_force_blocks_with_its_reason(
    start_gateway: Any, upstream: Upstream, state: str, changes: dict[str, Any], says: str
) -> None:
    """Draft, pending, expired, suspended, terminated: 403 no-agreement saying why in the
    gateway's own words, nothing sent, the refusal in the log with its problem."""
    gateway = await start(start_gateway, contracts.text(**changes))
    response = await gateway.push(samples.sync(2))
    assert_problem(response, 403, "no-agreement")
    assert says in response.json()["detail"]
    assert upstream.received == []
    [entry] = await gateway.transfers()
    assert (entry["outcome"], entry["problem"], entry["status"]) == ("blocked", "no-agreement", 403)


async def test_an_active_agreement_lets_through_and_names_its_version(
    start_gateway: Any, upstream: Upstream
) -> None:
    """An active agreement forwards; the entry names reference, version and the file's hash."""
    text = contracts.text()
    gateway = await start(start_gateway, text)
    response = await gateway.push(samples.sync(2))
    assert response.status_code == 200, response.text
    assert len(upstream.received) == 1
    [entry] = await gateway.transfers()
    assert (entry["agreement_reference"], entry["agreement_version"]) == (
        "OPRON-BASISPOORT", "2018.1",
    )  # fmt: skip
    assert entry["agreement_sha256"] == sha256(text)


async def test_expiry_takes_effect_at_the_exact_second(
    start_gateway: Any, upstream: Upstream
) -> None:
    """valid_until 2026-12-06T12:00:00: a transfer at 11:59:59.999 goes, one at 12:00:00 does
    not, in the same running gateway."""
    gateway = await start(start_gateway, contracts.text(valid_until="2026-12-06T12:00:00"))
    assert (await gateway.push(samples.sync(1))).status_code == 200
    set_clock(gateway, NOON)
    response = await gateway.push(samples.sync(1))
    assert_problem(response, 403, "no-agreement")
    assert "valid until 2026-12-06 12:00:00" in response.json()["detail"]
    assert len(upstream.received) == 1


async def test_a_day_of_expiry_lasts_until_midnight_in_the_gateway_timezone(
    start_gateway: Any, upstream: Upstream
) -> None:
    """valid_until 2026-12-06: 23:59:59 Amsterdam goes; 00:00 Amsterdam (23:00 UTC) does not."""
    gateway = await start(start_gateway, contracts.text(valid_until="2026-12-06"))
    set_clock(gateway, datetime(2026, 12, 6, 23, 59, 59, tzinfo=AMSTERDAM))
    assert (await gateway.push(samples.sync(1))).status_code == 200
    set_clock(gateway, datetime(2026, 12, 7, 0, 0, 0, tzinfo=AMSTERDAM))
    assert (await gateway.push(samples.sync(1))).status_code == 403


class SlowBody:
    """A request body sent in two halves: the second only once ``release`` is set."""

    def __init__(self, payload: Any) -> None:
        self.data = json.dumps(payload).encode()
        self.first_sent = asyncio.Event()
        self.release = asyncio.Event()

    async def chunks(self) -> AsyncIterator[bytes]:
        half = len(self.data) // 2
        yield self.data[:half]
        self.first_sent.set()
        await self.release.wait()
        yield self.data[half:]


async def held(gateway: RunningGateway, body: SlowBody, **headers: str) -> Any:
    """Start a push whose body waits; returns its task once the gateway is reading the body."""
    task = asyncio.create_task(
        gateway.client.post(
            "/proxy/basispoort/sync", content=body.chunks(), headers=gateway.headers(**headers)
        )
    )
    await body.first_sent.wait()
    await asyncio.sleep(0.3)  # the gateway has resolved the agreement and reads the body
    return task


async def test_a_transfer_waiting_when_its_agreement_expires_is_stopped(
    start_gateway: Any, upstream: Upstream
) -> None:
    """A transfer that resolved its agreement before the expiry but would leave after it is
    blocked by the check just before forwarding: nothing leaves after valid_until."""
    gateway = await start(start_gateway, contracts.text(valid_until="2026-12-06T12:00:00"))
    body = SlowBody(samples.sync(3))
    task = await held(gateway, body)
    set_clock(gateway, NOON)
    body.release.set()
    response = await task
    assert_problem(response, 403, "no-agreement")
    assert upstream.received == []
    [entry] = await gateway.transfers()
    assert (entry["outcome"], entry["agreement_version"]) == ("blocked", "2018.1")


async def test_a_reload_swaps_versions_while_a_transfer_is_in_flight(
    start_gateway: Any, upstream: Upstream
) -> None:
    """A transfer in flight during a reload finishes under the version it started with; the
    next names the new version; the old version stays in the register's history."""
    old = contracts.text()
    gateway = await start(start_gateway, old)
    reloader: Reloader = gateway.app.state.reloader
    body = SlowBody(samples.sync(2))
    first = await held(gateway, body)
    new = contracts.text(version="2026.2")
    (gateway.settings.contracts_dir / "basispoort.yaml").write_text(new, encoding="utf-8")
    assert await reloader.reload_files("test") is not None
    second = await gateway.push(samples.sync(2))
    body.release.set()
    assert (await first).status_code == 200 and second.status_code == 200
    entries = {e["agreement_version"]: e for e in await gateway.transfers()}
    assert entries["2018.1"]["agreement_sha256"] == sha256(old)
    assert entries["2026.2"]["agreement_sha256"] == sha256(new)
    listing = await gateway.client.get(
        "/api/agreements/basispoort", headers={"Authorization": f"Bearer {gateway.fg_key}"}
    )
    versions = {v["version"]: v for v in listing.json()["versions"]}
    assert versions["2018.1"]["loaded"] is False and versions["2018.1"]["text"] == old
    assert versions["2026.2"]["loaded"] is True
    assert listing.json()["in_force"]["version"] == "2026.2"


async def test_an_invalid_reload_is_refused_and_the_version_in_force_stays(
    start_gateway: Any, upstream: Upstream, caplog: pytest.LogCaptureFixture
) -> None:
    """A broken contract file is refused with its problem logged; transfers go on under the
    version that was in force."""
    gateway = await start(start_gateway, contracts.text())
    reloader: Reloader = gateway.app.state.reloader
    path = gateway.settings.contracts_dir / "basispoort.yaml"
    path.write_text(contracts.text(model_version="5"), encoding="utf-8")
    assert await reloader.reload_files("test") is None
    assert "reload refused" in caplog.text and "agreement.model_version" in caplog.text
    assert (await gateway.push(samples.sync(1))).status_code == 200
    [entry] = await gateway.transfers()
    assert entry["agreement_version"] == "2018.1"


SCHOOLS = """schools:
  - name: Obs De Mieden
    town: Meeden
    brin: 99XX
    withdrawn:
      - supplier: basispoort
        since: 2026-12-01
        reason: the school no longer uses Basispoort
  - name: Obs De Tandem
    town: Zuidbroek
    brin: 98YY
"""


async def test_a_withdrawn_permission_blocks_that_school_only(
    start_gateway: Any, upstream: Upstream
) -> None:
    """99XX withdrew its permission for Basispoort: its transfer is 403 permission-withdrawn
    (on record, with the reason), 98YY's goes through under the same agreement."""
    gateway = await start(start_gateway, contracts.text())
    (gateway.settings.config_dir / "schools.yaml").write_text(SCHOOLS, encoding="utf-8")
    reloader: Reloader = gateway.app.state.reloader
    assert await reloader.reload_files("test") is not None
    other_key, _ = await keys.create("las-98yy", "source", ["98YY"])
    refused = await gateway.push(samples.sync(1))
    assert_problem(refused, 403, "permission-withdrawn")
    assert "since 2026-12-01: the school no longer uses Basispoort" in refused.json()["detail"]
    payload = samples.sync(1)
    payload["school"]["brin"] = "98YY"
    allowed = await gateway.push(payload, headers=gateway.headers(key=other_key, school="98YY"))
    assert allowed.status_code == 200, allowed.text
    assert len(upstream.received) == 1
    by_school = {e["school"]: e for e in await gateway.transfers()}
    assert (by_school["99XX"]["outcome"], by_school["99XX"]["problem"]) == (
        "blocked", "permission-withdrawn",
    )  # fmt: skip
    assert by_school["98YY"]["outcome"] == "forwarded"


async def test_the_register_api_lists_state_versions_and_warnings(
    start_gateway: Any, upstream: Upstream
) -> None:
    """FG keys read the register: the shipped contract with its unrecorded facts, and traffic
    refused for want of an agreement counted from the log; source keys and unknown ids get a
    problem."""
    gateway = await start(start_gateway, contracts.text(valid_until="2026-12-06T12:00:00"))
    set_clock(gateway, NOON)
    assert (await gateway.push(samples.sync(1))).status_code == 403
    fg = {"Authorization": f"Bearer {gateway.fg_key}"}
    listing = await gateway.client.get("/api/agreements", headers=fg)
    assert listing.status_code == 200, listing.text
    [item] = listing.json()["items"]
    assert (item["id"], item["state"], item["in_force"]) == ("basispoort", "expired", None)
    codes = {w["code"]: w["detail"] for w in item["warnings"]}
    assert codes["traffic-without-agreement"].startswith("1 transfer(s) attempted")
    assert item["agreement"]["review"]["status"] == "SIVON check passed"
    assert "text" not in item["versions"][0]
    source = await gateway.client.get("/api/agreements", headers=gateway.headers())
    assert_problem(source, 403, "forbidden")
    missing = await gateway.client.get("/api/agreements/nobody", headers=fg)
    assert_problem(missing, 404, "not-found")
    csv = await gateway.client.get("/api/agreements/article-30?format=csv", headers=fg)
    assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")
    assert "OPRON-BASISPOORT" in csv.content.decode("utf-8-sig")


async def test_a_generation_that_does_not_load_here_leaves_the_versions_in_force(
    start_gateway: Any, upstream: Upstream, caplog: pytest.LogCaptureFixture
) -> None:
    """Another host publishes a contract for a supplier this process has no endpoint for: it
    says so once and goes on under the versions it had."""
    gateway = await start(start_gateway, contracts.text())
    reloader: Reloader = gateway.app.state.reloader
    other = contracts.text().replace("slug: basispoort", "slug: malmberg")
    found = contract_files.load_texts(
        [contract_files.ContractText("malmberg.yaml", other)],
        contracts.ROOT / "schemas",
        {
            name: payload_schema.load(contracts.ROOT / "schemas", name)
            for name in payload_schema.PAYLOAD_FORMATS
        },
        ("malmberg",),
    )
    assert found.problems == ()
    await versions.publish(found.agreements, None, "another host")
    await reloader.follow_once()
    await reloader.follow_once()
    engine: Gateway = gateway.app.state.gateway
    assert [a.supplier for a in engine.register.all()] == ["basispoort"]
    assert caplog.text.count("does not load here") == 1
    assert (await gateway.push(samples.sync(1))).status_code == 200
