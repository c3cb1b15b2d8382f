"""The console's one access check, its cookies, CSRF and security headers, over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.access.models import LoginEvent
from gateway.console.headers import POLICY
from gateway.console.models import ConsoleSession
from tests.console.conftest import FG_NAME, FG_PASSWORD, Console, csrf_token

PAGES = [
    "/fg/",
    "/fg/verstrekkingen",
    "/fg/te-beoordelen",
    "/fg/inzageverzoek",
    "/fg/register",
    "/fg/integriteit",
    "/fg/verstrekkingen.csv",
    "/fg/verstrekkingen.json",
]


async def test_every_page_asks_to_sign_in_first(console: Console) -> None:
    """Without a session every console page redirects to the sign-in page, naming itself."""
    async with console.client() as client:
        for page in PAGES:
            response = await client.get(page)
            assert response.status_code == 303, page
            assert response.headers["location"].startswith("/fg/login?volgende=")


async def test_api_keys_open_nothing(console: Console) -> None:
    """Neither a source key nor an FG API key opens a console page: only a session does."""
    gateway = console.gateway
    async with console.client() as client:
        for key in (gateway.source_key, gateway.fg_key):
            response = await client.get("/fg/", headers={"Authorization": f"Bearer {key}"})
            assert response.status_code == 303


async def test_sign_in_sets_a_strict_http_only_cookie(console: Console) -> None:
    """A right password gives a session cookie that is HttpOnly and SameSite=Strict, and the
    pages then answer."""
    async with console.client() as client:
        response = await console.sign_in(client)
        assert response.status_code == 303
        cookie = next(c for c in response.headers.get_list("set-cookie") if "poortwachter_fg=" in c)
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie  # plain HTTP on loopback; over TLS it is __Host- and Secure
        for page in PAGES:
            assert (await client.get(page)).status_code == 200, page
    events = [e.event for e in await LoginEvent.all().order_by("id")]
    assert events == ["login"]


async def test_a_wrong_password_and_an_unknown_name_read_the_same(console: Console) -> None:
    """A wrong password and a name no account has get the same answer, both are on record,
    and neither record names what was typed."""
    async with console.client() as client:
        wrong = await console.sign_in(client, password="niet het wachtwoord")
        unknown = await console.sign_in(client, name="niemand@opron.nl")
    assert wrong.status_code == unknown.status_code == 401
    assert "Naam of wachtwoord klopt niet." in wrong.text
    assert wrong.text.replace(await _token(wrong.text), "") == unknown.text.replace(
        await _token(unknown.text), ""
    )
    assert "niemand" not in unknown.text
    events = await LoginEvent.all().order_by("id")
    assert [e.event for e in events] == ["login_failed", "login_failed"]
    assert events[0].user_id is not None and events[1].user_id is None


async def _token(text: str) -> str:
    import re

    found = re.search(r'name="csrf" value="([^"]+)"', text)
    return found.group(1) if found else ""


async def test_refusals_make_the_next_try_wait(console: Console) -> None:
    """After three refusals even the right password waits; once the wait has passed it works."""
    import asyncio

    async with console.client() as client:
        for _ in range(3):
            await console.sign_in(client, password="niet het wachtwoord")
        waiting = await console.sign_in(client)
        assert waiting.status_code == 401
        assert "Te veel mislukte pogingen" in waiting.text
        await asyncio.sleep(1.1)
        assert (await console.sign_in(client)).status_code == 303
    events = [e.event for e in await LoginEvent.all().order_by("id")]
    assert events == ["login_failed"] * 3 + ["login_throttled", "login"]


async def test_a_form_without_its_token_is_refused(console: Console) -> None:
    """A POST without the CSRF token, with another one, or from another site does nothing."""
    async with console.client() as client:
        await client.get("/fg/login")
        data = {"naam": FG_NAME, "wachtwoord": FG_PASSWORD}
        assert (await client.post("/fg/login", data=data)).status_code == 403
        assert (await client.post("/fg/login", data={**data, "csrf": "x" * 43})).status_code == 403
        token = await csrf_token(client, "/fg/login")
        foreign = await client.post(
            "/fg/login", data={**data, "csrf": token}, headers={"Origin": "https://evil.example"}
        )
        assert foreign.status_code == 403
        cross = await client.post(
            "/fg/login", data={**data, "csrf": token}, headers={"Sec-Fetch-Site": "cross-site"}
        )
        assert cross.status_code == 403
    assert await LoginEvent.all().count() == 0


async def test_sign_out_ends_the_session(console: Console) -> None:
    """Signing out ends the session in the database and is on record; the old cookie opens
    nothing after it."""
    async with console.signed_in() as client:
        cookie = client.cookies.get("poortwachter_fg")
        token = await csrf_token(client, "/fg/")
        response = await client.post("/fg/uitloggen", data={"csrf": token})
        assert response.status_code == 303 and "afgemeld" in response.headers["location"]
        client.cookies.set("poortwachter_fg", cookie or "")
        assert (await client.get("/fg/")).status_code == 303
    assert (await ConsoleSession.get()).ended_at is not None
    assert [e.event for e in await LoginEvent.all().order_by("id")] == ["login", "logout"]


async def test_an_idle_session_expires(console: Console) -> None:
    """A session unused for longer than the idle time ends, and its expiry is on record."""
    async with console.signed_in() as client:
        idle = timedelta(minutes=console.gateway.settings.console_idle_minutes + 1)
        await ConsoleSession.all().update(last_seen_at=datetime.now(UTC) - idle)
        assert (await client.get("/fg/")).status_code == 303
    assert [e.event for e in await LoginEvent.all().order_by("id")] == ["login", "session_expired"]


async def test_security_headers_on_pages_files_and_errors(console: Console) -> None:
    """Pages, static files, not-found pages and the sign-in page carry the security headers."""
    async with console.signed_in() as client:
        for path in ("/fg/", "/fg/static/console.css", "/fg/bestaat-niet", "/fg/login"):
            response = await client.get(path)
            assert response.headers["content-security-policy"] == POLICY, path
            assert "frame-ancestors 'none'" in POLICY and "unsafe-inline" not in POLICY
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "same-origin"
        page = await client.get("/fg/")
        assert page.headers["cache-control"] == "no-store"
        assert "style=" not in page.text and "<script>" not in page.text
        assert "http://" not in page.text and "https://" not in page.text


async def test_a_disabled_account_loses_its_session(console: Console) -> None:
    """Disabling an account ends what its open session can see at once."""
    async with console.signed_in() as client:
        await console_accounts().disable(FG_NAME)
        assert (await client.get("/fg/")).status_code == 303


def console_accounts():  # type: ignore[no-untyped-def]
    from gateway.access.users import Accounts

    return Accounts()
