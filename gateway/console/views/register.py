"""Register: the agreements with their state, and the article-30 export where it is kept."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gateway.console.site import Console


async def page(request: Request, console: Console) -> Response:
    today = console.today()
    register = console.sources.register
    return console.render(
        request,
        "register.html",
        {
            "page_id": "register",
            "agreements": register.agreements(today),
            "export": register.article30(today) is not None,
            "today": today,
        },
    )


async def article30(request: Request, console: Console) -> Response:
    export = console.sources.register.article30(console.today())
    if export is None:
        return console.problem(
            request,
            404,
            "Nog geen artikel-30-export",
            "Deze gateway houdt het verwerkingsregister (AVG artikel 30) nog niet bij; "
            "de export verschijnt hier zodra dat zo is.",
        )
    return Response(
        export.body,
        media_type=export.media_type,
        headers={"content-disposition": f'attachment; filename="{export.filename}"'},
    )
