"""Console accounts: argon2id hashes, sign-in, refusals on record, and the growing wait."""

from __future__ import annotations

from typing import Any

import pytest

from gateway import database
from gateway.access.models import LoginEvent, LoginThrottle, User
from gateway.access.users import AccountError, Accounts, Throttle, normal_name


@pytest.fixture
async def db(database_url: str) -> Any:
    async with database.opened(database_url):
        yield


def test_the_wait_doubles_after_the_free_tries() -> None:
    """Refusals within the free tries cost nothing; after them the wait doubles, up to a cap."""
    throttle = Throttle(free=3, base=1.0, cap=10.0)
    assert [throttle.wait_after(n) for n in range(8)] == [0, 0, 0, 1, 2, 4, 8, 10]


def test_names_are_compared_case_folded_and_normalised() -> None:
    """``FG@Opron.nl `` and ``fg@opron.nl`` are one name (NFKC, case-folded, trimmed)."""
    assert normal_name(" FG@Opron.nl ") == normal_name("\uff46\uff47@opron.nl") == "fg@opron.nl"


async def test_only_the_hash_is_stored(db: None) -> None:
    """The stored password is an argon2id hash, not the password."""
    user = await Accounts().create("FG@opron.nl", "fg", "een lang wachtwoord")
    stored = await User.get(id=user.id)
    assert stored.name == "fg@opron.nl"
    assert stored.password_hash.startswith("$argon2id$")
    assert "een lang wachtwoord" not in stored.password_hash


@pytest.mark.parametrize(
    ("name", "role", "password"),
    [
        ("fg", "source", "een lang wachtwoord"),
        ("fg", "fg", "kort"),
        ("f g", "fg", "x" * 12),
        ("fg", "fg", " met spatie vooraan"),
    ],
)
async def test_accounts_that_cannot_be(db: None, name: str, role: str, password: str) -> None:
    """No source role, short password, space in the name or around the password."""
    with pytest.raises(AccountError):
        await Accounts().create(name, role, password)


async def test_a_name_is_taken_once(db: None) -> None:
    """Two accounts cannot share a name, whatever its case."""
    await Accounts().create("fg@opron.nl", "fg", "een lang wachtwoord")
    with pytest.raises(AccountError):
        await Accounts().create("FG@OPRON.NL", "admin", "een ander wachtwoord")


async def test_unknown_and_known_names_are_throttled_alike(db: None) -> None:
    """A name no account has gets the same refusals and waits as a real one, and no throttle
    key or event holds the name typed."""
    accounts = Accounts(by_name=Throttle(free=1, base=30.0))
    await accounts.create("fg@opron.nl", "fg", "een lang wachtwoord")
    known = [await accounts.sign_in("fg@opron.nl", "fout wachtwoord", None) for _ in range(2)]
    unknown = [await accounts.sign_in("niemand", "fout wachtwoord", None) for _ in range(2)]
    assert [(a.user, a.throttled) for a in known] == [(a.user, a.throttled) for a in unknown]
    assert [round(a.wait_seconds) for a in known] == [30, 30]
    assert [round(a.wait_seconds) for a in unknown] == [30, 30]
    assert not any("niemand" in t.key for t in await LoginThrottle.all())
    assert [e.event for e in await LoginEvent.all().order_by("id")] == [
        "login_failed",
        "login_throttled",
        "login_failed",
        "login_throttled",
    ]


async def test_a_disabled_account_cannot_sign_in(db: None) -> None:
    """Once disabled, the right password no longer signs in."""
    accounts = Accounts()
    await accounts.create("fg@opron.nl", "fg", "een lang wachtwoord")
    assert (await accounts.sign_in("fg@opron.nl", "een lang wachtwoord", None)).user is not None
    assert await accounts.disable("fg@opron.nl")
    assert (await accounts.sign_in("fg@opron.nl", "een lang wachtwoord", None)).user is None


async def test_a_success_clears_the_name_throttle(db: None) -> None:
    """A right password clears the refusals counted for that name."""
    accounts = Accounts()
    await accounts.create("fg@opron.nl", "fg", "een lang wachtwoord")
    await accounts.sign_in("fg@opron.nl", "fout wachtwoord", "127.0.0.1")
    assert await LoginThrottle.all().count() == 2  # the name and the address
    assert (await accounts.sign_in("fg@opron.nl", "een lang wachtwoord", "127.0.0.1")).user
    assert await LoginThrottle.all().count() == 1  # the address keeps its count
