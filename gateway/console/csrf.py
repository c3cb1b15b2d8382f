"""Cross-site request forgery: every form carries a token that must equal the browser's cookie.

A double-submit token: a random value in an HttpOnly, SameSite=Strict cookie (``__Host-`` over
TLS, so a subdomain cannot plant one) and the same value in a hidden field of every form. A
POST whose field does not match, or that the browser says came from another site
(``Sec-Fetch-Site``, ``Origin``), is refused before its handler runs.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from gateway.console import sessions

COOKIE = "poortwachter_csrf"
FIELD = "csrf"


def token(request: Request) -> str:
    """The token for this page's forms: the browser's, or a new one set on the response."""
    existing = request.cookies.get(sessions.cookie_name(COOKIE, request))
    if existing and len(existing) >= 32:
        return existing
    new: str | None = getattr(request.state, "csrf_new", None)
    if new is None:
        new = secrets.token_urlsafe(32)
        request.state.csrf_new = new
    return new


def renew(request: Request) -> str:
    """A new token (at sign-in and sign-out), set on the response."""
    new = secrets.token_urlsafe(32)
    request.state.csrf_new = new
    return new


def finish(request: Request, response: Response) -> None:
    """Set the cookie of a token made while answering this request."""
    new = getattr(request.state, "csrf_new", None)
    if new is not None:
        sessions.set_cookie(response, request, COOKIE, new)


def same_site(request: Request) -> bool:
    """Whether the browser says the request comes from the console's own pages."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


def verify(request: Request, submitted: str | None) -> bool:
    """Whether a POST carries the browser's own token and comes from the console itself."""
    cookie = request.cookies.get(sessions.cookie_name(COOKIE, request))
    if not cookie or not submitted or not same_site(request):
        return False
    return hmac.compare_digest(cookie.encode(), submitted.encode())
