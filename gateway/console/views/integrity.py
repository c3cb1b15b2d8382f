"""Integriteit: the latest signed checkpoint of the log, and when and how it was last verified."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gateway.console.site import Console


async def page(request: Request, console: Console) -> Response:
    source = console.sources.integrity
    checkpoint = await source.latest_checkpoint() if source else None
    verification = await source.last_verification() if source else None
    return console.render(
        request,
        "integrity.html",
        {
            "page_id": "integriteit",
            "connected": source is not None,
            "checkpoint": checkpoint,
            "verification": verification,
        },
    )
