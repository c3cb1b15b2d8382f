"""Inzageverzoek: every transfer that held one pupil, and a printable answer for the parent.

The pupil's key is asked by POST, so that it lands in no address, browser history or access
log, and it is not written anywhere by the console.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gateway.console import forms
from gateway.console.site import Console
from gateway.console.sources import Pupil


async def page(request: Request, console: Console) -> Response:
    index = console.sources.subjects
    context: dict[str, object] = {
        "page_id": "inzageverzoek",
        "connected": index is not None,
        "organisation": console.sources.organisation,
        "pupil": None,
        "found": None,
        "error": None,
        "today": console.today(),
    }
    if request.method == "POST":
        form = await forms.read(request)
        text = form.get("leerling")
        pupil = Pupil.parse(text) if isinstance(text, str) else None
        if pupil is None:
            context["error"] = (
                "Vul een leerlingkey in (zoals LL-000123) of een ECK iD "
                "(https://ketenid.nl/201703/ gevolgd door 128 tekens)."
            )
            return console.render(request, "access_request.html", context, 400)
        context["pupil"] = pupil
        if index is not None:
            context["found"] = await index.transfers_for(pupil)
    return console.render(request, "access_request.html", context)
