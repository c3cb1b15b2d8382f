"""Reload across processes: two real gateway processes on one database switch versions while
transfers flow through both, by ``poortwachter contracts reload`` and by SIGHUP to one of them.

Run on PostgreSQL (POORTWACHTER_TEST_DATABASE_URL) for the deployment it stands for; on SQLite
the two processes share one file, which works the same way.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import signal
import time
from pathlib import Path

import httpx

from gateway import samples
from tests.conftest import SCHOOL, Upstream, plain_environ
from tests.processes import cli, served
from tests.register import contracts

VERSIONS = ("2018.1", "2026.2", "2026.3")


async def test_two_processes_switch_versions_while_transfers_flow(
    tmp_path: Path, database_url: str, upstream: Upstream
) -> None:
    """Every transfer names the version it ran under (with that file's hash); in each process
    the versions only move forward; after a ``contracts reload`` and after SIGHUP to one
    process, both processes run under the new version within a few seconds."""
    texts = {v: contracts.text(version=v) for v in VERSIONS}
    hashes = {v: hashlib.sha256(t.encode()).hexdigest() for v, t in texts.items()}
    (tmp_path / "contracts").mkdir()
    (tmp_path / "config").mkdir()
    contract = tmp_path / "contracts" / "basispoort.yaml"
    contract.write_text(texts["2018.1"], encoding="utf-8")
    (tmp_path / "config" / "suppliers.yaml").write_text(
        "suppliers:\n  basispoort:\n    upstream: https://basispoort.invalid/\n"
    )
    env = {
        **plain_environ(),
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_CONTRACTS_DIR": str(tmp_path / "contracts"),
        "GATEWAY_CONFIG_DIR": str(tmp_path / "config"),
        "GATEWAY_UPSTREAM_BASISPOORT": upstream.url,
        "GATEWAY_RATE_PER_CLIENT": "0",
    }
    key = cli(env, "keys", "create", "--client", "parnassys", "--schools", SCHOOL)
    fg_key = cli(env, "keys", "create", "--client", "fg", "--role", "fg")
    headers = {"Authorization": f"Bearer {key}", "X-School": SCHOOL,
               "Content-Type": "application/json"}  # fmt: skip
    body = json.dumps(samples.sync(2)).encode()
    sent: dict[str, list[str]] = {"a": [], "b": []}  # transfer ids in the order sent

    async with (
        served(env, tmp_path / "a.log") as (process_a, url_a),
        served(env, tmp_path / "b.log") as (_, url_b),
        httpx.AsyncClient(timeout=30) as client,
    ):
        stop = asyncio.Event()

        async def traffic() -> None:
            while not stop.is_set():
                for name, url in (("a", url_a), ("b", url_b)):
                    response = await client.post(
                        f"{url}/proxy/basispoort/sync", content=body, headers=headers
                    )
                    assert response.status_code == 200, response.text
                    sent[name].append(response.headers["X-Transfer-Id"])
                await asyncio.sleep(0.02)

        async def version_of(url: str) -> str:
            """The version of a fresh transfer through ``url``."""
            response = await client.post(
                f"{url}/proxy/basispoort/sync", content=body, headers=headers
            )
            entries = await client.get(
                f"{url_a}/api/transfers",
                params={"limit": 500},
                headers={"Authorization": f"Bearer {fg_key}"},
            )
            tid = response.headers["X-Transfer-Id"]
            entry = next(e for e in entries.json()["items"] if e["id"] == tid)
            version: str = entry["agreement_version"]
            return version

        async def both_on(version: str) -> float:
            started = time.monotonic()
            while {await version_of(url_a), await version_of(url_b)} != {version}:
                assert time.monotonic() - started < 10, f"not all processes on {version}"
                await asyncio.sleep(0.1)
            return time.monotonic() - started

        flowing = asyncio.create_task(traffic())
        await asyncio.sleep(0.5)
        contract.write_text(texts["2026.2"], encoding="utf-8")
        said = await asyncio.to_thread(cli, env, "contracts", "reload")
        assert "stored" in said
        await both_on("2026.2")
        contract.write_text(texts["2026.3"], encoding="utf-8")
        process_a.send_signal(signal.SIGHUP)
        await both_on("2026.3")
        await asyncio.sleep(0.3)
        stop.set()
        await flowing

        entries = await client.get(
            f"{url_a}/api/transfers",
            params={"limit": 500},
            headers={"Authorization": f"Bearer {fg_key}"},
        )
    by_id = {e["id"]: e for e in entries.json()["items"]}
    for name, ids in sent.items():
        order = []
        for tid in ids:
            entry = by_id[tid]
            version = entry["agreement_version"]
            assert entry["agreement_sha256"] == hashes[version]
            order.append(VERSIONS.index(version))
        assert order == sorted(order), f"process {name} went back to an older version"
        assert order[0] == 0 and order[-1] == 2
    assert "register generation" in (tmp_path / "b.log").read_text()
