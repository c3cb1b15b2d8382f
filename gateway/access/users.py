"""Accounts of people who use the FG console: creating them, and signing in.

Passwords are hashed with argon2id (argon2-cffi, RFC 9106's second recommended setting: 3
passes over 64 MiB, 4 lanes), about 115 ms a try on the development machine, on a thread of its
own so that transfers on the event loop do not wait for it, and at most two at a time so that a
flood of sign-ins cannot take every core (docs/console.md).

Refused sign-ins make the next one wait, longer each time, per name and per address, whether
or not an account has that name; an unknown name costs the same hash as a known one. Every
sign-in and every refusal is on record (``LoginEvent``).
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.exceptions import IntegrityError

from gateway.access.models import LoginEvent, LoginThrottle, User

ROLES = ("fg", "admin")
MIN_PASSWORD = 12  # characters; a phrase of three or four words is easier and longer
FORGET_AFTER = timedelta(days=1)  # refusals this long ago no longer count


class AccountError(ValueError):
    """A name, role or password the account cannot have; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class Throttle:
    """How refusals in a row turn into waiting: ``free`` go unpunished, then the wait doubles
    from ``base`` seconds up to ``cap``."""

    free: int
    base: float = 1.0
    cap: float = 900.0

    def wait_after(self, failures: int) -> float:
        """Seconds the next try must wait after ``failures`` refusals in a row."""
        if failures < self.free:
            return 0.0
        return min(self.cap, self.base * 2.0 ** (failures - self.free))


BY_NAME = Throttle(free=3)
BY_ADDRESS = Throttle(free=20)  # one office behind one address is many people


@dataclass(frozen=True, slots=True)
class Attempt:
    """The answer to a sign-in: the account, or None and how long the next try must wait."""

    user: User | None
    wait_seconds: float = 0.0
    throttled: bool = False  # refused unheard: an earlier refusal's wait has not passed


def normal_name(name: str) -> str:
    """The sign-in name as stored: NFKC, case-folded, without surrounding space."""
    return unicodedata.normalize("NFKC", name).strip().casefold()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password has at least {MIN_PASSWORD} characters")
    if password != password.strip():
        raise AccountError("a password does not begin or end with a space")


class Accounts:
    """Creates accounts and answers sign-ins; one per process."""

    def __init__(
        self,
        hasher: PasswordHasher | None = None,
        by_name: Throttle = BY_NAME,
        by_address: Throttle = BY_ADDRESS,
        concurrent_hashes: int = 2,
    ) -> None:
        self._hasher = hasher or PasswordHasher()
        self._by_name = by_name
        self._by_address = by_address
        self._slots = asyncio.Semaphore(concurrent_hashes)
        self._dummy: str | None = None

    async def create(self, name: str, role: str, password: str) -> User:
        stored = normal_name(name)
        if not stored or len(stored) > 100 or any(c.isspace() for c in stored):
            raise AccountError("a name is 1 to 100 characters without spaces")
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}")
        check_password(password)
        if await User.exists(name=stored):
            raise AccountError("an account with this name exists already")
        return await User.create(name=stored, role=role, password_hash=await self._hash(password))

    async def set_password(self, name: str, password: str) -> bool:
        check_password(password)
        hashed = await self._hash(password)
        return bool(await User.filter(name=normal_name(name)).update(password_hash=hashed))

    async def disable(self, name: str) -> bool:
        now = datetime.now(UTC)
        return bool(
            await User.filter(name=normal_name(name), disabled_at=None).update(disabled_at=now)
        )

    async def sign_in(self, name: str, password: str, address: str | None) -> Attempt:
        """The account ``name`` if ``password`` is its own and no earlier refusal's wait is
        running; either way the attempt is on record.

        The wait is checked, the hash compared and a refusal counted while holding one of the
        hashing slots, so that tries sent at once are heard one after another, each seeing the
        wait the one before it caused.
        """
        stored = normal_name(name)
        keys = {_key("name", stored): self._by_name}
        if address:
            keys[_key("address", address)] = self._by_address
        user = await User.get_or_none(name=stored, disabled_at=None) if stored else None
        if self._dummy is None:
            self._dummy = await self._hash(secrets.token_urlsafe(16))
        async with self._slots:
            now = datetime.now(UTC)
            locks = await LoginThrottle.filter(key__in=list(keys), locked_until__gt=now)
            if locks:
                wait = max(
                    (lock.locked_until - now).total_seconds() for lock in locks if lock.locked_until
                )
                attempt = Attempt(None, wait, throttled=True)
            elif user is not None and await self._verify(user.password_hash, password):
                await LoginThrottle.filter(key=_key("name", stored)).delete()
                attempt = Attempt(user)
            else:
                if user is None:
                    await self._verify(self._dummy, "\x00" + password)  # as long, never a match
                wait = 0.0
                for key, throttle in keys.items():
                    wait = max(wait, await _refused(key, throttle, now))
                attempt = Attempt(None, wait)
        event = (
            "login" if attempt.user else "login_throttled" if attempt.throttled else "login_failed"
        )
        await _record(user.id if user else None, event, address)
        if attempt.user is not None and self._hasher.check_needs_rehash(attempt.user.password_hash):
            attempt.user.password_hash = await self._hash(password)
            await attempt.user.save(update_fields=["password_hash"])
        return attempt

    async def _hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def _verify(self, hashed: str, password: str) -> bool:
        """Whether ``password`` matches ``hashed`` (the caller holds a hashing slot)."""
        try:
            return await asyncio.to_thread(self._hasher.verify, hashed, password)
        except (VerificationError, InvalidHashError):
            return False


def _key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


async def _refused(key: str, throttle: Throttle, now: datetime) -> float:
    """Count one more refusal for ``key``; returns the seconds the next try must wait."""
    row = await LoginThrottle.get_or_none(key=key)
    if row is None:
        try:
            row = await LoginThrottle.create(key=key, failures=0, last_failed_at=now)
        except IntegrityError:  # another refusal for the same key at the same moment
            row = await LoginThrottle.get(key=key)
    failures = 1 if now - row.last_failed_at > FORGET_AFTER else row.failures + 1
    wait = throttle.wait_after(failures)
    locked_until = now + timedelta(seconds=wait) if wait else None
    await LoginThrottle.filter(key=key).update(
        failures=failures, last_failed_at=now, locked_until=locked_until
    )
    return wait


async def record(user_id: int | None, event: str, address: str | None) -> None:
    """Put a console access event on record (sign-out, expiry)."""
    await _record(user_id, event, address)


async def _record(user_id: int | None, event: str, address: str | None) -> None:
    await LoginEvent.create(at=datetime.now(UTC), user_id=user_id, event=event, address=address)
