"""The register as the gateway enforces it: every agreement version, by supplier, and which one
is in force for a school at a moment; with the schools' withdrawals.

One ``AgreementRegister`` is one generation of the register: a reload builds a new one and the
gateway swaps it in whole, so a transfer sees either the old or the new, never a mix.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time

from gateway.problems import Blocked
from gateway.register.agreements import Agreement, Status
from gateway.register.school_list import SchoolList
from gateway.register.schools import School


class AgreementRegister:
    """Every agreement version read from ``contracts/``, by supplier."""

    def __init__(
        self,
        agreements: Iterable[Agreement],
        schools: SchoolList | None = None,
        generation: int = 0,
    ) -> None:
        self._by_supplier: dict[str, list[Agreement]] = {}
        for agreement in agreements:
            self._by_supplier.setdefault(agreement.supplier, []).append(agreement)
        self.schools = schools or SchoolList()
        self.generation = generation  # of the register in the database; 0: not stored

    def all(self) -> list[Agreement]:
        return [a for versions in self._by_supplier.values() for a in versions]

    def suppliers(self) -> list[str]:
        return sorted(self._by_supplier)

    def versions(self, supplier: str) -> list[Agreement]:
        return list(self._by_supplier.get(supplier, []))

    def in_force(self, supplier: str, school: School, moment: datetime | date) -> Agreement:
        """The agreement version in force for ``school`` at ``moment`` (local time in
        ``GATEWAY_TIMEZONE``; a date means its first moment), or Blocked saying why not."""
        if not isinstance(moment, datetime):
            moment = datetime.combine(moment, time.min)
        versions = [a for a in self._by_supplier.get(supplier, []) if a.schools.covers(school)]
        for agreement in versions:
            if agreement.status_at(moment) is Status.ACTIVE:
                check_permission(self.schools, agreement, school, moment)
                return agreement
        if not versions:
            raise Blocked(403, "no-agreement", f"no agreement with {supplier} covers {school}")
        # Name the newest signed version (a draft only when there is nothing else).
        latest = max(versions, key=lambda a: (not a.draft, a.valid_from))
        raise Blocked(403, "no-agreement", why_not(latest, latest.status_at(moment)))


def why_not(agreement: Agreement, status: Status) -> str:
    """The gateway's own words for why ``agreement`` lets nothing through in ``status``."""
    reason = ""
    lifecycle = agreement.lifecycle
    if lifecycle is not None and status is lifecycle.status:
        reason = f" since {lifecycle.since}: {lifecycle.reason}"
    elif status is Status.EXPIRED and agreement.valid_until is not None:
        at = f" {agreement.until_time.isoformat()}" if agreement.until_time else ""
        reason = f": it was valid until {agreement.valid_until}{at}"
    elif status is Status.PENDING:
        reason = f": not yet in force, valid from {agreement.valid_from}"
    elif status is Status.DRAFT:
        reason = ": a draft is never in force"
    return f"agreement {agreement.label} with {agreement.supplier} is {status}{reason}"


def still_in_force(
    agreement: Agreement, schools: SchoolList, school: School, now: datetime
) -> None:
    """Blocked unless ``agreement`` is still active and permitted for ``school`` at ``now``:
    the last check before anything leaves, for a transfer that waited (queued, or receiving a
    large body) while its agreement expired."""
    status = agreement.status_at(now)
    if status is not Status.ACTIVE:
        raise Blocked(403, "no-agreement", why_not(agreement, status))
    check_permission(schools, agreement, school, now)


def check_permission(
    schools: SchoolList, agreement: Agreement, school: School, moment: datetime
) -> None:
    withdrawal = schools.withdrawal(agreement.supplier, school, moment.date())
    if withdrawal is not None:
        raise Blocked(
            403,
            "permission-withdrawn",
            f"school {school} withdrew its permission for {agreement.supplier} since "
            f"{withdrawal.since}: {withdrawal.reason}",
        )
