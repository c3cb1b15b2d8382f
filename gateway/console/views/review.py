"""Te beoordelen: the review queue, filtered by state and kind, and marking an item reviewed."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from gateway.console import forms, scan
from gateway.console.review import NEW_FIELD, REASONS, STATES, TRANSFER, VOLUME, NoteRefused
from gateway.console.site import Console
from gateway.console.transfers import PAGE_SIZE

SORTS = ("alle", *REASONS, NEW_FIELD, VOLUME)


def _choice(value: object, allowed: tuple[str, ...], default: str) -> str:
    return value if isinstance(value, str) and value in allowed else default


async def page(request: Request, console: Console) -> Response:
    error = None
    if request.method == "POST":
        form = await forms.read(request)
        kind, subject, note = (form.get(k) for k in ("soort", "onderwerp", "notitie"))
        back = form.get("terug")
        try:
            if not all(isinstance(v, str) for v in (kind, subject, note)):
                raise NoteRefused("Het formulier is niet compleet.")
            assert isinstance(kind, str) and isinstance(subject, str) and isinstance(note, str)
            await console.queue.mark(
                kind,
                subject,
                note,
                request.state.signed_in.user,
                console.today(),
                console.settings.zone,
            )
        except NoteRefused as refused:
            error = str(refused)
        else:
            home = console.url(request)
            target = console.url(request, "te-beoordelen")
            if isinstance(back, str) and back.startswith(home) and "\n" not in back:
                target = back.split("#", 1)[0]
            marked = target + ("&" if "?" in target else "?") + "gemarkeerd=1"
            return RedirectResponse(marked, status_code=303)
    params = request.query_params
    state = _choice(params.get("status"), STATES, "open")
    sort = _choice(params.get("soort"), SORTS, "alle")
    raw_page = params.get("pagina", "1")
    number = int(raw_page) if raw_page.isascii() and raw_page.isdigit() and int(raw_page) > 0 else 1
    await scan.catch_up(console.queue.special_paths, scan.PAGE_BATCH)
    counts = await console.queue.transfer_counts(state)
    reason = sort if sort in REASONS else None
    items = []
    if sort == "alle" or reason:
        items = await console.queue.transfers(state, reason, number)
    fields = await console.queue.new_fields(state)
    volumes = await console.queue.volumes(state, console.today(), console.settings.zone)
    total = getattr(counts, reason) if reason else counts.total
    return console.render(
        request,
        "review.html",
        {
            "page_id": "te-beoordelen",
            "state": state,
            "sort": sort,
            "states": STATES,
            "sorts": SORTS,
            "counts": counts,
            "items": items,
            "fields": fields if sort in ("alle", NEW_FIELD) else [],
            "volumes": volumes if sort in ("alle", VOLUME) else [],
            "field_count": len(fields),
            "volume_count": len(volumes),
            "number": number,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "error": error,
            "just_marked": "gemarkeerd" in params,
            "behind": await scan.behind(),
            "TRANSFER": TRANSFER,
            "NEW_FIELD": NEW_FIELD,
            "VOLUME": VOLUME,
            "lambda_page": lambda n: console.url(
                request, "te-beoordelen", status=state, soort=sort, pagina=str(n)
            ),
            "back": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        },
        400 if error else 200,
    )
