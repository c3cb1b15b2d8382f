"""The transfer log as evidence: a real log, made by real transfers through a real gateway, is
changed the ways an attacker with database access could; ``verify`` and the standalone verifier
on an export each detect every change, and name it."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from gateway import samples
from gateway.evidence import database as sql
from gateway.evidence import standalone_verify
from gateway.evidence.audit import export, prove
from gateway.evidence.canonical import canonical
from gateway.evidence.checkpoint import Checkpoint, sign_checkpoint
from gateway.evidence.note import generate_signer
from gateway.evidence.sealer import signing_key
from gateway.evidence.tree import leaf_hash
from gateway.evidence.verify import verify
from tests.conftest import RunningGateway

TABLES = ("log_entry", "log_leaf", "log_node", "log_checkpoint")
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
FAR = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


async def _sealed(gateway: RunningGateway) -> None:
    """Wait until every entry written so far is in a signed checkpoint."""
    await gateway.app.state.gateway.log.flush()
    db = sql.client()
    for _ in range(200):
        rows = await sql.fetch(
            db,
            "SELECT count(*) AS n FROM log_entry e WHERE NOT EXISTS "
            "(SELECT 1 FROM log_leaf l WHERE l.entry_seq = e.seq)",
        )
        if rows[0]["n"] == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the sealer did not seal the log")


async def _transfers(gateway: RunningGateway, count: int) -> list[str]:
    made = []
    for i in range(count):
        if i % 4 == 3:  # a refusal: another school than the key's
            answer = await gateway.push(samples.sync(1), headers=gateway.headers(school="98YY"))
            assert answer.status_code == 403
        else:
            answer = await gateway.push(samples.sync(2))
            assert answer.status_code == 200, answer.text
        made.append(answer.headers["X-Transfer-Id"])
    return made


@pytest.fixture
async def real_log(start_gateway: Any) -> RunningGateway:
    """A gateway with 12 transfers in 3 rounds of sealing (so several checkpoints), its sealer
    stopped so that nothing the attacker does is sealed after."""
    gateway: RunningGateway = await start_gateway()
    for _ in range(3):
        await _transfers(gateway, 4)
        await _sealed(gateway)
    await gateway.app.state.sealer.stop()
    return gateway


async def _drop_triggers() -> None:
    """What an attacker with database access does first."""
    db = sql.client()
    if db.capabilities.dialect == "postgres":
        for table in TABLES:
            await db.execute_script(f"DROP TRIGGER {table}_append_only ON {table}")
    else:
        for table in TABLES:
            for op in ("update", "delete"):
                await db.execute_script(f"DROP TRIGGER {table}_no_{op}")


async def _one(query: str, *args: Any) -> Any:
    return (await sql.fetch(sql.client(), query, *args))[0]


async def _run(query: str, *args: Any) -> None:
    await sql.execute_many(sql.client(), query, [args])


async def change_one_field(gateway: RunningGateway) -> None:
    row = await _one("SELECT seq, body FROM log_entry WHERE seq = 3")
    body = bytes(row["body"]).replace(b'"records":2', b'"records":1')
    assert body != bytes(row["body"])
    await _run("UPDATE log_entry SET body = $1 WHERE seq = 3", body)


async def change_a_field_and_its_leaf_hash(gateway: RunningGateway) -> None:

    row = await _one("SELECT seq, body FROM log_entry WHERE seq = 3")
    body = bytes(row["body"]).replace(b'"records":2', b'"records":1')
    await _run(
        "UPDATE log_entry SET body = $1, leaf_hash = $2 WHERE seq = 3", body, leaf_hash(body)
    )


async def delete_an_entry(gateway: RunningGateway) -> None:
    await _run("DELETE FROM log_entry WHERE seq = $1", 5)


async def delete_an_entry_and_its_leaf(gateway: RunningGateway) -> None:
    await _run("DELETE FROM log_entry WHERE seq = $1", 5)
    await _run("DELETE FROM log_leaf WHERE entry_seq = $1", 5)


async def insert_an_entry(gateway: RunningGateway) -> None:
    """A made-up transfer's begin entry, well formed and hashed, put in as leaf 2 (the leaves
    after it move up one)."""
    row = await _one("SELECT transfer_id, body, written_at FROM log_entry WHERE seq = 1")
    made_up = "00000000-0000-4000-8000-000000000001"
    fake = bytes(row["body"]).replace(str(row["transfer_id"]).encode(), made_up.encode())
    await _run(
        "INSERT INTO log_entry (seq, transfer_id, kind, body, leaf_hash, written_at) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        10_000, _uuid(made_up), "begin", fake, leaf_hash(fake), row["written_at"],
    )  # fmt: skip
    size = int((await _one("SELECT max(leaf_index) AS n FROM log_leaf"))["n"])
    for index in range(size, 1, -1):
        await _run("UPDATE log_leaf SET leaf_index = $1 WHERE leaf_index = $2", index + 1, index)
    await _run("INSERT INTO log_leaf (leaf_index, entry_seq) VALUES ($1, $2)", 2, 10_000)


def _uuid(text: str) -> Any:
    import uuid

    return uuid.UUID(text) if sql.client().capabilities.dialect == "postgres" else text


async def reorder_two_entries(gateway: RunningGateway) -> None:
    """Leaves 3 and 4 swap their entries."""
    third = int((await _one("SELECT entry_seq FROM log_leaf WHERE leaf_index = 3"))["entry_seq"])
    fourth = int((await _one("SELECT entry_seq FROM log_leaf WHERE leaf_index = 4"))["entry_seq"])
    await _run("UPDATE log_leaf SET entry_seq = $1 WHERE leaf_index = $2", -1, 3)
    await _run("UPDATE log_leaf SET entry_seq = $1 WHERE leaf_index = $2", third, 4)
    await _run("UPDATE log_leaf SET entry_seq = $1 WHERE leaf_index = $2", fourth, 3)


async def truncate(gateway: RunningGateway) -> None:
    """The last entries, their leaves, nodes and checkpoints: a log that looks shorter."""
    keep = int((await _one("SELECT min(size) AS n FROM log_checkpoint"))["n"])
    await _run("DELETE FROM log_entry WHERE seq IN (SELECT entry_seq FROM log_leaf "
               "WHERE leaf_index >= $1)", keep)  # fmt: skip
    await _run("DELETE FROM log_leaf WHERE leaf_index >= $1", keep)
    await _run("DELETE FROM log_checkpoint WHERE size > $1", keep)
    await _run('DELETE FROM log_node WHERE ("index" + 1) * (1 << level) > $1', keep)
    await _run("DELETE FROM transfer WHERE id NOT IN (SELECT transfer_id FROM log_entry)")


async def replace_a_checkpoint(gateway: RunningGateway) -> None:
    """The latest checkpoint's note swapped for an earlier (genuinely signed) one."""
    first = await _one("SELECT note FROM log_checkpoint ORDER BY size LIMIT 1")
    await _run(
        "UPDATE log_checkpoint SET note = $1 WHERE size = (SELECT max(size) FROM log_checkpoint)",
        first["note"],
    )


async def re_sign_with_another_key(gateway: RunningGateway) -> None:
    """Every checkpoint signed again by a key of the attacker's, under the log's name."""
    origin = gateway.settings.log_origin
    other = generate_signer(origin)
    for row in await sql.fetch(sql.client(), "SELECT size, root_hash FROM log_checkpoint"):
        note = sign_checkpoint(Checkpoint(origin, int(row["size"]), bytes(row["root_hash"])), other)
        await _run(
            "UPDATE log_checkpoint SET note = $1 WHERE size = $2", note.decode(), row["size"]
        )


async def change_a_transfer_row(gateway: RunningGateway) -> None:
    await _run("UPDATE transfer SET records = 7 WHERE seq = 1")


async def delete_a_transfer_row(gateway: RunningGateway) -> None:
    await _run("DELETE FROM transfer WHERE seq = 2")


Mutation = Callable[[RunningGateway], Awaitable[None]]

# What each change does, what verify names first, what the standalone verifier names.
MUTATIONS: list[tuple[Mutation, str, str]] = [
    (change_one_field, "does not match its leaf hash", "is not in the signed tree"),
    (change_a_field_and_its_leaf_hash, "the entries give another root", "is not in the signed"),
    (delete_an_entry, "names entry 5, which is not in the log", "entry 5 is missing"),
    (delete_an_entry_and_its_leaf, "leaf 4 is missing", "leaf 4 is missing"),
    (insert_an_entry, "the entries give another root", "is not in the signed tree"),
    (reorder_two_entries, "the entries give another root", "(leaf 3) is not in the signed tree"),
    (truncate, "the database was rolled back", "the log was rolled back"),
    (replace_a_checkpoint, "differs from its signed note", "its signed note is for size"),
    (re_sign_with_another_key, "is not signed by the log's key", "is not signed by the log's key"),
    (change_a_transfer_row, "its records differs from the log's", "its records differs"),
    (delete_a_transfer_row, "in the log but not in the transfer table", "has no row"),
]


async def _standalone(gateway: RunningGateway, tmp_path: Path) -> str:
    """Export the whole log and check it as an auditor would: with the log's public key as
    published, and the checkpoint file kept outside the database."""
    verifier = _signer(gateway).verifier()
    out = io.StringIO()
    await export(out, verifier, EPOCH, FAR)
    path = tmp_path / "export.jsonl"
    path.write_text(out.getvalue())
    return standalone_verify.check(
        str(path), verifier.key_string(), str(gateway.settings.checkpoint_file)
    )


def _signer(gateway: RunningGateway) -> Any:
    return signing_key(gateway.settings.log_key_file, gateway.settings.log_origin, create=False)


async def test_an_untouched_log_verifies(real_log: RunningGateway, tmp_path: Path) -> None:
    """The baseline each mutation departs from: 12 transfers, 9 of them with an outcome entry,
    all sealed in several checkpoints; verify and the standalone verifier pass."""
    report = await verify(_signer(real_log).verifier(), real_log.settings.checkpoint_file)
    assert report.ok, report.problems
    assert (report.sealed, report.unsealed, report.transfers) == (21, 0, 12)
    assert report.checkpoints >= 3
    assert "21 entries" in await _standalone(real_log, tmp_path)


@pytest.mark.parametrize(
    ("mutation", "verify_says", "standalone_says"),
    MUTATIONS,
    ids=[m[0].__name__ for m in MUTATIONS],
)
async def test_every_change_is_detected_and_named(
    real_log: RunningGateway,
    tmp_path: Path,
    mutation: Mutation,
    verify_says: str,
    standalone_says: str,
) -> None:
    await _drop_triggers()
    await mutation(real_log)
    report = await verify(_signer(real_log).verifier(), real_log.settings.checkpoint_file)
    assert not report.ok
    assert verify_says in report.problems[0], report.problems
    with pytest.raises(standalone_verify.Failed) as failed:
        await _standalone(real_log, tmp_path)
    assert standalone_says in str(failed.value)


async def change_a_subject_index_row(gateway: RunningGateway) -> None:
    """One pupil's subject in a transfer's packed row flipped: another pupil, as far as an
    access request can tell."""
    row = await _one("SELECT id, subjects FROM subjects_held ORDER BY id LIMIT 1")
    packed = bytearray(row["subjects"])
    packed[0] ^= 0xFF
    await _run("UPDATE subjects_held SET subjects = $1 WHERE id = $2", bytes(packed), row["id"])


async def empty_a_subject_index_rows_fieldsets(gateway: RunningGateway) -> None:
    """The field-sets a row's pupils name taken away: its rows cannot be read back."""
    row = await _one("SELECT id FROM subjects_held ORDER BY id LIMIT 1")
    await _run("UPDATE subjects_held SET fieldsets = $1 WHERE id = $2", "[]", row["id"])


async def add_a_subject_index_row(gateway: RunningGateway) -> None:
    """A refused transfer (nothing left) made to look as if it held another one's pupils."""
    row = await _one("SELECT subjects, fieldsets FROM subjects_held ORDER BY id LIMIT 1")
    refused = await _one("SELECT id FROM transfer WHERE subjects_sha256 IS NULL LIMIT 1")
    await _run(
        "INSERT INTO subjects_held (transfer_id, subjects, fieldsets) VALUES ($1, $2, $3)",
        _uuid(str(refused["id"])), row["subjects"], row["fieldsets"],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("mutation", "verify_says"),
    [
        (change_a_subject_index_row, "its subject-index row is not what its log entry committed"),
        (add_a_subject_index_row, "whose log entry holds none: the row was added"),
        (
            empty_a_subject_index_rows_fieldsets,
            "its subject-index row is not what its log entry committed",
        ),
    ],
    ids=[
        "change_a_subject_index_row",
        "add_a_subject_index_row",
        "empty_a_subject_index_rows_fieldsets",
    ],
)
async def test_every_change_to_the_subject_index_is_detected(
    real_log: RunningGateway, mutation: Mutation, verify_says: str
) -> None:
    """The index is not in the tree, but each transfer's entry holds the SHA-256 of its index
    rows: verify recomputes it from the rows (an export holds no index, so only verify can)."""
    await mutation(real_log)
    report = await verify(_signer(real_log).verifier(), real_log.settings.checkpoint_file)
    assert [p for p in report.problems if verify_says in p], report.problems


async def test_purged_index_rows_are_noted_not_errors(real_log: RunningGateway) -> None:
    """Retention removes index rows, never entries: verify still passes, and says so."""
    await _run("DELETE FROM subjects_held")
    report = await verify(_signer(real_log).verifier(), real_log.settings.checkpoint_file)
    assert report.ok, report.problems
    assert "9 transfers' subject-index rows are gone" in " ".join(report.notes)


async def test_a_rolled_back_database_is_detected_by_the_checkpoint_file(
    start_gateway: Any, tmp_path: Path
) -> None:
    """The database put back to an earlier copy (here: everything after the first round
    removed, transfer rows too), while the checkpoint file kept the later checkpoints."""
    gateway: RunningGateway = await start_gateway()
    await _transfers(gateway, 3)
    await _sealed(gateway)
    earlier = int((await _one("SELECT max(seq) AS n FROM log_entry"))["n"])
    size = int((await _one("SELECT max(size) AS n FROM log_checkpoint"))["n"])
    await _transfers(gateway, 3)
    await _sealed(gateway)
    await gateway.app.state.sealer.stop()
    await _drop_triggers()
    await _run("DELETE FROM subjects_held WHERE transfer_id IN (SELECT transfer_id "
               "FROM log_entry WHERE seq > $1)", earlier)  # fmt: skip
    await _run("DELETE FROM transfer WHERE id IN (SELECT transfer_id FROM log_entry "
               "WHERE seq > $1)", earlier)  # fmt: skip
    await _run("DELETE FROM log_entry WHERE seq > $1", earlier)
    await _run("DELETE FROM log_leaf WHERE leaf_index >= $1", size)
    await _run("DELETE FROM log_checkpoint WHERE size > $1", size)
    await _run('DELETE FROM log_node WHERE ("index" + 1) * (1 << level) > $1', size)
    report = await verify(_signer(gateway).verifier(), gateway.settings.checkpoint_file)
    assert len(report.problems) >= 1 and "rolled back" in report.problems[0]
    without_file = await verify(_signer(gateway).verifier(), None)
    assert without_file.ok  # the database alone is consistent: only the file tells
    with pytest.raises(standalone_verify.Failed, match="rolled back"):
        await _standalone(gateway, tmp_path)


async def test_the_database_refuses_to_change_or_delete_entries(real_log: RunningGateway) -> None:
    """Defence in depth: triggers refuse UPDATE and DELETE on the log's tables."""
    for statement in (
        "UPDATE log_entry SET kind = 'begin'",
        "DELETE FROM log_entry",
        "DELETE FROM log_leaf",
        "UPDATE log_checkpoint SET note = ''",
    ):
        with pytest.raises(Exception, match="append-only"):
            await _run(statement)


async def test_prove_gives_proofs_that_check_against_the_signed_checkpoint(
    real_log: RunningGateway,
) -> None:
    """``prove``: a forwarded transfer's begin and outcome entries, each with an inclusion proof
    that the standalone verifier's RFC 9162 check accepts against the checkpoint's root."""
    import base64
    import uuid

    first = await _one("SELECT transfer_id FROM log_entry WHERE kind = 'outcome' ORDER BY seq")
    proved = await prove(uuid.UUID(str(first["transfer_id"])))
    size, root = standalone_verify.open_checkpoint(
        proved["checkpoint"],
        standalone_verify.parse_key(_signer(real_log).verifier().key_string()),
        "the checkpoint",
    )
    assert [e["entry"]["kind"] for e in proved["entries"]] == ["begin", "outcome"]
    for item in proved["entries"]:
        body = canonical(item["entry"])
        hashed = standalone_verify.leaf(body)
        assert base64.b64decode(item["leaf_hash"]) == hashed
        proof = [base64.b64decode(h) for h in item["proof"]]
        assert standalone_verify.verify_inclusion(item["leaf_index"], size, hashed, proof, root)


async def test_a_checkpoint_file_line_that_holds_no_checkpoint_is_said_not_skipped(
    real_log: RunningGateway,
) -> None:
    """A line of the checkpoint file garbled (as a crash mid-write leaves it, or an edit that
    hides a later checkpoint): verify cannot check it, and says which line it could not."""
    path = real_log.settings.checkpoint_file
    lines = path.read_text().splitlines(keepends=True)
    assert len(lines) >= 3
    lines[1] = lines[1][: len(lines[1]) // 2] + "\n"
    path.write_text("".join(lines))
    report = await verify(_signer(real_log).verifier(), path)
    assert report.ok, report.problems
    assert any("line(s) 2 hold no checkpoint" in note for note in report.notes), report.notes
