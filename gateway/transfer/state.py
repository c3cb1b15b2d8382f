"""Transfer: one exchange carried through the gateway's steps, from request to outcome.

The steps fill it in order (authenticate, resolve agreement, filter, record, forward, record
outcome); the log entry is made from it, so what the FG sees is what the steps decided.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from uuid_utils.compat import uuid7

from gateway.access.keys import Client
from gateway.evidence.subjects import Subjects
from gateway.formats.filtered import Filtered
from gateway.register.agreements import Agreement, Route
from gateway.register.schools import School

PENDING = "pending"
FORWARDED = "forwarded"
BLOCKED = "blocked"
REJECTED = "rejected"
UPSTREAM_ERROR = "upstream_error"
UNKNOWN = "unknown"  # left pending by a gateway that stopped mid-transfer
OUTCOMES = (PENDING, FORWARDED, BLOCKED, REJECTED, UPSTREAM_ERROR, UNKNOWN)
PUSH = "push"  # the source sends pupil data to a supplier (/proxy/)
PULL = "pull"  # a supplier asks the LAS, and pupil data leaves in the answer (/uwlr/)


@dataclass
class Transfer:
    method: str
    supplier: str | None = None
    path: str = ""  # the agreement route's path once one matched; never the raw request path
    # Time-ordered (RFC 9562 version 7): each table and index keyed by a transfer's id takes
    # new ids at its end, instead of at a random page of an index that outgrows the cache.
    id: uuid.UUID = field(default_factory=uuid7)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    _clock: float = field(default_factory=time.perf_counter)
    client: Client | None = None
    school: School | None = None
    agreement: Agreement | None = None
    route: Route | None = None
    filtered: Filtered | None = None
    body_sha256: str | None = None
    query_stripped: int = 0  # query parameters the route does not allow
    recorded: bool = False  # the pending entry is durable
    instance: uuid.UUID | None = None  # the gateway process carrying it
    outcome: str = PENDING
    status: int | None = None
    upstream_status: int | None = None
    problem: str | None = None
    completed_at: datetime | None = None
    duration_ms: float | None = None
    subjects: Subjects | None = None  # the pupils the forwarded body holds, as keyed hashes
    format: str | None = None  # "json" or "xml", once the route says which
    direction: str | None = None  # PUSH or PULL

    def finish(
        self,
        outcome: str,
        status: int,
        upstream_status: int | None = None,
        problem: str | None = None,
    ) -> None:
        self.outcome = outcome
        self.status = status
        self.upstream_status = upstream_status
        self.problem = problem
        self.completed_at = datetime.now(UTC)
        self.duration_ms = round((time.perf_counter() - self._clock) * 1000, 3)
