"""Agreements: one version of a supplier's data-processing agreement, and its lifecycle.

A *draft* never lets anything flow, whatever its dates. Otherwise an agreement is *active*
between ``valid_from`` and ``valid_until`` (inclusive: through the end of that day in
``GATEWAY_TIMEZONE``, or up to the local moment written), unless it has been *suspended* or
*terminated* from a given day on; after ``valid_until`` it is *expired*, and before
``valid_from`` it is *pending* (signed, not yet in force). Only an active agreement lets
anything flow. ``status_at`` decides at a moment, so expiry takes effect at the very second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING

from gateway.formats.json_compiled import CompiledPolicy
from gateway.register.details import RegisterDetails, SubProcessor
from gateway.register.policy import FieldPolicy
from gateway.register.schools import SchoolScope

if TYPE_CHECKING:
    from gateway.register.xml_routes import XmlHandling


class Status(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    ACTIVE = "active"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


@dataclass(frozen=True, slots=True)
class Lifecycle:
    status: Status  # SUSPENDED or TERMINATED
    since: date
    reason: str
    deletion_confirmed: date | None = None  # terminated: the supplier confirmed deletion then


@dataclass(frozen=True, slots=True)
class SpecialCategory:
    field: str
    category: str
    legal_basis: str


@dataclass(frozen=True, slots=True)
class ValueHandling:
    """What a contract says happens to values its rules or content inspection take out."""

    block_invalid: bool = False  # on_invalid: block (else strip: that value only)
    block_content: frozenset[str] = (
        frozenset()
    )  # identifier kinds whose finding blocks (else redact)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    payload: str
    policy: FieldPolicy
    query: frozenset[str]
    special_categories: tuple[SpecialCategory, ...]
    compiled: CompiledPolicy | None = None  # the fast path of the same policy
    values: ValueHandling = ValueHandling()
    xml: XmlHandling | None = None  # a route carrying XML: its profile and what to do

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        return _compile(self.path)

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and self._pattern.fullmatch(path) is not None


def _compile(template: str) -> re.Pattern[str]:
    parts = []
    for segment in template.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            parts.append("[^/]+")
        else:
            parts.append(re.escape(segment))
    if parts == [""]:
        return re.compile("/?")
    return re.compile("/" + "/".join(parts) + "/?")


@dataclass(frozen=True)
class Agreement:
    supplier: str
    supplier_name: str
    reference: str
    version: str
    signed: date
    valid_from: date
    valid_until: date | None
    lifecycle: Lifecycle | None
    schools: SchoolScope
    purposes: tuple[str, ...]
    legal_basis: str
    retention: str
    sub_processors: tuple[tuple[str, str], ...]  # (name, country), as the console lists them
    routes: tuple[Route, ...]
    source: str  # the contract file it was read from
    draft: bool = False
    until_time: time | None = None  # valid_until ends at this local time, not the day's end
    details: RegisterDetails = field(default_factory=RegisterDetails)
    processors: tuple[SubProcessor, ...] = ()
    sha256: str = ""  # of the contract file's text: which version, exactly
    text: str = ""  # the contract file's text, kept in the database's register

    def status_on(self, day: date) -> Status:
        """The status during ``day`` (its start; an agreement ending at a time that day is
        still active on it)."""
        return self.status_at(datetime.combine(day, time.min))

    def status_at(self, moment: datetime) -> Status:
        """The status at ``moment``, a local time in ``GATEWAY_TIMEZONE`` (naive or aware)."""
        day = moment.date()
        if self.draft:
            return Status.DRAFT
        if self.lifecycle is not None and day >= self.lifecycle.since:
            return self.lifecycle.status
        if day < self.valid_from:
            return Status.PENDING
        if self.valid_until is not None:
            if day > self.valid_until:
                return Status.EXPIRED
            ends = self.until_time
            if day == self.valid_until and ends is not None and moment.time() >= ends:
                return Status.EXPIRED
        return Status.ACTIVE

    @property
    def special_categories(self) -> tuple[SpecialCategory, ...]:
        return tuple({s.field: s for r in self.routes for s in r.special_categories}.values())

    @property
    def outside_eu(self) -> tuple[str, ...]:
        """Countries outside the EU/EEA where the data is stored or processed, as recorded."""
        storage = self.details.storage
        countries = list(storage.outside_eu) if storage is not None else []
        countries += [p.country for p in self.processors if p.outside_eu]
        return tuple(dict.fromkeys(countries))

    def route_for(self, method: str, path: str) -> Route | None:
        return next((r for r in self.routes if r.matches(method, path)), None)

    @property
    def label(self) -> str:
        return f"{self.reference} v{self.version}"
