"""Step 1, authenticate: who is calling, and may they send for the school they name?"""

from __future__ import annotations

from collections.abc import Mapping

from gateway.keys import Client, KeyStore
from gateway.problems import Blocked, Rejected
from gateway.schools import School, SchoolCodeError


async def caller(headers: Mapping[str, str], keys: KeyStore, role: str) -> Client:
    """The client behind ``Authorization: Bearer <key>``; 401 without one, 403 for another role."""
    scheme, _, key = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Blocked(401, "unauthenticated", "send Authorization: Bearer <key>")
    client = await keys.find(key.strip())
    if client is None:
        raise Blocked(401, "unauthenticated", "the key is unknown or revoked")
    if client.role != role:
        raise Blocked(403, "forbidden", f"a {client.role} key cannot be used here")
    return client


def school(headers: Mapping[str, str], client: Client) -> School:
    """The school named by ``X-School``, if the client may act for it."""
    code = headers.get("x-school")
    if not code:
        raise Rejected(400, "missing-school", "name the school with X-School: <BRIN>")
    try:
        named = School.parse(code)
    except SchoolCodeError as error:
        raise Rejected(400, "missing-school", str(error)) from None
    if not client.schools.covers(named):
        raise Blocked(403, "school-not-allowed", f"{client.name} may not send data for {named}")
    return named
