"""A gateway killed between logging and forwarding leaves no entry pending for good."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx

from gateway import samples
from tests.conftest import SCHOOL, Upstream
from tests.processes import cli, served


async def test_entry_left_pending_by_a_killed_gateway_becomes_unknown(
    tmp_path: Path, database_url: str, upstream: Upstream
) -> None:
    """Kill -9 mid-transfer; the next gateway marks the pending entry unknown for the FG."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "suppliers.yaml").write_text(
        "suppliers:\n  basispoort:\n    upstream: http://127.0.0.1:1/\n    read_timeout: 60\n"
    )
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_CONFIG_DIR": str(config),
        "GATEWAY_UPSTREAM_BASISPOORT": upstream.url,
        "GATEWAY_HEARTBEAT_SECONDS": "0.3",
    }
    source_key = cli(env, "keys", "create", "--client", "parnassys", "--schools", SCHOOL)
    fg_key = cli(env, "keys", "create", "--role", "fg", "--client", "fg")
    upstream.delay = 60  # the supplier holds the request: the entry stays pending
    headers = {"Authorization": f"Bearer {source_key}", "X-School": SCHOOL,
               "Content-Type": "application/json"}  # fmt: skip
    async with served(env, tmp_path / "first.log") as (first, url):
        client = httpx.AsyncClient(base_url=url, timeout=60)
        push = asyncio.create_task(
            client.post("/proxy/basispoort/sync", content=json.dumps(samples.sync(2)),
                        headers=headers)
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while not upstream.received and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert upstream.received, "the transfer never reached the supplier"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        await asyncio.gather(push, return_exceptions=True)
        await client.aclose()

    entries: list[dict[str, Any]] = []
    async with (
        served(env, tmp_path / "second.log") as (_, url),
        httpx.AsyncClient(base_url=url) as fg,
    ):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            response = await fg.get("/api/transfers", headers={"Authorization": f"Bearer {fg_key}"})
            entries = response.json()["items"]
            if entries and entries[0]["outcome"] != "pending":
                break
            await asyncio.sleep(0.2)
    assert len(entries) == 1
    assert entries[0]["outcome"] == "unknown"
    assert entries[0]["completed_at"] is not None
