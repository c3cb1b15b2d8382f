"""Te beoordelen: what the FG should look at, derived from the log, and the FG's marks on it.

Three kinds of item, each named by ``(kind, subject)``:

- ``transfer``: a transfer that was blocked, had special-category fields stripped (the LAS
  sends what it should not), or carried identifiers where they do not belong (a BSN in a group
  name); subject: its transfer id.
- ``new_field``: field paths forwarded to, or stripped for, a supplier for the first time,
  grouped by the transfer they first came in (a supplier's very first transfer brings all of
  its paths at once); subject: ``supplier role seq``.
- ``volume``: an Amsterdam day on which a supplier got at least ``FACTOR`` times its usual
  number of transfers or pupils; subject: ``supplier day``.

An item is open until the FG marks it reviewed with a note; who and when are kept with it.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError

from gateway.access.models import User
from gateway.console import overview, transfers
from gateway.console.dutch import day_start
from gateway.console.models import FieldPathSeen, ReviewMark
from gateway.console.sql import Sql, rows
from gateway.console.transfers import PAGE_SIZE
from gateway.evidence.models import TransferRecord
from gateway.formats.inspection import inspect

TRANSFER, NEW_FIELD, VOLUME = "transfer", "new_field", "volume"
KINDS = (TRANSFER, NEW_FIELD, VOLUME)
REASONS = ("blocked", "special", "inspected")
STATES = ("open", "beoordeeld", "alle")
FACTOR = 3  # "at least three times a supplier's usual"
HISTORY_DAYS = 28  # the usual: the median day of the four weeks before
MIN_HISTORY_DAYS = 7  # fewer days of traffic than this, and nothing is usual yet
VOLUME_DAYS = 90  # days looked at for unusual volumes
NOTE_MAX = 2000
_NOT_QUEUED = "Dit staat niet (meer) in de lijst om te beoordelen."


class NoteRefused(ValueError):
    """A note the console will not keep; the message says why, in Dutch."""


@dataclass(frozen=True)
class TransferItem:
    record: TransferRecord
    reasons: tuple[str, ...]
    special: tuple[tuple[str, str], ...]  # (stripped path, category)
    mark: ReviewMark | None


@dataclass(frozen=True)
class FieldItem:
    """Field paths a supplier was sent (or had stripped) for the first time, in one transfer."""

    supplier: str
    role: str  # "forwarded" or "stripped"
    first_seq: int
    first_at: datetime
    paths: tuple[str, ...]
    mark: ReviewMark | None

    @property
    def subject(self) -> str:
        return field_subject(self.supplier, self.role, self.first_seq)


@dataclass(frozen=True)
class Volume:
    supplier: str
    day: date
    transfers: int
    usual_transfers: float
    pupils: int
    usual_pupils: float


@dataclass(frozen=True)
class VolumeItem:
    volume: Volume
    mark: ReviewMark | None

    @property
    def subject(self) -> str:
        return volume_subject(self.volume.supplier, self.volume.day)


@dataclass(frozen=True)
class TransferCounts:
    total: int
    blocked: int
    special: int
    inspected: int


def field_subject(supplier: str, role: str, first_seq: int) -> str:
    return f"{supplier} {role} {first_seq}"


def volume_subject(supplier: str, day: date) -> str:
    return f"{supplier} {day.isoformat()}"


def unusual(
    supplier: str, per_day: Mapping[date, tuple[int, int]], days: Sequence[date]
) -> list[Volume]:
    """The days of ``days`` on which ``supplier`` got at least FACTOR times its usual: the
    median of the HISTORY_DAYS before, counting days without traffic from its first day on."""
    if not per_day:
        return []
    first = min(per_day)
    found = []
    for day in days:
        transfers, pupils = per_day.get(day, (0, 0))
        if not transfers:
            continue
        before = [day - timedelta(days=n) for n in range(1, HISTORY_DAYS + 1)]
        before = [d for d in before if d >= first]
        if len(before) < MIN_HISTORY_DAYS:
            continue
        usual_t = statistics.median(per_day.get(d, (0, 0))[0] for d in before)
        usual_p = statistics.median(per_day.get(d, (0, 0))[1] for d in before)
        if (usual_t and transfers >= FACTOR * usual_t) or (usual_p and pupils >= FACTOR * usual_p):
            found.append(Volume(supplier, day, transfers, usual_t, pupils, usual_p))
    return found


class ReviewQueue:
    """The queue, given which field paths are special-category data (path -> category)."""

    def __init__(self, special_paths: Mapping[str, str]) -> None:
        self._special = dict(sorted(special_paths.items()))

    @property
    def special_paths(self) -> Mapping[str, str]:
        return self._special

    @staticmethod
    def _where(sql: Sql, state: str, reason: str | None) -> str:
        """Which flag rows are items in ``state``, for one reason or any."""
        chosen = [reason] if reason else list(REASONS)
        terms = ["(" + " OR ".join(f"f.{r} = {sql.p(True)}" for r in chosen) + ")"]
        if state in ("open", "beoordeeld"):
            marked = (
                "EXISTS (SELECT 1 FROM review_mark m "
                f"WHERE m.kind = {sql.p(TRANSFER)} AND m.transfer_seq = f.seq)"
            )
            terms.append(f"NOT {marked}" if state == "open" else marked)
        return " AND ".join(terms)

    async def transfer_counts(self, state: str) -> TransferCounts:
        """How many transfer items there are in ``state``, in all and per reason."""
        sql = Sql.connected()
        cases = ", ".join(
            f"SUM(CASE WHEN f.{r} = {sql.p(True)} THEN 1 ELSE 0 END) AS {r}" for r in REASONS
        )
        statement = (
            f"SELECT COUNT(*) AS total, {cases} FROM flagged_transfer f "
            f"WHERE {self._where(sql, state, None)}"
        )
        row = (await rows(sql, statement))[0]
        return TransferCounts(*(int(row[k] or 0) for k in ("total", *REASONS)))

    async def transfers(
        self, state: str, reason: str | None, page: int, size: int = PAGE_SIZE
    ) -> list[TransferItem]:
        """One page of transfer items, newest first."""
        sql = Sql.connected()
        statement = (
            f"SELECT f.seq FROM flagged_transfer f WHERE {self._where(sql, state, reason)} "
            f"ORDER BY f.seq DESC LIMIT {sql.p(size)} OFFSET {sql.p((page - 1) * size)}"
        )
        seqs = [int(r["seq"]) for r in await rows(sql, statement)]
        records = await TransferRecord.filter(seq__in=seqs).order_by("-seq") if seqs else []
        marks = {
            m.transfer_seq: m for m in await ReviewMark.filter(kind=TRANSFER, transfer_seq__in=seqs)
        }
        return [self.item(r, marks.get(r.seq)) for r in records]

    def item(self, record: TransferRecord, mark: ReviewMark | None) -> TransferItem:
        special = tuple((p, self._special[p]) for p in record.fields_stripped if p in self._special)
        reasons = tuple(
            reason
            for reason, applies in (
                ("blocked", record.outcome == "blocked"),
                ("special", bool(special)),
                ("inspected", bool(record.fields_inspected)),
            )
            if applies
        )
        return TransferItem(record, reasons, special, mark)

    async def transfer_mark(self, record: TransferRecord) -> TransferItem | None:
        """The queue item of one transfer, or None when it is not one."""
        item = self.item(record, None)
        if not item.reasons:
            return None
        return self.item(
            record, await ReviewMark.get_or_none(kind=TRANSFER, transfer_seq=record.seq)
        )

    async def new_fields(self, state: str) -> list[FieldItem]:
        groups: dict[tuple[str, str, int], list[FieldPathSeen]] = {}
        for seen in await FieldPathSeen.all().order_by("-first_seq", "role", "path"):
            groups.setdefault((seen.supplier, seen.role, seen.first_seq), []).append(seen)
        marks = {m.subject: m for m in await ReviewMark.filter(kind=NEW_FIELD)}
        items = [
            FieldItem(
                supplier,
                role,
                seq,
                paths[0].first_at,
                tuple(p.path for p in paths),
                marks.get(field_subject(supplier, role, seq)),
            )
            for (supplier, role, seq), paths in groups.items()
        ]
        return [i for i in items if _in_state(i.mark, state)]

    async def volumes(self, state: str, today: date, zone: ZoneInfo) -> list[VolumeItem]:
        days = overview.days_back(today, VOLUME_DAYS)
        since = day_start(days[0] - timedelta(days=HISTORY_DAYS), zone)
        per_supplier = await overview.daily(since, zone)
        found = [
            v
            for supplier, per_day in per_supplier.items()
            if supplier is not None
            for v in unusual(supplier, per_day, days)
        ]
        found.sort(key=lambda v: (v.day, v.supplier), reverse=True)
        marks = {m.subject: m for m in await ReviewMark.filter(kind=VOLUME)}
        items = [VolumeItem(v, marks.get(volume_subject(v.supplier, v.day))) for v in found]
        return [i for i in items if _in_state(i.mark, state)]

    async def mark(
        self, kind: str, subject: str, note: str, user: User, today: date, zone: ZoneInfo
    ) -> bool:
        """Mark an item reviewed; False if it was marked already. NoteRefused for a bad note
        or for an item that is not in the queue."""
        note = note.strip()
        if len(note) < 2:
            raise NoteRefused("Schrijf een korte notitie: wat u zag en wat u deed.")
        if len(note) > NOTE_MAX:
            raise NoteRefused(f"Een notitie is hoogstens {NOTE_MAX} tekens.")
        if inspect(note):
            raise NoteRefused(
                "De notitie lijkt een BSN, ECK iD, rekeningnummer, e-mailadres of "
                "telefoonnummer te bevatten. Schrijf geen gegevens van leerlingen op."
            )
        seq = None
        if kind == TRANSFER:
            record = await transfers.one(subject)
            if record is None or not self.item(record, None).reasons:
                raise NoteRefused(_NOT_QUEUED)
            seq = record.seq
        elif kind == NEW_FIELD:
            if not any(i.subject == subject for i in await self.new_fields("alle")):
                raise NoteRefused(_NOT_QUEUED)
        elif kind == VOLUME:
            if not any(i.subject == subject for i in await self.volumes("alle", today, zone)):
                raise NoteRefused(_NOT_QUEUED)
        else:
            raise NoteRefused(_NOT_QUEUED)
        try:
            await ReviewMark.create(
                kind=kind,
                subject=subject,
                transfer_seq=seq,
                note=note,
                user_id=user.id,
                user_name=user.name,
                reviewed_at=datetime.now(UTC),
            )
        except IntegrityError:
            return False
        return True


def _in_state(mark: ReviewMark | None, state: str) -> bool:
    return state == "alle" or (mark is None) == (state == "open")
