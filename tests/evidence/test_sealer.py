"""The sealer as the gateway runs it: checkpoints in the database, the file and the witness; a
restarted sealer carries on from what is committed. The witness protocol itself is tested
against a real witness in test_witness.py."""

from __future__ import annotations

import asyncio
import functools
import json
from typing import Any

from gateway import samples
from gateway.evidence import database as sql
from gateway.evidence.checkpoint import open_checkpoint
from gateway.evidence.sealer import Sealer, _append_sqlite, signing_key
from gateway.evidence.verify import verify
from tests.conftest import RunningGateway, Upstream


async def _checkpoint_size() -> int:
    rows = await sql.fetch(sql.client(), "SELECT max(size) AS n FROM log_checkpoint")
    return 0 if rows[0]["n"] is None else int(rows[0]["n"])


async def _entries() -> int:
    return int((await sql.fetch(sql.client(), "SELECT count(*) AS n FROM log_entry"))[0]["n"])


async def _wait_sealed() -> None:
    for _ in range(200):
        if await _checkpoint_size() == await _entries():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("not sealed")


async def test_each_checkpoint_goes_to_the_file_and_the_witness(
    start_gateway: Any, upstream: Upstream
) -> None:
    """Within about a second of a transfer its entries are in a signed checkpoint, which is
    also a line of the checkpoint file and an add-checkpoint request to the witness (the first
    one from ``old 0``, without proof), signed by the log's key."""
    gateway: RunningGateway = await start_gateway(witness_url=upstream.url + "witness")
    assert (await gateway.push(samples.sync(1))).status_code == 200
    await gateway.app.state.gateway.log.flush()
    await _wait_sealed()
    settings = gateway.settings
    verifier = signing_key(settings.log_key_file, settings.log_origin, create=False).verifier()
    lines = [json.loads(line) for line in settings.checkpoint_file.read_text().splitlines()]
    assert lines[-1]["size"] == 2  # the begin and outcome entries
    opened = open_checkpoint(lines[-1]["note"].encode(), settings.log_origin, [verifier])
    assert opened.size == 2
    for _ in range(100):
        posted = [r for r in upstream.received if r.path.endswith("/witness/add-checkpoint")]
        if posted:
            break
        await asyncio.sleep(0.05)
    assert posted and posted[0].method == "POST"
    assert posted[0].body.startswith(b"old 0\n\n")
    note = posted[0].body.removeprefix(b"old 0\n\n")
    assert open_checkpoint(note, settings.log_origin, [verifier]).size >= 1


async def test_a_new_sealer_carries_on_from_the_stored_tree(start_gateway: Any) -> None:
    """The gateway's sealer stops; entries keep coming; a fresh sealer (as after a crash, with
    nothing in memory) rebuilds the tree's edge from the stored nodes and seals them, and the
    log verifies."""
    gateway: RunningGateway = await start_gateway()
    for _ in range(3):
        assert (await gateway.push(samples.sync(1))).status_code == 200
    await gateway.app.state.gateway.log.flush()
    await _wait_sealed()
    await gateway.app.state.sealer.stop()
    for _ in range(5):
        assert (await gateway.push(samples.sync(1))).status_code == 200
    await gateway.app.state.gateway.log.flush()
    before = await _checkpoint_size()
    assert before < await _entries()
    settings = gateway.settings
    signer = signing_key(settings.log_key_file, settings.log_origin, create=False)
    fresh = Sealer(signer, settings.checkpoint_file)
    sealed = await fresh.seal()
    assert sealed is not None and sealed.size == await _entries() == before + 10
    report = await verify(signer.verifier(), settings.checkpoint_file)
    assert report.ok, report.problems
    assert report.sealed == before + 10 and report.unsealed == 0


async def test_a_round_whose_tree_grew_meanwhile_writes_nothing(start_gateway: Any) -> None:
    """Two sealers read the same unsealed entries; the second to write finds the tree grown
    and is skipped, so no entry is sealed twice (on SQLite the round's writes check the size
    under the write lock; on PostgreSQL the advisory lock keeps the two apart)."""
    gateway: RunningGateway = await start_gateway()
    await gateway.app.state.sealer.stop()
    for _ in range(3):
        assert (await gateway.push(samples.sync(1))).status_code == 200
    await gateway.app.state.gateway.log.flush()
    settings = gateway.settings
    signer = signing_key(settings.log_key_file, settings.log_origin, create=False)
    store = gateway.app.state.gateway.log.store
    late = Sealer(signer, settings.checkpoint_file, store=store)
    first = Sealer(signer, settings.checkpoint_file, store=store)
    if late._store is None:  # PostgreSQL: rounds are one transaction each under the lock
        assert (await first.seal()) is not None and (await late.seal()) is None
    else:
        stale = await late._next(sql.client())  # read before the other sealer writes
        assert stale is not None and stale.edge.size == 6
        assert (await first.seal()) is not None
        assert (await late._sqlite_round()) is None  # read afresh: nothing new for it
        assert not await store.run(functools.partial(_append_sqlite, stale))
    rows = await sql.fetch(sql.client(), "SELECT count(*) AS n FROM log_leaf")
    assert int(rows[0]["n"]) == await _entries() == 6
    report = await verify(signer.verifier(), settings.checkpoint_file)
    assert report.ok and report.sealed == 6, report.problems
