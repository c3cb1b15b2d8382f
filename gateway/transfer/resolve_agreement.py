"""Step 2, resolve agreement: which agreement version is in force, and does it cover the route?

The register answers the first question (``AgreementRegister.in_force``); this step the second.
"""

from __future__ import annotations

from datetime import datetime

from gateway.problems import Blocked
from gateway.register import register
from gateway.register.agreements import Agreement, Route
from gateway.register.school_list import SchoolList
from gateway.transfer.state import Transfer


def route(agreement: Agreement, method: str, path: str) -> Route:
    found = agreement.route_for(method, path)
    if found is None:
        raise Blocked(
            403,
            "route-not-covered",
            f"agreement {agreement.label} does not cover {method} on this path",
        )
    return found


def still_in_force(transfer: Transfer, schools: SchoolList, now: datetime) -> None:
    """Blocked unless the transfer's agreement version is still active, and the school's
    permission stands, at ``now``: called just before anything leaves, so that an agreement
    expiring (or a permission withdrawn) while the transfer waited stops it too."""
    assert transfer.agreement is not None and transfer.school is not None
    register.still_in_force(transfer.agreement, schools, transfer.school, now)
