"""The sealer as a client of a C2SP tlog-witness, against a real witness on loopback.

``FakeWitness`` is written from the specs (c2sp.org/tlog-witness, tlog-cosignature,
signed-note) with ``cryptography`` and ``hashlib`` only, not with the gateway's code: it checks
the log's signature on the checkpoint, checks the consistency proof with its own RFC 9162
verifier, answers 409 to a stale old size, and cosigns with its own Ed25519 key.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import re
import socket
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import PIPE
from typing import Any

import pytest
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from gateway import samples
from gateway.evidence import database as sql
from gateway.evidence.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from gateway.evidence.cosignature import parse_cosigner_key
from gateway.evidence.note import MalformedKey
from gateway.evidence.sealer import Sealer, append_line, signing_key
from gateway.evidence.verify import verify
from gateway.evidence.witness import Witness
from gateway.settings import Settings, SettingsError
from tests.conftest import RunningGateway, plain_environ

EMPTY_ROOT = hashlib.sha256(b"").digest()


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def rfc9162_consistent(m: int, n: int, old: bytes, new: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 section 2.1.4.2 for 0 < m < n, the witness's own copy."""
    if not proof:
        return False
    if m & (m - 1) == 0:  # m is a power of two: the old root is the proof's first node
        proof = [old, *proof]
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = _node(c, fr), _node(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = _node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old and sr == new


@dataclass
class Request:
    old: int
    proof: int  # consistency proof lines
    size: int
    status: int
    arrived: float = 0.0  # time.monotonic()
    answered: float = 0.0


@dataclass
class FakeWitness:
    """A witness for one log, keeping the size and root it last cosigned."""

    origin: str
    log_key: bytes  # the log's Ed25519 public key
    name: str = "witness.test/w1"
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    size: int = 0
    root: bytes = EMPTY_ROOT
    corrupt: bool = False  # cosign, then spoil the signature
    unavailable: int = 0  # answer this many requests 503 first
    slowly: float = 0.0  # seconds each 503 takes
    arrivals: int = 0  # requests received, answered or not
    requests: list[Request] = field(default_factory=list)
    url: str = ""

    def key_id(self) -> bytes:
        return hashlib.sha256(self.name.encode() + b"\n\x04" + _raw(self.key)).digest()[:4]

    def vkey(self) -> str:
        blob = base64.b64encode(b"\x04" + _raw(self.key)).decode()
        return f"{self.name}+{self.key_id().hex()}+{blob}"

    def check_cosignature(self, text: str, line: str) -> bool:
        """Whether ``line`` is this witness's valid cosignature of checkpoint ``text``."""
        name, _, encoded = line.removeprefix("\u2014 ").partition(" ")
        blob = base64.b64decode(encoded)
        if name != self.name or blob[:4] != self.key_id():
            return False
        stamp = int.from_bytes(blob[4:12], "big")
        message = f"cosignature/v1\ntime {stamp}\n{text}".encode()
        try:
            self.key.public_key().verify(blob[12:], message)
        except InvalidSignature:
            return False
        return True

    async def add_checkpoint(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        self.arrivals += 1
        body = (await request.read()).decode("utf-8")
        head, _, note = body.partition("\n\n")
        old_line, *proof_lines = head.split("\n")
        match = re.fullmatch(r"old (0|[1-9][0-9]*)", old_line)
        if match is None or len(proof_lines) > 63:
            return web.Response(status=400)
        old = int(match[1])
        proof = [base64.b64decode(line, validate=True) for line in proof_lines]
        split = note.rfind("\n\n")
        text, signatures = note[: split + 1], note[split + 2 :].splitlines()
        origin, size_line, root_line = text.split("\n")[:3]
        size, root = int(size_line), base64.b64decode(root_line)

        def answer(status: int, **kw: Any) -> web.Response:
            self.requests.append(Request(old, len(proof), size, status, arrived, time.monotonic()))
            return web.Response(status=status, **kw)

        if self.unavailable:
            self.unavailable -= 1
            await asyncio.sleep(self.slowly)
            return answer(503)
        if origin != self.origin:
            return answer(404)
        log_id = hashlib.sha256(origin.encode() + b"\n\x01" + self.log_key).digest()[:4]
        if not any(self._signed(line, origin, log_id, text) for line in signatures):
            return answer(403)
        if old > size:
            return answer(400)
        conflict = {"body": f"{self.size}\n".encode(), "content_type": "text/x.tlog.size"}
        if old != self.size:
            return answer(409, **conflict)
        if old == size:
            if root != self.root:
                return answer(409, **conflict)
        elif old == 0:
            if proof:
                return answer(422)
        elif not rfc9162_consistent(old, size, self.root, root, proof):
            return answer(422)
        self.size, self.root = size, root
        return answer(200, text=self.cosign(text, spoilt=self.corrupt))

    def cosign(self, text: str, spoilt: bool = False) -> str:
        """This witness's cosignature line of checkpoint ``text``; ``spoilt``: one bit off."""
        stamp = int(time.time())
        signature = self.key.sign(f"cosignature/v1\ntime {stamp}\n{text}".encode())
        if spoilt:
            signature = bytes([signature[0] ^ 1]) + signature[1:]
        blob = base64.b64encode(self.key_id() + stamp.to_bytes(8, "big") + signature).decode()
        return f"\u2014 {self.name} {blob}\n"

    def _signed(self, line: str, origin: str, log_id: bytes, text: str) -> bool:
        name, _, encoded = line.removeprefix("\u2014 ").partition(" ")
        blob = base64.b64decode(encoded)
        if name != origin or blob[:4] != log_id:
            return False  # a signature by a key this witness does not know: ignored
        try:
            Ed25519PublicKey.from_public_bytes(self.log_key).verify(blob[4:], text.encode())
        except InvalidSignature:
            return False
        return True


@pytest.fixture
async def witness(tmp_path: Path) -> AsyncIterator[FakeWitness]:
    """A witness on loopback that knows the log key the gateway will make in ``tmp_path``."""
    settings = Settings(log_key_file=tmp_path / "var" / "log-signing.key")
    signer = signing_key(settings.log_key_file, settings.log_origin, create=True)
    fake = FakeWitness(settings.log_origin, signer.verifier().public_key)
    app = web.Application()
    app.router.add_post("/witness/add-checkpoint", fake.add_checkpoint)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.url = f"http://127.0.0.1:{port}/witness"
    yield fake
    await runner.cleanup()


async def _entries() -> int:
    return int((await sql.fetch(sql.client(), "SELECT count(*) AS n FROM log_entry"))[0]["n"])


async def _until(condition: Any, what: str, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if await condition() if asyncio.iscoroutinefunction(condition) else condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {seconds} s: {what}")


async def _transfer(gateway: RunningGateway) -> None:
    assert (await gateway.push(samples.sync(1))).status_code == 200
    await gateway.app.state.gateway.log.flush()


async def _witnessed(gateway: RunningGateway, fake: FakeWitness) -> None:
    """One transfer, then wait until the witness has cosigned every entry."""
    await _transfer(gateway)
    entries = await _entries()
    await _until(lambda: fake.size == entries, f"the witness cosigns {entries} leaves")


def _cosignatures(settings: Settings) -> list[dict[str, Any]]:
    path = settings.cosignature_file
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_first_contact_then_every_round_with_a_consistency_proof(
    start_gateway: Any, witness: FakeWitness
) -> None:
    """The first request says ``old 0`` with no proof; each later one starts from the size the
    witness cosigned last, with a proof the witness's own RFC 9162 code accepts; every
    cosignature is kept beside the checkpoint, verified, as a note the log's key opens."""
    gateway = await start_gateway(witness_url=witness.url, witness_key=witness.vkey())
    for _ in range(4):
        await _witnessed(gateway, witness)
    first, *later = witness.requests
    assert (first.old, first.proof, first.status) == (0, 0, 200)
    assert later and all(r.status == 200 and r.proof > 0 for r in later)
    assert [r.old for r in later] == [r.size for r in witness.requests[:-1]]
    settings = gateway.settings
    await _until(lambda: len(_cosignatures(settings)) == len(witness.requests), "all kept")
    verifier = signing_key(settings.log_key_file, settings.log_origin, create=False).verifier()
    for item, request in zip(_cosignatures(settings), witness.requests, strict=True):
        assert item["size"] == request.size and item["verified"] is True
        checkpoint = open_checkpoint(item["note"].encode(), settings.log_origin, [verifier])
        cosignature = item["note"].splitlines()[-1]
        assert witness.check_cosignature(checkpoint.text(), cosignature)


async def _restarted(gateway: RunningGateway, fake: FakeWitness) -> list[Request]:
    """Stop the gateway's sealer and witness client, make three transfers, then start a new
    sealer and client as the gateway's start does (a restart) until the witness has cosigned
    them: the requests they sent."""
    await gateway.app.state.sealer.stop()
    for _ in range(3):
        await _transfer(gateway)
    before = len(fake.requests)
    settings = gateway.settings
    signer = signing_key(settings.log_key_file, settings.log_origin, create=False)
    client = Witness(
        fake.url, signer.verifier(), settings.cosignature_file, cosigner=settings.cosigner
    )
    fresh = Sealer(signer, settings.checkpoint_file, witness=client, interval=0.1)
    await fresh.start()
    try:
        entries = await _entries()
        await _until(lambda: fake.size == entries, "the restarted sealer is cosigned")
    finally:
        await fresh.stop()
    return fake.requests[before:]


async def test_a_restarted_sealer_starts_from_the_cosignature_file(
    start_gateway: Any, witness: FakeWitness
) -> None:
    """After a restart the first request already says the size the witness last cosigned, as
    the cosignature file kept it, with a consistency proof from it: no 409 round trip."""
    gateway = await start_gateway(witness_url=witness.url, witness_key=witness.vkey())
    await _witnessed(gateway, witness)
    known = witness.size
    sizes = lambda: [c["size"] for c in _cosignatures(gateway.settings)]  # noqa: E731
    await _until(lambda: sizes()[-1:] == [known], "kept")
    after = await _restarted(gateway, witness)
    assert [(r.old, r.status) for r in after] == [(known, 200)]
    assert after[0].proof > 0 and after[0].size == await _entries()


async def test_a_restarted_sealer_with_an_unreadable_file_recovers_from_409(
    start_gateway: Any, witness: FakeWitness, caplog: pytest.LogCaptureFixture
) -> None:
    """A cosignature file that cannot be read (here: not UTF-8) is a warning, not a failure:
    the restarted sealer asks with ``old 0``, gets 409 and the witness's size as
    text/x.tlog.size, and retries once from that size with a proof: the witness cosigns."""
    caplog.set_level(logging.WARNING, logger="gateway.witness")
    gateway = await start_gateway(witness_url=witness.url, witness_key=witness.vkey())
    await _witnessed(gateway, witness)
    known = witness.size
    await _until(lambda: len(_cosignatures(gateway.settings)) == len(witness.requests), "kept")
    gateway.settings.cosignature_file.write_bytes(b"\xff\xfe not a cosignature file\n")
    after = await _restarted(gateway, witness)
    assert (after[0].old, after[0].proof, after[0].status) == (0, 0, 409)
    assert (after[1].old, after[1].size, after[1].status) == (known, await _entries(), 200)
    assert after[1].proof > 0 and len(after) == 2
    assert any("cannot read the cosignature file" in r.getMessage() for r in caplog.records)


async def test_a_recalled_size_beyond_the_checkpoint_is_asked_about(
    start_gateway: Any, witness: FakeWitness
) -> None:
    """A verified line in the cosignature file larger than anything the database holds (the
    database rolled back, say) is not taken on trust: the checkpoint still goes out, with
    ``old 0``, and the witness's 409 tells the size to go on from."""
    gateway = await start_gateway(witness_url=witness.url, witness_key=witness.vkey())
    await _witnessed(gateway, witness)
    known = witness.size
    settings = gateway.settings
    await _until(lambda: len(_cosignatures(settings)) == len(witness.requests), "kept")
    signer = signing_key(settings.log_key_file, settings.log_origin, create=False)
    beyond = Checkpoint(settings.log_origin, 999, b"\1" * 32)
    note = sign_checkpoint(beyond, signer).decode() + witness.cosign(beyond.text())
    item = {"size": 999, "note": note, "verified": True, "witness": witness.url + "/add-checkpoint"}
    append_line(settings.cosignature_file, json.dumps(item) + "\n")
    after = await _restarted(gateway, witness)
    assert [(r.old, r.status) for r in after] == [(0, 409), (known, 200)]


async def test_recall_takes_the_largest_verified_size_of_this_witness(
    tmp_path: Path, witness: FakeWitness, caplog: pytest.LogCaptureFixture
) -> None:
    """``recall`` reads the size from this witness's largest line marked verified whose
    cosignature verifies; lines of another witness, lines kept unverified and a torn line
    are passed over (the torn one with a warning); a spoilt newest line gives nothing."""
    caplog.set_level(logging.INFO, logger="gateway.witness")
    signer = signing_key(tmp_path / "var" / "log-signing.key", witness.origin, create=False)
    url = witness.url + "/add-checkpoint"

    def line(size: int, spoilt: bool = False, **item: Any) -> str:
        checkpoint = Checkpoint(witness.origin, size, bytes([size]) * 32)
        note = sign_checkpoint(checkpoint, signer).decode()
        note += witness.cosign(checkpoint.text(), spoilt)
        return json.dumps({"size": size, "note": note, "verified": True, "witness": url} | item)

    path = tmp_path / "cosignatures.jsonl"
    client = Witness(
        witness.url, signer.verifier(), path, cosigner=parse_cosigner_key(witness.vkey())
    )
    assert client.recall() is None  # no file yet
    lines = [
        line(5),
        line(7),
        line(6),
        line(9, witness="https://another.example/add-checkpoint"),
        line(8, verified=False),
        '{"size": 12, "note": "torn',
    ]
    path.write_text("\n".join(lines))
    assert client.recall() == 7
    assert any(
        "1 unreadable line(s), the first at line 6" in r.getMessage() for r in caplog.records
    )
    assert Witness(witness.url, signer.verifier(), path).recall() is None  # no key: not used
    path.write_text("\n".join([line(5), line(10, spoilt=True)]) + "\n")
    assert client.recall() is None
    assert any(
        "checkpoint 10" in r.getMessage() and "not used" in r.getMessage() for r in caplog.records
    )


async def test_a_witness_that_comes_back_gets_the_latest_checkpoint(
    start_gateway: Any, witness: FakeWitness
) -> None:
    """A witness that answers 503 (slowly, so that checkpoints pile up meanwhile) is asked
    again after ``retry_seconds`` with the newest checkpoint, without waiting for another
    transfer, until it cosigns it; a retry never follows a failure at once."""
    gateway = await start_gateway()
    await gateway.app.state.sealer.stop()
    settings = gateway.settings
    signer = signing_key(settings.log_key_file, settings.log_origin, create=False)
    witness.unavailable, witness.slowly = 3, 0.3
    client = Witness(witness.url, signer.verifier(), settings.cosignature_file, retry_seconds=0.2)
    sealer = Sealer(signer, settings.checkpoint_file, witness=client, interval=0.1)
    await sealer.start()
    try:
        await _transfer(gateway)
        await _until(lambda: witness.arrivals == 1, "the first request is out")
        await _transfer(gateway)  # sealed while the witness is still answering 503
        entries = await _entries()
        await _until(lambda: witness.size == entries, "cosigned once the witness is back")
    finally:
        await sealer.stop()
    statuses = [r.status for r in witness.requests]
    assert statuses[:3] == [503, 503, 503] and statuses[-1] == 200
    for failed, again in zip(witness.requests, witness.requests[1:], strict=False):
        if failed.status == 503 and again.size == failed.size:
            assert again.arrived - failed.answered >= 0.15, "retried without waiting"
    assert _cosignatures(settings)[-1]["size"] == entries


async def test_a_witness_that_is_down_does_not_hold_up_transfers(
    start_gateway: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """With nothing listening at the witness URL, transfers succeed, checkpoints are still
    signed into the file, and the failure is a warning in the log."""
    caplog.set_level(logging.WARNING, logger="gateway.witness")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gateway = await start_gateway(witness_url=f"http://127.0.0.1:{port}/witness")
    started = time.monotonic()
    for _ in range(3):
        await _transfer(gateway)
    assert time.monotonic() - started < 5
    settings = gateway.settings
    entries = await _entries()

    def sealed() -> bool:
        lines = (
            settings.checkpoint_file.read_text().splitlines()
            if settings.checkpoint_file.exists()
            else []
        )
        return bool(lines) and json.loads(lines[-1])["size"] == entries

    await _until(sealed, "sealed into the checkpoint file")
    await _until(
        lambda: any("cannot send checkpoint" in r.getMessage() for r in caplog.records),
        "a warning",
    )
    assert _cosignatures(settings) == []


async def test_a_bad_cosignature_is_refused(
    start_gateway: Any, witness: FakeWitness, caplog: pytest.LogCaptureFixture
) -> None:
    """A 200 answer whose cosignature by the configured witness key does not verify is not
    kept, and the log says it was refused; transfers are unaffected."""
    caplog.set_level(logging.WARNING, logger="gateway.witness")
    witness.corrupt = True
    gateway = await start_gateway(witness_url=witness.url, witness_key=witness.vkey())
    await _witnessed(gateway, witness)
    await _until(lambda: any("REFUSED" in r.getMessage() for r in caplog.records), "refused")
    assert _cosignatures(gateway.settings) == []


async def test_without_a_key_cosignatures_are_kept_unverified(
    start_gateway: Any, witness: FakeWitness, caplog: pytest.LogCaptureFixture
) -> None:
    """Without GATEWAY_WITNESS_KEY the witness's lines are kept, marked unverified (and the
    start says so); they are the witness's real cosignatures."""
    caplog.set_level(logging.INFO, logger="gateway.witness")
    gateway = await start_gateway(witness_url=witness.url)
    await _witnessed(gateway, witness)
    await _until(lambda: _cosignatures(gateway.settings), "kept")
    item = _cosignatures(gateway.settings)[-1]
    assert item["verified"] is False
    text = item["note"][: item["note"].index("\n\n") + 1]
    assert witness.check_cosignature(text, item["note"].splitlines()[-1])
    assert any("UNVERIFIED" in r.getMessage() for r in caplog.records)


async def test_a_witness_that_does_not_trust_the_log_key_is_a_warning(
    start_gateway: Any, witness: FakeWitness, caplog: pytest.LogCaptureFixture
) -> None:
    """A witness configured with another key for this log answers 403: a warning that says
    what to do, no cosignature, transfers unaffected."""
    caplog.set_level(logging.WARNING, logger="gateway.witness")
    witness.log_key = _raw(Ed25519PrivateKey.generate())
    gateway = await start_gateway(witness_url=witness.url, witness_key=witness.vkey())
    await _transfer(gateway)
    await _until(lambda: any(r.status == 403 for r in witness.requests), "a 403")
    await _until(lambda: any("answered 403" in r.getMessage() for r in caplog.records), "a warning")
    assert _cosignatures(gateway.settings) == []


async def test_verify_reads_the_cosignature_file(start_gateway: Any, witness: FakeWitness) -> None:
    """``verify`` checks the cosigned checkpoints like the checkpoint file's: a real log with
    cosignatures verifies; a cosigned checkpoint larger than the database's latest (as after a
    rollback that the checkpoint file did not show) is named."""
    gateway = await start_gateway(witness_url=witness.url, witness_key=witness.vkey())
    await _witnessed(gateway, witness)
    settings = gateway.settings
    await _until(lambda: _cosignatures(settings), "kept")
    signer = signing_key(settings.log_key_file, settings.log_origin, create=False)
    files = (settings.checkpoint_file, settings.cosignature_file)
    assert (await verify(signer.verifier(), *files)).ok
    later = sign_checkpoint(Checkpoint(settings.log_origin, 999, b"\1" * 32), signer).decode()
    append_line(settings.cosignature_file, json.dumps({"size": 999, "note": later}) + "\n")
    report = await verify(signer.verifier(), *files)
    assert any(
        p.startswith("line 2 of the cosignature file holds checkpoint 999") and "rolled back" in p
        for p in report.problems
    ), report.problems


async def _verify(gateway: RunningGateway, **environ: str) -> tuple[int, str, str]:
    """``poortwachter verify`` run as an operator runs it, on the gateway's database and files,
    with the settings ``environ`` adds: exit code, stdout, stderr."""
    settings = gateway.settings
    env = plain_environ() | {
        "GATEWAY_DATABASE_URL": settings.database_url,
        "GATEWAY_LOG_KEY_FILE": str(settings.log_key_file),
        "GATEWAY_CHECKPOINT_FILE": str(settings.checkpoint_file),
        **environ,
    }
    run = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", "verify", env=env, stdout=PIPE, stderr=PIPE
    )
    out, err = await asyncio.wait_for(run.communicate(), 120)
    assert run.returncode is not None
    return run.returncode, out.decode(), err.decode()


def _spoil_signature(path: Path, number: int) -> None:
    """One bit off in the Ed25519 signature of the cosignature on line ``number`` (from 1),
    its key id and time left as they were."""
    lines = path.read_text().splitlines(keepends=True)
    item = json.loads(lines[number - 1])
    *kept, cosignature, _ = item["note"].split("\n")
    name, encoded = cosignature.rsplit(" ", 1)
    blob = bytearray(base64.b64decode(encoded))
    blob[4 + 8 + 10] ^= 1
    spoilt = f"{name} {base64.b64encode(bytes(blob)).decode()}"
    item["note"] = "\n".join([*kept, spoilt, ""])
    lines[number - 1] = json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n"
    path.write_text("".join(lines))


async def test_verify_checks_each_cosignature_again_with_the_witness_key(
    start_gateway: Any, witness: FakeWitness
) -> None:
    """``poortwachter verify`` with GATEWAY_WITNESS_KEY passes on the cosignatures as kept; with
    one bit of one cosignature's signature changed in the file, or a kept checkpoint's root
    changed, it exits 1 naming each line. Without the key it does not check them and says so
    in a note."""
    gateway = await start_gateway(witness_url=witness.url, witness_key=witness.vkey())
    for _ in range(3):
        await _witnessed(gateway, witness)
    await gateway.app.state.sealer.stop()
    kept = lambda: len(_cosignatures(gateway.settings))  # noqa: E731
    await _until(lambda: kept() == len(witness.requests), "every cosignature kept")
    assert kept() >= 3
    path = gateway.settings.cosignature_file
    code, out, err = await _verify(gateway, GATEWAY_WITNESS_KEY=witness.vkey())
    assert code == 0, err
    assert "not checked" not in out
    _spoil_signature(path, 2)
    code, out, err = await _verify(gateway, GATEWAY_WITNESS_KEY=witness.vkey())
    assert code == 1
    assert "does NOT verify: line 2 of the cosignature file" in err
    assert "the cosignature does not verify" in err
    assert "line 1 " not in err and "line 3 " not in err
    item = _cosignatures(gateway.settings)[-1]
    origin, size, _, rest = item["note"].split("\n", 3)
    other = base64.b64encode(bytes(32)).decode()
    item["note"] = "\n".join([origin, size, other, rest])
    changed, forked_at = kept() + 1, kept() + 2
    append_line(path, json.dumps(item) + "\n")  # the last line with another root
    settings = gateway.settings
    signer = signing_key(settings.log_key_file, settings.log_origin, create=False)
    forked = Checkpoint(settings.log_origin, int(size), bytes(32))
    note = sign_checkpoint(forked, signer).decode() + witness.cosign(forked.text())
    append_line(path, json.dumps(item | {"note": note}) + "\n")  # signed and cosigned
    code, out, err = await _verify(gateway, GATEWAY_WITNESS_KEY=witness.vkey())
    assert code == 1
    assert f"line {changed} of the cosignature file: checkpoint {size} is not signed by" in err
    assert f"line {forked_at} of the cosignature file: checkpoint {size} differs from the" in err
    assert "line 2 of the cosignature file" in err
    code, out, err = await _verify(gateway)
    assert "line 2 " not in err
    assert f"note: the cosignatures in {path} were not checked: no GATEWAY_WITNESS_KEY" in out


def test_the_witness_key_is_a_cosigner_vkey() -> None:
    """GATEWAY_WITNESS_KEY takes a type-0x04 vkey; a note signer's key (0x01), a wrong key id
    or garbage stops the start with a SettingsError."""
    fake = FakeWitness("log.test/x", b"\0" * 32)
    assert parse_cosigner_key(fake.vkey()).key_string() == fake.vkey()
    as_signer_key = (
        f"{fake.name}+{fake.key_id().hex()}+" + base64.b64encode(b"\x01" + _raw(fake.key)).decode()
    )  # the same key as a note signer's (type 0x01)
    wrong_id = f"{fake.name}+00000000+{fake.vkey().rsplit('+', 1)[1]}"
    for bad in (as_signer_key, wrong_id, "nonsense"):
        with pytest.raises(MalformedKey):
            parse_cosigner_key(bad)
        with pytest.raises(SettingsError, match="GATEWAY_WITNESS_KEY"):
            Settings.from_env({"GATEWAY_WITNESS_KEY": bad})
    assert Settings.from_env({"GATEWAY_WITNESS_KEY": fake.vkey()}).cosigner is not None
