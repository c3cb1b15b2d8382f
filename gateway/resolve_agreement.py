"""Step 2, resolve agreement: which agreement version is in force, and does it cover the route?"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from gateway.agreements import Agreement, Route, Status
from gateway.problems import Blocked
from gateway.schools import School


class AgreementRegister:
    """Every agreement version read from ``contracts/``, by supplier."""

    def __init__(self, agreements: Iterable[Agreement]) -> None:
        self._by_supplier: dict[str, list[Agreement]] = {}
        for agreement in agreements:
            self._by_supplier.setdefault(agreement.supplier, []).append(agreement)

    def all(self) -> list[Agreement]:
        return [a for versions in self._by_supplier.values() for a in versions]

    def in_force(self, supplier: str, school: School, day: date) -> Agreement:
        """The agreement version in force for ``school`` on ``day``, or Blocked saying why not."""
        versions = [a for a in self._by_supplier.get(supplier, []) if a.schools.covers(school)]
        for agreement in versions:
            if agreement.status_on(day) is Status.ACTIVE:
                return agreement
        if not versions:
            raise Blocked(403, "no-agreement", f"no agreement with {supplier} covers {school}")
        latest = max(versions, key=lambda a: a.valid_from)
        status = latest.status_on(day)
        reason = ""
        if latest.lifecycle is not None and status is latest.lifecycle.status:
            reason = f" since {latest.lifecycle.since}: {latest.lifecycle.reason}"
        raise Blocked(
            403, "no-agreement", f"agreement {latest.label} with {supplier} is {status}{reason}"
        )


def route(agreement: Agreement, method: str, path: str) -> Route:
    found = agreement.route_for(method, path)
    if found is None:
        raise Blocked(
            403,
            "route-not-covered",
            f"agreement {agreement.label} does not cover {method} on this path",
        )
    return found
