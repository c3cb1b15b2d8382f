"""Four gateway processes on one PostgreSQL write at once under load; one of them at a time
seals. The log they make verifies, with every entry sealed once and no leaf missing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx
import pytest

from gateway import samples
from tests.conftest import SCHOOL, Upstream
from tests.processes import ROOT, cli, served

PROCESSES = 4
PUSHES = 60  # per process
AT_ONCE = 6  # per process


@pytest.fixture
def postgres_url(database_url: str) -> str:
    if not database_url.startswith("postgres"):
        pytest.skip("several writers need PostgreSQL (POORTWACHTER_TEST_DATABASE_URL)")
    return database_url


async def _push(client: httpx.AsyncClient, url: str, key: str, count: int) -> list[str]:
    made: list[str] = []
    gate = asyncio.Semaphore(AT_ONCE)

    async def one() -> None:
        async with gate:
            answer = await client.post(
                f"{url}/proxy/basispoort/sync",
                json=samples.sync(3),
                headers={"Authorization": f"Bearer {key}", "X-School": SCHOOL},
            )
            assert answer.status_code == 200, answer.text
            made.append(answer.headers["X-Transfer-Id"])

    await asyncio.gather(*(one() for _ in range(count)))
    return made


async def test_four_processes_writing_at_once_make_a_log_that_verifies(
    tmp_path: Path, postgres_url: str, upstream: Upstream
) -> None:
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": postgres_url,
        "GATEWAY_UPSTREAM_BASISPOORT": upstream.url,
        "GATEWAY_LOG_KEY_FILE": str(tmp_path / "log.key"),
        "GATEWAY_CHECKPOINT_FILE": str(tmp_path / "checkpoints.jsonl"),
        "GATEWAY_SEAL_INTERVAL": "0.2",
        "GATEWAY_RATE_PER_CLIENT": "0",
        "GATEWAY_CONCURRENCY_PER_CLIENT": "0",
    }
    cli(env, "migrate")
    public_key = cli(env, "keys", "init-log")
    key = cli(env, "keys", "create", "--client", "parnassys", "--schools", SCHOOL)
    async with (
        served(env, tmp_path / "g0.log") as (_, a),
        served(env, tmp_path / "g1.log") as (_, b),
        served(env, tmp_path / "g2.log") as (_, c),
        served(env, tmp_path / "g3.log") as (_, d),
        httpx.AsyncClient(timeout=60) as client,
    ):
        pushed = await asyncio.gather(*(_push(client, url, key, PUSHES) for url in (a, b, c, d)))
        made = {t for part in pushed for t in part}
        assert len(made) == PROCESSES * PUSHES
        db = await asyncpg.connect(postgres_url.replace("postgres://", "postgresql://", 1))
        try:
            for _ in range(200):  # every entry sealed, by whichever process held the lock
                left = await db.fetchval(
                    "SELECT count(*) FROM log_entry e WHERE NOT EXISTS "
                    "(SELECT 1 FROM log_leaf l WHERE l.entry_seq = e.seq)"
                )
                if left == 0 and await db.fetchval(
                    "SELECT count(*) FROM log_entry WHERE kind = 'outcome'"
                ) == len(made):
                    break
                await asyncio.sleep(0.1)
            seqs = [r[0] for r in await db.fetch("SELECT seq FROM log_entry ORDER BY seq")]
            leaves = await db.fetch("SELECT leaf_index, entry_seq FROM log_leaf ORDER BY 1")
            begun = await db.fetch("SELECT transfer_id FROM log_entry WHERE kind = 'begin'")
            sealers = await db.fetchval("SELECT count(*) FROM log_checkpoint")
        finally:
            await db.close()
    assert len(seqs) == 2 * len(made)  # a begin and an outcome entry for each transfer
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # no gap
    assert [r["leaf_index"] for r in leaves] == list(range(len(seqs)))  # no leaf missing
    assert sorted(r["entry_seq"] for r in leaves) == seqs  # each entry sealed exactly once
    assert {str(r["transfer_id"]) for r in begun} == made
    assert sealers > 1
    checked = subprocess.run(
        [sys.executable, "-m", "gateway", "verify", "--key", public_key],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert f"{len(seqs)} sealed, 0 not yet sealed" in checked.stdout
