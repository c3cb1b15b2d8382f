"""Console sessions: a random token in an HttpOnly, SameSite=Strict cookie (Secure over TLS),
its SHA-256 in the database, ended by signing out, by ``idle`` time unused, or by ``lifetime``.

Over TLS the cookie is named with the ``__Host-`` prefix, which browsers accept only with
Secure, path ``/`` and no domain, so no other site or subdomain can set it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response

from gateway.access import users
from gateway.access.models import User
from gateway.console.models import ConsoleSession

TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def cookie_name(base: str, request: Request) -> str:
    return f"__Host-{base}" if secure(request) else base


def set_cookie(response: Response, request: Request, base: str, value: str) -> None:
    response.set_cookie(
        cookie_name(base, request),
        value,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure(request),
    )


def clear_cookie(response: Response, request: Request, base: str) -> None:
    response.delete_cookie(
        cookie_name(base, request),
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure(request),
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: User
    token_hash: str


class Sessions:
    COOKIE = "poortwachter_fg"

    def __init__(self, idle: timedelta, lifetime: timedelta) -> None:
        self.idle = idle
        self.lifetime = lifetime

    async def open(self, user: User, address: str | None) -> str:
        """A new session for ``user``; returns the token for the cookie."""
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        await ConsoleSession.create(
            token_hash=_digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            address=address,
        )
        return token

    async def find(self, request: Request) -> SignedIn | None:
        """The signed-in account of this request, or None; an expired session is ended here."""
        token = request.cookies.get(cookie_name(self.COOKIE, request))
        if not token:
            return None
        hashed = _digest(token)
        session = await ConsoleSession.get_or_none(token_hash=hashed, ended_at=None)
        if session is None:
            return None
        now = datetime.now(UTC)
        if now - session.last_seen_at > self.idle or now - session.created_at > self.lifetime:
            await ConsoleSession.filter(token_hash=hashed).update(ended_at=now)
            await users.record(session.user_id, "session_expired", _address(request))
            return None
        user = await User.get_or_none(id=session.user_id, disabled_at=None)
        if user is None:
            return None
        if now - session.last_seen_at > TOUCH_EVERY:
            await ConsoleSession.filter(token_hash=hashed).update(last_seen_at=now)
        return SignedIn(user, hashed)

    async def close(self, signed_in: SignedIn, request: Request) -> None:
        now = datetime.now(UTC)
        await ConsoleSession.filter(token_hash=signed_in.token_hash).update(ended_at=now)
        await users.record(signed_in.user.id, "logout", _address(request))


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


address = _address
