"""Agreements: one version of a supplier's data-processing agreement, and its lifecycle.

An agreement is *active* between ``valid_from`` and ``valid_until`` (inclusive), unless it has
been *suspended* or *terminated* from a given day on; after ``valid_until`` it is *expired*, and
before ``valid_from`` it is *pending*. Only an active agreement lets anything flow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING

from gateway.formats.json_compiled import CompiledPolicy
from gateway.register.policy import FieldPolicy
from gateway.register.schools import SchoolScope

if TYPE_CHECKING:
    from gateway.register.xml_routes import XmlHandling


class Status(StrEnum):
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
    sub_processors: tuple[tuple[str, str], ...]
    routes: tuple[Route, ...]
    source: str  # the contract file it was read from

    def status_on(self, day: date) -> Status:
        if self.lifecycle is not None and day >= self.lifecycle.since:
            return self.lifecycle.status
        if day < self.valid_from:
            return Status.PENDING
        if self.valid_until is not None and day > self.valid_until:
            return Status.EXPIRED
        return Status.ACTIVE

    def route_for(self, method: str, path: str) -> Route | None:
        return next((r for r in self.routes if r.matches(method, path)), None)

    @property
    def label(self) -> str:
        return f"{self.reference} v{self.version}"
