"""A sealer killed inside a round, for real: a gateway process sealing a large backlog of real
transfers gets SIGKILL while it holds the sealer's transaction. The next gateway on the same
database seals every entry exactly once, ``verify`` passes, and the checkpoint file outside the
database agrees with the database's checkpoints. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from gateway import samples
from gateway.evidence import standalone_verify
from gateway.evidence.sealer import BATCH
from tests.conftest import SCHOOL, Upstream
from tests.processes import ROOT, cli, served

TRANSFERS = 4000  # 8,000 entries: a whole round of BATCH, then the one killed (~30 s to push)
AT_ONCE = 8


class Database:
    """The test's own connection to the gateway's database, beside the gateway's."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._pg: asyncpg.Connection | None = None
        self._sqlite: sqlite3.Connection | None = None

    async def open(self) -> None:
        if self.url.startswith("postgres"):
            self._pg = await asyncpg.connect(self.url.replace("postgres://", "postgresql://", 1))
        else:  # timeout 0: the lock probe must not wait for the sealer
            self._sqlite = sqlite3.connect(self.url[len("sqlite://") :], timeout=0)
            self._sqlite.isolation_level = None

    async def close(self) -> None:
        if self._pg is not None:
            await self._pg.close()
        if self._sqlite is not None:
            self._sqlite.close()

    async def rows(self, query: str) -> list[tuple[Any, ...]]:
        if self._pg is not None:
            return [tuple(r) for r in await self._pg.fetch(query)]
        assert self._sqlite is not None
        return self._sqlite.execute(query).fetchall()

    async def number(self, query: str) -> int:
        return int((await self.rows(query))[0][0] or 0)

    async def sealing(self) -> bool:
        """Whether a sealer is inside its round now: on PostgreSQL it holds the advisory lock
        (taken only by the round's transaction); on SQLite someone holds the write lock, and
        with no transfer in flight that is the sealer's round."""
        if self._pg is not None:
            held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            return await self.number(held) > 0
        assert self._sqlite is not None
        try:
            self._sqlite.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            assert "locked" in str(error), error
            return True
        self._sqlite.execute("ROLLBACK")
        return False


async def _push(url: str, key: str, count: int) -> None:
    gate = asyncio.Semaphore(AT_ONCE)
    headers = {"Authorization": f"Bearer {key}", "X-School": SCHOOL}
    body = json.dumps(samples.sync(1)).encode()
    async with httpx.AsyncClient(timeout=60) as client:

        async def one() -> None:
            async with gate:
                answer = await client.post(
                    f"{url}/proxy/basispoort/sync",
                    content=body,
                    headers={**headers, "Content-Type": "application/json"},
                )
                assert answer.status_code == 200, answer.text

        await asyncio.gather(*(one() for _ in range(count)))


UNSEALED = (
    "SELECT count(*) FROM log_entry e WHERE NOT EXISTS "
    "(SELECT 1 FROM log_leaf l WHERE l.entry_seq = e.seq)"
)


async def test_a_sealer_killed_inside_a_round_loses_nothing_and_doubles_nothing(
    tmp_path: Path, database_url: str, upstream: Upstream
) -> None:
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_UPSTREAM_BASISPOORT": upstream.url,
        "GATEWAY_LOG_KEY_FILE": str(tmp_path / "log.key"),
        "GATEWAY_CHECKPOINT_FILE": str(tmp_path / "checkpoints.jsonl"),
        "GATEWAY_RATE_PER_CLIENT": "0",
        "GATEWAY_CONCURRENCY_PER_CLIENT": "0",
    }
    cli(env, "migrate")
    public_key = cli(env, "keys", "init-log")
    key = cli(env, "keys", "create", "--client", "parnassys", "--schools", SCHOOL)
    db = Database(database_url)
    await db.open()
    try:
        # 1. The backlog: real transfers through a gateway whose sealer, after its first round
        # at start, waits the longest interval; it stops (SIGTERM) between rounds.
        slow = {**env, "GATEWAY_SEAL_INTERVAL": "60"}
        async with served(slow, tmp_path / "writer.log") as (_, url):
            await _push(url, key, TRANSFERS)
            await asyncio.sleep(0.5)  # the outcome entries are committed after the answers
        entries = await db.number("SELECT count(*) FROM log_entry")
        assert entries == 2 * TRANSFERS
        backlog = await db.number(UNSEALED)
        assert backlog > BATCH * 3 // 2, "the writer sealed the backlog (pushing took > 60 s)"

        # 2. A gateway that seals at once, round after round of BATCH; SIGKILL inside a round
        # after at least one round has committed.
        fast = {**env, "GATEWAY_SEAL_INTERVAL": "0.2"}
        async with served(fast, tmp_path / "killed.log") as (sealer, _):
            deadline = time.monotonic() + 120
            while not (await db.number(UNSEALED) < backlog and await db.sealing()):
                assert time.monotonic() < deadline, "the sealer never got into a round"
                assert sealer.poll() is None
                await asyncio.sleep(0.005)
            sealer.send_signal(signal.SIGKILL)
            sealer.wait(10)
        left = await db.number(UNSEALED)
        assert 0 < left < backlog, "the kill did not land in the middle of the backlog"
        assert (backlog - left) % BATCH == 0  # whole rounds only: the killed one left nothing

        # 3. The next gateway on the same database seals the rest.
        async with served(fast, tmp_path / "next.log"):
            deadline = time.monotonic() + 120
            while await db.number(UNSEALED):
                assert time.monotonic() < deadline, "the next gateway did not seal the rest"
                await asyncio.sleep(0.1)
        seqs = [r[0] for r in await db.rows("SELECT seq FROM log_entry ORDER BY seq")]
        leaves = await db.rows("SELECT leaf_index, entry_seq FROM log_leaf ORDER BY leaf_index")
        checkpoints = dict(await db.rows("SELECT size, note FROM log_checkpoint"))
    finally:
        await db.close()
    assert len(seqs) == entries  # no entry lost
    assert [r[0] for r in leaves] == list(range(entries))  # no leaf missing
    assert sorted(r[1] for r in leaves) == seqs  # each entry in exactly one leaf
    assert max(checkpoints) == entries
    # The checkpoint file, outside the database: every line is a checkpoint the database holds,
    # with the same signed note, in growing order, up to the last.
    lines = [json.loads(line) for line in (tmp_path / "checkpoints.jsonl").read_text().splitlines()]
    assert [c["size"] for c in lines] == sorted({c["size"] for c in lines})
    assert all(checkpoints.get(c["size"]) == c["note"] for c in lines), "file and database differ"
    assert lines[-1]["size"] == entries
    checked = subprocess.run(
        [sys.executable, "-m", "gateway", "verify", "--key", public_key],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"{entries} sealed, 0 not yet sealed" in checked.stdout
    # And as an auditor sees it: the export, the published key and the checkpoint file.
    cli(env, "export-log", "--output", str(tmp_path / "export.jsonl"))
    audited = subprocess.run(
        [sys.executable, standalone_verify.__file__, str(tmp_path / "export.jsonl"),
         "--key", public_key, "--checkpoints", str(tmp_path / "checkpoints.jsonl")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert audited.returncode == 0, audited.stderr
    assert f"{entries} entries in a signed tree of {entries}" in audited.stdout
