"""The FG's access-request API: every transfer that held one pupil.

``GET /api/subjects/{identifier}`` as the issue names it, and ``POST /api/subjects`` with the
identifier in a JSON body, which keeps it out of every address a proxy, a load balancer or a
browser writes down. Neither the gateway's log nor its answers ever hold the identifier: a
refusal says what was wrong with it, never what it was, and a failure is logged without the
request's path (docs/access-requests.md says what to do about a proxy's access log).
"""

from __future__ import annotations

import logging
from datetime import UTC
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from gateway.access.keys import KeyStore
from gateway.access.tls import client_certificate
from gateway.evidence.log import TransferLog
from gateway.evidence.subject_index import Held, transfers_holding
from gateway.evidence.subjects import SubjectKey
from gateway.problems import (
    LogUnavailable,
    Refusal,
    Rejected,
    problem_response,
    refusal_response,
)
from gateway.register.schools import School, SchoolCodeError
from gateway.transfer import authenticate

logger = logging.getLogger("gateway.api")
_encoder = msgspec.json.Encoder()
MAX_IDENTIFIER = 300  # an ECK iD is 153 characters
MAX_REQUEST = 4096
# Whatever a response says about a pupil stays out of caches along the way.
NO_STORE = {"Cache-Control": "no-store"}


class _Asked(msgspec.Struct, forbid_unknown_fields=True):
    identifier: str
    school: str | None = None


def item(held: Held) -> dict[str, Any]:
    return {
        "transfer_id": held.transfer_id,
        "time": held.started_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "supplier": held.supplier,
        "school": held.school,
        "agreement_reference": held.agreement_reference,
        "agreement_version": held.agreement_version,
        "outcome": held.outcome,
        "fields": list(held.fields),
        "identified_by": list(held.identified_by),
    }


def _identifier(text: str) -> str:
    stripped = text.strip()
    if not 0 < len(stripped) <= MAX_IDENTIFIER or not stripped.isprintable():
        raise Rejected(
            400, "bad-filter", f"identifier must be 1 to {MAX_IDENTIFIER} printable characters"
        )
    return stripped


def _school(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return str(School.parse(text))
    except SchoolCodeError:
        raise Rejected(400, "bad-filter", "school is not a BRIN (99XX or 99XX01)") from None


async def by_path(request: Request) -> Response:
    """``GET /api/subjects/{identifier}[?school=99XX]``."""

    async def asked() -> tuple[str, str | None]:
        params = request.query_params
        if set(params) - {"school"} or len(params.getlist("school")) > 1:
            raise Rejected(400, "bad-filter", "the only parameter is school, at most once")
        return request.path_params["identifier"], params.get("school")

    return await _answer(request, asked)


async def by_body(request: Request) -> Response:
    """``POST /api/subjects`` with ``{"identifier": ..., "school": ...}``."""

    async def asked() -> tuple[str, str | None]:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_REQUEST:
                raise Rejected(413, "body-too-large", f"the request is over {MAX_REQUEST} bytes")
        try:
            parsed = msgspec.json.decode(body, type=_Asked)
        except (msgspec.DecodeError, UnicodeDecodeError):
            # msgspec's message can quote the body: say it in the gateway's own words.
            raise Rejected(
                400, "malformed-body", 'send {"identifier": "...", "school": "99XX"}'
            ) from None
        return parsed.identifier, parsed.school

    return await _answer(request, asked)


async def _answer(request: Request, asked: Any) -> Response:
    keys: KeyStore = request.app.state.gateway.keys
    log: TransferLog = request.app.state.gateway.log
    key: SubjectKey | None = request.app.state.gateway.subjects
    try:
        await authenticate.caller(request.headers, client_certificate(request.scope), keys, "fg")
        text, school = await asked()
        identifier, school = _identifier(text), _school(school)
        if key is None:
            raise LogUnavailable("the subject index is not open")
        await log.flush()  # what this process has queued is on record before the FG reads
        try:
            found = await transfers_holding(key, identifier, school)
        except Exception:
            # Not logger.exception: a driver's message could quote the statement's values.
            logger.error("the subject index cannot be read")
            raise LogUnavailable("the subject index cannot be read") from None
    except Refusal as refusal:
        response = refusal_response(refusal)
        response.headers.update(NO_STORE)
        return response
    except Exception as error:
        # Handled here, not by the app's handler for errors: that one logs the request's path,
        # which holds the identifier.
        logger.error("the access-request API failed: %s", type(error).__name__)
        return problem_response(500, "internal-error", "the gateway failed", headers=NO_STORE)
    body = {"items": [item(held) for held in found]}
    return Response(_encoder.encode(body), media_type="application/json", headers=NO_STORE)
