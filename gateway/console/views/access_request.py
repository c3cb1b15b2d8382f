"""Inzageverzoek: every transfer that held one pupil, and the answer for the parent, as a
printable page and as a PDF to send.

The pupil's key is asked by POST (the PDF too), so that it lands in no address, browser history
or access log, and it is not written anywhere by the console; the PDF's file name holds only
the date.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from gateway.console import forms, letter
from gateway.console.site import Console
from gateway.console.sources import Pupil, SubjectIndex, SubjectTransfer

BAD_KEY = (
    "Vul een leerlingkey in (zoals LL-000123) of een ECK iD "
    "(https://ketenid.nl/201703/ gevolgd door 128 tekens)."
)


async def _pupil(request: Request) -> Pupil | None:
    text = (await forms.read(request)).get("leerling")
    return Pupil.parse(text) if isinstance(text, str) else None


def _letter(console: Console, found: list[SubjectTransfer]) -> letter.Letter:
    today = console.today()
    names = {a.supplier: a.supplier_name for a in console.sources.register.agreements(today)}
    return letter.compose(found, console.sources.organisation, today, console.settings.zone, names)


async def page(request: Request, console: Console) -> Response:
    index = console.sources.subjects
    context: dict[str, object] = {
        "page_id": "inzageverzoek",
        "connected": index is not None,
        "organisation": console.sources.organisation,
        "pupil": None,
        "letter": None,
        "error": None,
    }
    if request.method == "POST":
        pupil = await _pupil(request)
        if pupil is None:
            context["error"] = BAD_KEY
            return console.render(request, "access_request.html", context, 400)
        context["pupil"] = pupil
        if index is not None:
            context["letter"] = _letter(console, await index.transfers_for(pupil))
    return console.render(request, "access_request.html", context)


async def as_pdf(request: Request, console: Console) -> Response:
    """The same letter as a PDF download (POST, from the button under the letter)."""
    index: SubjectIndex | None = console.sources.subjects
    if index is None:
        return console.problem(
            request,
            404,
            "Zoeken op leerling kan nog niet",
            "Deze gateway houdt nog niet per leerling bij in welke verstrekkingen die zat.",
        )
    pupil = await _pupil(request)
    if pupil is None:
        return console.problem(request, 400, "Geen leerling", BAD_KEY)
    answer = _letter(console, await index.transfers_for(pupil))
    body = await run_in_threadpool(letter.pdf, answer)  # the loop keeps forwarding meanwhile
    name = f"antwoord-inzageverzoek-{console.today().isoformat()}.pdf"
    return Response(
        body,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )
