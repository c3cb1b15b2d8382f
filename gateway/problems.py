"""Refusals and their RFC 9457 problem bodies.

Exception tree, one meaning each to the caller::

    Refusal                   nothing was sent upstream (except UpstreamFailed, see below)
    ├── Rejected              bad input: the request cannot be understood (400, 404, 408, 413,
    │                         415, 431)
    ├── Blocked               not allowed: key, school, agreement, route, values, limits
    │                         (401, 403, 422, 429)
    ├── UpstreamFailed        the supplier could not be reached or did not answer (502, 504)
    └── LogUnavailable        the transfer log cannot be written, so nothing is sent (503)

Each carries the outcome its log entry gets and a problem type named in ``PROBLEM_TYPES``.
"""

from __future__ import annotations

from typing import ClassVar

import msgspec
from starlette.responses import Response

PROBLEM_TYPES: dict[str, str] = {
    "unauthenticated": "The request carries no valid Authorization: Bearer key.",
    "forbidden": "The key is valid but may not use this endpoint.",
    "unknown-supplier": "No supplier with this name is configured.",
    "missing-school": "The X-School header is missing or is not a BRIN code (99XX or 99XX01).",
    "school-not-allowed": "The key may not send data for this school.",
    "school-mismatch": "The payload names another school than the X-School header.",
    "no-agreement": "No agreement with this supplier is in force for this school today.",
    "permission-withdrawn": (
        "The school has withdrawn its permission for this supplier; the agreement stands for "
        "other schools."
    ),
    "route-not-covered": "The supplier's agreement does not cover this method and path.",
    "invalid-values": (
        "Values break their field's rule (type, format, pattern, length, range), and the "
        "agreement says to refuse the transfer rather than leave them out."
    ),
    "forbidden-content": (
        "Forwarded values hold identifiers (a BSN, an IBAN, an ECK iD, an e-mail address or a "
        "phone number) their fields may not carry, and the agreement says to refuse the transfer."
    ),
    "unsupported-media-type": "The body is not JSON, or is encoded in a way the gateway refuses.",
    "malformed-body": "The body is not a JSON object the gateway can filter.",
    "body-too-large": "The body is larger than the gateway accepts.",
    "too-many-values": (
        "The body holds more records or values than the gateway takes in one transfer, or packs "
        "more objects into its size than a sync does."
    ),
    "request-timeout": "The request did not arrive whole in time; it was not processed.",
    "headers-too-large": "The request's headers are larger than the gateway accepts.",
    "bad-path": "The path could reach somewhere other than the supplier's API.",
    "bad-query": "The query string cannot be read.",
    "upstream-unreachable": "The supplier could not be reached or answered with garbage.",
    "upstream-timeout": "The supplier did not answer in time.",
    "log-unavailable": "The transfer log cannot be written, so nothing was sent.",
    "bad-filter": "A filter parameter of this API call has a value that cannot be used.",
    "not-found": "There is nothing at this address.",
    "malformed-request": "The request is not HTTP the gateway can read; it was not processed.",
    "internal-error": "The gateway failed inside; nothing more was sent.",
    "rate-limited": "This client sends more, or more at once, than it may; retry later.",
    "method-not-allowed": "This address does not take this method.",
    "unsafe-xml": (
        "The XML holds a DTD, an entity, an encoding the gateway does not read, or is nested, "
        "long or large beyond its bounds; it was not processed."
    ),
    "invalid-document": (
        "The filtered XML does not validate against the agreement's profile, and the agreement "
        "says to refuse such a transfer."
    ),
    "bad-school-year": "The request names a school year that is not this one or the next.",
    "bad-xsd-version": "The request's xsdversie is not the version the agreement's profile is.",
    "las-fault": "The LAS answered a pull with a SOAP fault; it was passed on as one.",
    "no-source": "No source system in config/sources.yaml holds this school's data.",
}

PROBLEM_JSON = "application/problem+json"


class Refusal(Exception):
    status: ClassVar[int]
    outcome: ClassVar[str]

    def __init__(
        self, status: int, problem: str, detail: str, *, retry_after: int | None = None
    ) -> None:
        assert problem in PROBLEM_TYPES, problem
        super().__init__(detail)
        self.status_code = status
        self.problem = problem
        self.detail = detail
        self.retry_after = retry_after

    @property
    def title(self) -> str:
        return PROBLEM_TYPES[self.problem]


class Rejected(Refusal):
    outcome = "rejected"


class Blocked(Refusal):
    outcome = "blocked"


class UpstreamFailed(Refusal):
    outcome = "upstream_error"

    def __init__(
        self, status: int, problem: str, detail: str, *, upstream_status: int | None = None
    ) -> None:
        super().__init__(status, problem, detail)
        self.upstream_status = upstream_status  # what the supplier answered, if it answered


class LogUnavailable(Refusal):
    outcome = "unrecorded"

    def __init__(self, detail: str = "the transfer log cannot be written") -> None:
        super().__init__(503, "log-unavailable", detail)


def problem_response(
    status: int,
    problem: str,
    detail: str,
    transfer_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, object] = {
        "type": f"/problems/{problem}",
        "title": PROBLEM_TYPES[problem],
        "status": status,
        "detail": detail,
    }
    headers = dict(headers or {})
    if transfer_id is not None:
        body["transfer_id"] = transfer_id
        headers["X-Transfer-Id"] = transfer_id
    return Response(msgspec.json.encode(body), status, headers, media_type=PROBLEM_JSON)


def refusal_response(refusal: Refusal, transfer_id: str | None = None) -> Response:
    headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after else None
    return problem_response(
        refusal.status_code, refusal.problem, refusal.detail, transfer_id, headers
    )
