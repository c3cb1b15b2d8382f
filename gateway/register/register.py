"""The register as the gateway enforces it: every agreement version, by supplier, and which one
is in force for a school on a day."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from gateway.problems import Blocked
from gateway.register.agreements import Agreement, Status
from gateway.register.schools import School


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
