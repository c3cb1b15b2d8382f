"""Step 1, authenticate: who is calling, and may they send for the school they name?"""

from __future__ import annotations

from collections.abc import Mapping

from gateway.access.keys import Client, KeyStore
from gateway.problems import Blocked, Rejected
from gateway.register.schools import School, SchoolCodeError


async def caller(
    headers: Mapping[str, str], certificate: str | None, keys: KeyStore, role: str
) -> Client:
    """The client behind ``Authorization: Bearer <key>``; 401 without one, 403 for another role.

    ``certificate`` is the SHA-256 of the connection's client certificate, if it showed one; a
    key bound to a certificate is refused without exactly that one.
    """
    scheme, _, key = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Blocked(401, "unauthenticated", "send Authorization: Bearer <key>")
    client = await keys.find(key.strip())
    if client is None:
        raise Blocked(401, "unauthenticated", "the key is unknown or revoked")
    if client.certificate_sha256 is not None and certificate != client.certificate_sha256:
        raise Blocked(
            401, "unauthenticated", "this key is bound to a client certificate; connect with it"
        )
    if client.role != role:
        raise Blocked(403, "forbidden", f"a {client.role} key cannot be used here")
    return client


def school(headers: Mapping[str, str]) -> School:
    """The school named by ``X-School``."""
    code = headers.get("x-school")
    if not code:
        raise Rejected(400, "missing-school", "name the school with X-School: <BRIN>")
    try:
        return School.parse(code)
    except SchoolCodeError:
        # Said in the gateway's words: the header is the caller's text and could hold anything.
        raise Rejected(
            400, "missing-school", "X-School is not a BRIN (99XX), with or without a dependance"
        ) from None


def may_send_for(client: Client, school: School) -> None:
    """Blocked unless the client's key covers ``school``."""
    if not client.schools.covers(school):
        raise Blocked(403, "school-not-allowed", f"{client.name} may not send data for {school}")
