"""Step 2, resolve agreement: which agreement version is in force, and does it cover the route?

The register answers the first question (``AgreementRegister.in_force``); this step the second.
"""

from __future__ import annotations

from gateway.problems import Blocked
from gateway.register.agreements import Agreement, Route


def route(agreement: Agreement, method: str, path: str) -> Route:
    found = agreement.route_for(method, path)
    if found is None:
        raise Blocked(
            403,
            "route-not-covered",
            f"agreement {agreement.label} does not cover {method} on this path",
        )
    return found
