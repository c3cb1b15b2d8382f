"""The console's forms: ``application/x-www-form-urlencoded`` bodies of at most ``MAX_BODY``.

Every console form is a handful of short text fields, so the standard library reads them; a
body that is larger, or of another type, is no form of ours.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

MAX_BODY = 64 * 1024


class NotAForm(ValueError):
    """A POST body that is not one of the console's forms."""


async def read(request: Request) -> dict[str, str]:
    """The fields of this request's form (the first value of each), read once per request."""
    cached: dict[str, str] | None = getattr(request.state, "form", None)
    if cached is not None:
        return cached
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise NotAForm("not a form")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise NotAForm("form too large")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        raise NotAForm("form unreadable") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    request.state.form = fields
    return fields
