"""The log's side of the witness protocol (https://c2sp.org/tlog-witness): each new checkpoint
goes to a witness, which cosigns it only if it extends the last one it cosigned for this log.

``POST <GATEWAY_WITNESS_URL>/add-checkpoint`` with the body ``old <m>``, the RFC 6962
consistency proof from tree size m to the checkpoint's (one base64 hash a line, read from the
stored tree nodes), an empty line and the signed checkpoint. m is the size the witness last
cosigned. At a start it is taken from the cosignature file: the size of this witness's largest
checkpoint there marked verified, if its cosignature still verifies with ``GATEWAY_WITNESS_KEY``
(see ``Witness.recall``). Without one the first request says ``old 0`` (no proof), the spec's
way to ask; a witness that knows another size answers 409 with it, and the request is made once
more, from that size. The answers:

- 200: cosignature lines. With ``GATEWAY_WITNESS_KEY`` only that key's lines are kept, and only
  if they verify; without it every line is kept, marked unverified. They go, with the checkpoint
  they sign, into the cosignature file (see ``cosignature_line``).
- 409: the witness knows another size (``text/x.tlog.size``): retried once from it.
- 404, 403: the witness does not know this log or its key, 422: it finds the proof wrong,
  400 or anything else: a warning. The next checkpoint is sent as usual.
- no answer, or a 5xx: a warning; the checkpoint is tried again after ``retry_seconds`` unless a
  newer one has come by then.

Only the newest checkpoint matters (its cosignature vouches for every smaller tree it is
consistent with), so one request is out at a time and checkpoints sealed meanwhile replace
each other. Nothing here is on a transfer's path: the sealer hands a checkpoint over and goes
on, and a witness that is slow or gone costs the gateway nothing but a log line.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from gateway.evidence import database as sql
from gateway.evidence import proofs
from gateway.evidence.checkpoint import Checkpoint, InvalidCheckpoint, parse_checkpoint
from gateway.evidence.cosignature import Cosigner
from gateway.evidence.note import InvalidSignature, NoteError, Verifier, open_note
from gateway.evidence.sealer import append_line, checkpoint_lines

logger = logging.getLogger("gateway.witness")

MAX_ANSWER = 64 * 1024  # cosignature lines are about 120 bytes; a witness has a few keys
RETRY_SECONDS = 60.0


@dataclass(frozen=True)
class Cosigned:
    """A 200 answer taken: the lines kept, and whether a configured key verified them."""

    size: int
    lines: tuple[str, ...]
    verified: bool


class Witness:
    """Sends checkpoints to one witness, in the background, only ever the newest."""

    def __init__(
        self,
        url: str,
        log_key: Verifier,
        cosignature_file: Path,
        *,
        cosigner: Cosigner | None = None,
        timeout: float = 5.0,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self.url = url.rstrip("/") + "/add-checkpoint"
        self._log_key = log_key
        self._file = cosignature_file
        self._cosigner = cosigner
        self._timeout = timeout
        self._retry = retry_seconds
        self.known: int | None = None  # the size the witness last cosigned, as last heard
        self._recalled = False  # known is the cosignature file's, the witness has not said it
        self._pending: tuple[Checkpoint, str] | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self._timeout)
        self._session = aiohttp.ClientSession(timeout=timeout)
        if self._cosigner is None:
            logger.warning(
                "no GATEWAY_WITNESS_KEY: cosignatures from %s are kept unverified", self.url
            )
        self._task = asyncio.create_task(self._run(), name="log-witness")

    async def stop(self) -> None:
        """Stop; a request still out gets a moment to finish, then is given up."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._task, 1.0)
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def submit(self, checkpoint: Checkpoint, note: str) -> None:
        """Hand over a newly sealed checkpoint; returns at once."""
        self._pending = (checkpoint, note)
        self._wake.set()

    async def _run(self) -> None:
        try:
            self.known = await asyncio.to_thread(self.recall)
        except Exception:  # a file this client cannot read costs one 409, not the witness
            logger.exception("reading the cosignature file %s failed", self._file)
        self._recalled = self.known is not None
        while not self._stopping:
            await self._wake.wait()
            self._wake.clear()
            while not self._stopping and self._pending is not None:
                sending, self._pending = self._pending, None
                try:
                    again = await self.add_checkpoint(*sending)
                except Exception:
                    logger.exception("sending checkpoint %d to the witness failed", sending[0].size)
                    again = False
                if again and self._pending is None and not self._stopping:
                    self._pending = sending
                    self._wake.clear()  # a wake-up already used must not end the wait
                    with contextlib.suppress(TimeoutError):  # early for a newer one, or stop
                        await asyncio.wait_for(self._wake.wait(), self._retry)

    async def add_checkpoint(self, checkpoint: Checkpoint, note: str) -> bool:
        """One checkpoint to the witness, with one retry after a 409; True if it is worth
        trying again later (the witness did not answer, or answered 5xx)."""
        old = 0 if self.known is None else self.known
        if old > checkpoint.size and self._recalled:
            old = 0  # the file knows more than the database: the witness is asked (409, below)
        elif old > checkpoint.size:
            logger.info(
                "the witness has cosigned %d leaves already; checkpoint %d is not sent",
                old,
                checkpoint.size,
            )
            return False
        for attempt in (1, 2):
            try:
                status, content_type, body = await self._post(old, checkpoint, note)
            except (aiohttp.ClientError, TimeoutError) as error:
                logger.warning(
                    "cannot send checkpoint %d to the witness %s: %s",
                    checkpoint.size,
                    self.url,
                    type(error).__name__,
                )
                return True
            if status == 200:
                self.known, self._recalled = checkpoint.size, False
                await self._keep(checkpoint, note, body)
                return False
            if status == 409 and attempt == 1:
                size = _size(content_type, body)
                if size is None or size == old:
                    logger.error(
                        "the witness refuses checkpoint %d with 409 Conflict from size %d: it "
                        "holds another root for that size (a forked or rewritten log?)",
                        checkpoint.size,
                        old,
                    )
                    return False
                self.known, self._recalled = size, False
                if size > checkpoint.size:
                    await self._ahead(size, checkpoint.size)
                    return False
                old = size
                continue
            _refused(status, checkpoint.size, old, self.url)
            return status >= 500
        return False

    def recall(self) -> int | None:
        """The size this witness last cosigned as the cosignature file remembers it: its
        largest checkpoint there marked verified, if that cosignature still verifies with the
        key. None without a key or such a line. An unreadable file or line, or such a line that
        does not verify, is a warning, never a failure: the witness is then asked (409)."""
        if self._cosigner is None:
            return None
        try:
            lines = checkpoint_lines(self._file)
        except (OSError, UnicodeDecodeError) as error:
            logger.warning("cannot read the cosignature file %s: %s", self._file, error)
            return None
        unreadable = [number for number, item in lines if item is None]
        if unreadable:
            logger.warning(
                "the cosignature file %s has %d unreadable line(s), the first at line %d; skipped",
                self._file,
                len(unreadable),
                unreadable[0],
            )
        mine = [
            item
            for _, item in lines
            if item is not None and item.get("witness") == self.url and item.get("verified") is True
        ]
        if not mine:
            return None
        newest = max(mine, key=lambda item: item["size"])
        try:
            note = open_note(newest["note"].encode("utf-8"), [self._log_key])
            size = parse_checkpoint(note.text).size
            self._cosigner.verify_note(note)
        except (NoteError, InvalidCheckpoint, UnicodeError) as error:
            logger.warning(
                "the cosignature file's checkpoint %d by %s does not verify (%s); not used",
                newest["size"],
                self.url,
                error,
            )
            return None
        logger.info(
            "the witness %s last cosigned %d leaves, says the cosignature file", self.url, size
        )
        return size

    async def _post(self, old: int, checkpoint: Checkpoint, note: str) -> tuple[int, str, bytes]:
        proof = await _consistency(old, checkpoint.size)
        lines = [f"old {old}", *(base64.b64encode(h).decode("ascii") for h in proof), ""]
        body = "".join(line + "\n" for line in lines) + note
        assert self._session is not None
        async with self._session.post(
            self.url, data=body.encode("utf-8"), headers={"Content-Type": "text/plain"}
        ) as answer:
            content = bytearray()
            async for chunk in answer.content.iter_chunked(8192):
                content += chunk
                if len(content) > MAX_ANSWER:
                    break  # no answer of the protocol is this long: not read further
            return answer.status, answer.headers.get("Content-Type", ""), bytes(content)

    async def _keep(self, checkpoint: Checkpoint, note: str, body: bytes) -> None:
        cosigned = self.cosignatures(checkpoint, note, body)
        if cosigned is None:
            return
        line = cosignature_line(note, cosigned, self.url, dt.datetime.now(dt.UTC))
        try:
            await asyncio.to_thread(append_line, self._file, line)
        except OSError as error:
            logger.error("cannot append to the cosignature file %s: %s", self._file, error)
            return
        if cosigned.verified:
            logger.info("the witness cosigned checkpoint %d", checkpoint.size)
        else:
            logger.info(
                "the witness answered checkpoint %d with %d cosignature(s), kept UNVERIFIED "
                "(no GATEWAY_WITNESS_KEY)",
                checkpoint.size,
                len(cosigned.lines),
            )

    def cosignatures(self, checkpoint: Checkpoint, note: str, body: bytes) -> Cosigned | None:
        """The cosignature lines of a 200 answer worth keeping, or None (and a warning): lines
        that are not note signatures, none by the configured key, or one by it that does not
        verify. Parsed as the spec suggests: the answer appended to the checkpoint note."""
        try:
            opened = open_note(note.encode("utf-8") + body, [self._log_key])
        except (NoteError, UnicodeDecodeError):
            logger.warning(
                "the witness's answer to checkpoint %d is not note signature lines; ignored",
                checkpoint.size,
            )
            return None
        lines = [s for s in opened.unverified if s.name != self._log_key.name]
        if not lines:
            logger.warning(
                "the witness answered checkpoint %d without a cosignature", checkpoint.size
            )
            return None
        if self._cosigner is None:
            return Cosigned(checkpoint.size, tuple(s.line() for s in lines), verified=False)
        cosigner = self._cosigner
        mine = [s for s in lines if cosigner.signed(s)]
        try:
            for signature in mine:
                cosigner.verify(checkpoint.text(), signature)
        except InvalidSignature as error:
            logger.warning(
                "REFUSED the witness's cosignature of checkpoint %d: %s (key %s)",
                checkpoint.size,
                error,
                cosigner.key_string(),
            )
            return None
        if not mine:
            logger.warning(
                "the witness's answer to checkpoint %d has no cosignature by %s; ignored",
                checkpoint.size,
                cosigner.key_string(),
            )
            return None
        return Cosigned(checkpoint.size, tuple(s.line() for s in mine), verified=True)

    async def _ahead(self, size: int, sent: int) -> None:
        """The witness cosigned a larger tree than the checkpoint sent: normal when another
        gateway sealed later, alarming when the database has no checkpoint that large."""
        rows = await sql.fetch(sql.client(), "SELECT max(size) AS size FROM log_checkpoint")
        latest = -1 if rows[0]["size"] is None else int(rows[0]["size"])
        if size > latest:
            logger.error(
                "the witness has cosigned a tree of %d leaves, the database's latest checkpoint "
                "is %d: the database was rolled back, or another log uses this key",
                size,
                latest,
            )
        else:
            logger.info("the witness has cosigned %d leaves already, more than %d", size, sent)


def cosignature_line(note: str, cosigned: Cosigned, url: str, received: dt.datetime) -> str:
    """One line of the cosignature file: JSON with the size, ``note`` (the checkpoint note with
    the witness's signature lines after the log's, a signed note any C2SP tool can check with
    the log's and the witness's keys), whether it was verified, the witness and when."""
    at = received.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    item = {
        "size": cosigned.size,
        "note": note + "".join(cosigned.lines),
        "verified": cosigned.verified,
        "witness": url,
        "received_at": at,
    }
    return json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n"


async def _consistency(old: int, new: int) -> list[bytes]:
    if old == 0:
        return []  # the spec: no proof from the empty tree
    return await proofs.consistency(sql.client(), old, new)


def _size(content_type: str, body: bytes) -> int | None:
    """The tree size of a 409 answer: ``text/x.tlog.size``, a decimal and a newline."""
    if content_type.split(";")[0].strip().lower() != "text/x.tlog.size":
        return None
    text = body.decode("ascii", "replace")
    if not text.endswith("\n") or not text[:-1].isdigit() or len(text) > 21:
        return None
    return int(text[:-1])


def _refused(status: int, size: int, old: int, url: str) -> None:
    why = {
        400: "it finds the request malformed",
        403: "no signature by a key it trusts for this log: give it the log's public key",
        404: "it does not know this log's origin: ask its operator to add the log",
        409: "it still conflicts after one retry",
        422: f"the consistency proof from size {old} does not verify for it",
    }.get(status, "unexpected status")
    logger.warning("the witness %s answered %d to checkpoint %d: %s", url, status, size, why)
