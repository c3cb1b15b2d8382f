"""Verstrekkingen: the transfer log, filtered from the address, as a page, CSV or JSON; and one
transfer in full."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from gateway.console import filters, renderers, transfers
from gateway.console.filters import FilterError, TransferFilter
from gateway.console.site import Console

OUTCOME_ORDER = ("forwarded", "blocked", "rejected", "upstream_error", "pending", "unknown")


def _selected(request: Request) -> tuple[TransferFilter, list[str]]:
    try:
        return filters.parse(request.query_params), []
    except FilterError as error:
        return TransferFilter(), error.messages


async def listing(request: Request, console: Console) -> Response:
    zone = console.settings.zone
    selected, problems = _selected(request)
    context: dict[str, object] = {
        "page_id": "verstrekkingen",
        "selected": selected,
        "problems": problems,
        "suppliers": console.suppliers,
        "outcomes": OUTCOME_ORDER,
        "roles": tuple(filters.ROLE_COLUMNS),
        "query": request.url.query,
    }
    if problems:
        return console.render(request, "transfers.html", context, 400)
    context["page"], context["facets"] = await transfers.page_and_facets(selected, zone)
    context["facet_labels"] = transfers.FACETS
    context["lambda_page"] = lambda n: console.url(
        request, "verstrekkingen", **selected.query(pagina=n)
    )
    return console.render(request, "transfers.html", context)


async def as_csv(request: Request, console: Console) -> Response:
    selected, problems = _selected(request)
    if problems:
        return console.problem(request, 400, "Onbruikbaar filter", " ".join(problems))
    chunks = transfers.stream(selected, console.settings.zone)
    return StreamingResponse(
        renderers.csv_lines(chunks, console.settings.zone),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="verstrekkingen.csv"'},
    )


async def as_json(request: Request, console: Console) -> Response:
    selected, problems = _selected(request)
    if problems:
        return console.problem(request, 400, "Onbruikbaar filter", " ".join(problems))
    chunks = transfers.stream(selected, console.settings.zone)
    return StreamingResponse(
        renderers.json_lines(chunks, console.settings.zone, selected.query(pagina=None)),
        media_type="application/json",
    )


async def detail(request: Request, console: Console) -> Response:
    record = await transfers.one(request.path_params["transfer_id"])
    if record is None:
        return console.problem(
            request,
            404,
            "Verstrekking niet gevonden",
            "Het log heeft geen verstrekking met dit nummer.",
        )
    agreement = None
    if record.agreement_reference:
        agreement = next(
            (
                a
                for a in console.sources.register.agreements(console.today())
                if a.reference == record.agreement_reference
                and a.version == record.agreement_version
            ),
            None,
        )
    special = console.sources.special_paths
    stripped = [(path, count, special.get(path)) for path, count in record.fields_stripped.items()]
    proof = checkpoint = None
    if console.sources.integrity is not None:
        proof = await console.sources.integrity.inclusion_proof(record.seq)
        checkpoint = await console.sources.integrity.latest_checkpoint()
    queued = await console.queue.transfer_mark(record)
    return console.render(
        request,
        "transfer.html",
        {
            "page_id": "verstrekkingen",
            "record": record,
            "agreement": agreement,
            "stripped": stripped,
            "integrity": console.sources.integrity is not None,
            "proof": proof,
            "checkpoint": checkpoint,
            "queued": queued,
            "back": console.url(request, "verstrekkingen/" + str(record.id)),
        },
    )
