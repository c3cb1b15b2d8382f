"""Keys: who is calling. A source key belongs to one source system and a list of schools; an FG
key opens the review API; a supplier key lets one supplier (its client name is the supplier's
slug) pull the data of a list of schools through ``/uwlr/<supplier>/``. A key is shown once
when made; only its SHA-256 is stored (keys are 256-bit random, so a fast hash is enough)."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.access.models import ApiKey
from gateway.problems import LogUnavailable
from gateway.register.schools import SchoolScope

ROLES = ("source", "fg", "supplier")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True, slots=True)
class Client:
    key_id: int
    name: str
    role: str
    schools: SchoolScope
    certificate_sha256: str | None = None  # the client certificate the key must come with


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


async def create(
    client: str,
    role: str,
    schools: Iterable[str] = (),
    certificate_sha256: str | None = None,
) -> tuple[str, ApiKey]:
    """A new key for ``client``: returns the key itself (shown once) and its stored record.

    With ``certificate_sha256`` the key works only over TLS with that client certificate.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    codes = sorted({str(s) for s in SchoolScope.of(list(schools)).codes})
    if role == "source" and not codes:
        raise ValueError("a source key needs at least one school (--schools 99XX,98YY)")
    if role == "fg" and codes:
        raise ValueError("an FG key is not tied to schools")
    if role == "supplier" and not codes:
        raise ValueError("a supplier key needs at least one school (--schools 99XX,98YY)")
    if role == "supplier" and not _SLUG.fullmatch(client):
        raise ValueError("a supplier key's --client is the supplier's slug, e.g. basispoort")
    key = "pw_" + secrets.token_urlsafe(32)
    record = await ApiKey.create(
        client=client,
        role=role,
        schools=codes,
        key_hash=digest(key),
        prefix=key[:10],
        certificate_sha256=certificate_sha256,
    )
    return key, record


async def revoke(key_id: int) -> bool:
    updated = await ApiKey.filter(id=key_id, revoked_at=None).update(revoked_at=datetime.now(UTC))
    return bool(updated)


class KeyStore:
    """Looks keys up by hash, remembering answers for a few seconds (``key_cache_seconds``)."""

    def __init__(self, cache_seconds: float) -> None:
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Client]] = {}

    async def find(self, key: str) -> Client | None:
        hashed = digest(key)
        now = time.monotonic()
        cached = self._cache.get(hashed)
        if cached is not None and now - cached[0] < self._cache_seconds:
            return cached[1]
        try:
            record = await ApiKey.get_or_none(key_hash=hashed, revoked_at=None)
        except Exception as error:
            # The keys live beside the log: no database, no transfers (503, not a 401 or 500).
            raise LogUnavailable(f"the database does not answer: {type(error).__name__}") from None
        if record is None:
            self._cache.pop(hashed, None)
            return None
        client = Client(
            record.id,
            record.client,
            record.role,
            SchoolScope.of(record.schools),
            record.certificate_sha256,
        )
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[hashed] = (now, client)
        return client
