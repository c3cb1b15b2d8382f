"""Signing in and out. One message for every refusal, whatever was wrong."""

from __future__ import annotations

import math

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from gateway.console import csrf, forms, sessions
from gateway.console.site import Console

REFUSED = "Naam of wachtwoord klopt niet."


def _next(console: Console, request: Request, value: object) -> str:
    """Where to go after signing in: a console page, never another site."""
    home = console.url(request)
    if (
        isinstance(value, str)
        and value.startswith(home)
        and not value.startswith("//")
        and not any(c in value for c in "\\\r\n")
    ):
        return value
    return home


async def page(request: Request, console: Console) -> Response:
    target = _next(console, request, request.query_params.get("volgende"))
    if request.method == "GET":
        if request.state.signed_in is not None:
            return RedirectResponse(target, status_code=303)
        notice = None
        if "afgemeld" in request.query_params:
            notice = "U bent afgemeld."
        return console.render(request, "login.html", {"target": target, "notice": notice})
    form = await forms.read(request)
    name, password = form.get("naam"), form.get("wachtwoord")
    target = _next(console, request, form.get("volgende"))
    if not isinstance(name, str) or not isinstance(password, str) or not name or not password:
        message = "Vul uw naam en wachtwoord in."
        return console.render(request, "login.html", {"target": target, "error": message}, 400)
    attempt = await console.accounts.sign_in(name, password, sessions.address(request))
    if attempt.user is None:
        wait = math.ceil(attempt.wait_seconds)
        if attempt.throttled:
            message = f"Te veel mislukte pogingen. Probeer het over {_seconds(wait)} opnieuw."
        elif wait:
            message = f"{REFUSED} U kunt het over {_seconds(wait)} opnieuw proberen."
        else:
            message = REFUSED
        context = {"target": target, "error": message}  # what was typed is not shown again
        return console.render(request, "login.html", context, 401)
    token = await console.sessions.open(attempt.user, sessions.address(request))
    response = RedirectResponse(target, status_code=303)
    sessions.set_cookie(response, request, sessions.Sessions.COOKIE, token)
    csrf.renew(request)
    return response


async def sign_out(request: Request, console: Console) -> Response:
    signed_in = request.state.signed_in
    await console.sessions.close(signed_in, request)
    response = RedirectResponse(console.url(request, "login", afgemeld="1"), status_code=303)
    sessions.clear_cookie(response, request, sessions.Sessions.COOKIE)
    csrf.renew(request)
    return response


def _seconds(count: int) -> str:
    if count < 120:
        return f"{count} seconde" + ("" if count == 1 else "n")
    return f"{math.ceil(count / 60)} minuten"
