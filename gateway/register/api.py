"""The FG's register API: ``GET /api/agreements`` and ``GET /api/agreements/{id}``.

An agreement here is a supplier's: ``id`` is the supplier's slug, and the item holds the state
now, the version in force (or the newest, when none is), every version ever loaded (from the
database, also those whose file is gone) and the warnings. ``GET /api/agreements/article-30``
is the record of processing activities (``?format=csv`` or ``json``).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from tortoise.functions import Count, Max

from gateway.access.tls import client_certificate
from gateway.evidence.models import TransferRecord
from gateway.problems import LogUnavailable, Refusal, Rejected, refusal_response
from gateway.register import article30, versions, warnings
from gateway.register.agreements import Agreement, Status
from gateway.register.models import AgreementText
from gateway.register.register import AgreementRegister
from gateway.transfer import authenticate
from gateway.transfer.pipeline import Gateway

logger = logging.getLogger("gateway.api")
_encoder = msgspec.json.Encoder()
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


async def agreements(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    try:
        await _fg(request, ())
        items = await _items(gateway, None, texts=False)
    except Refusal as refusal:
        return refusal_response(refusal)
    return Response(_encoder.encode({"items": items}), media_type="application/json")


async def agreement(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    try:
        await _fg(request, ())
        slug = request.path_params["id"]
        if not _SLUG.fullmatch(slug):
            raise Rejected(404, "not-found", "no agreement with a supplier of that name")
        items = await _items(gateway, slug, texts=True)
        if not items:
            raise Rejected(404, "not-found", "no agreement with a supplier of that name")
    except Refusal as refusal:
        return refusal_response(refusal)
    return Response(_encoder.encode(items[0]), media_type="application/json")


async def export(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    try:
        await _fg(request, ("format",))
        kind = request.query_params.get("format", "json")
        if kind not in ("csv", "json"):
            raise Rejected(400, "bad-filter", "format must be csv or json")
    except Refusal as refusal:
        return refusal_response(refusal)
    today = gateway.now().date()
    rows = article30.rows(gateway.register.all(), today)
    name = f"article-30-{today.isoformat()}.{kind}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if kind == "csv":
        return Response(article30.to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers=disposition)  # fmt: skip
    return Response(article30.to_json(rows), media_type="application/json", headers=disposition)


async def _fg(request: Request, allowed: tuple[str, ...]) -> None:
    gateway: Gateway = request.app.state.gateway
    certificate = client_certificate(request.scope)
    await authenticate.caller(request.headers, certificate, gateway.keys, "fg")
    params = request.query_params
    if set(params) - set(allowed) or any(len(params.getlist(n)) > 1 for n in allowed):
        raise Rejected(
            400, "bad-filter", f"the only parameters are {', '.join(allowed) or 'none'}, once"
        )


async def _items(gateway: Gateway, only: str | None, texts: bool) -> list[dict[str, Any]]:
    register = gateway.register  # one generation for the whole answer
    now = gateway.now()
    slugs = sorted(set(register.suppliers()) | set(gateway.suppliers))
    if only is not None:
        slugs = [s for s in slugs if s == only]
    try:
        await gateway.log.flush()
        history = await versions.history(only)
        blocked = await _blocked_without_agreement(only)
    except Exception:
        logger.exception("the register's versions cannot be read")
        raise LogUnavailable("the register's versions cannot be read") from None
    return [_item(register, slug, now, history, blocked, texts) for slug in slugs]


async def _blocked_without_agreement(only: str | None) -> dict[str, tuple[int, datetime]]:
    query = TransferRecord.filter(problem="no-agreement", supplier__isnull=False)
    if only is not None:
        query = query.filter(supplier=only)
    rows = (
        await query.annotate(count=Count("seq"), last=Max("started_at"))
        .group_by("supplier")
        .values("supplier", "count", "last")
    )
    return {r["supplier"]: (r["count"], r["last"]) for r in rows}


def _item(
    register: AgreementRegister,
    slug: str,
    now: datetime,
    history: list[AgreementText],
    blocked: dict[str, tuple[int, datetime]],
    texts: bool,
) -> dict[str, Any]:
    today = now.date()
    loaded = register.versions(slug)
    current = next((a for a in loaded if a.status_at(now) is Status.ACTIVE), None)
    shown = current or max(loaded, key=lambda a: (not a.draft, a.valid_from), default=None)
    found = warnings.of_agreement(shown, today) if shown is not None else []
    if slug in blocked:
        count, last = blocked[slug]
        found.append(warnings.blocked_without_agreement(count, _time(last)))
    in_register = {a.sha256: a for a in loaded}
    return {
        "id": slug,
        "supplier": slug,
        "supplier_name": shown.supplier_name if shown else None,
        "state": str(shown.status_at(now)) if shown else "none",
        "in_force": _version(current) if current else None,
        "agreement": _details(shown, today) if shown else None,
        "warnings": [{"code": w.code, "detail": w.detail} for w in found],
        "versions": [
            {
                "reference": v.reference,
                "version": v.version,
                "sha256": v.sha256,
                "source": v.source,
                "valid_from": v.valid_from,
                "valid_until": v.valid_until,
                "first_loaded_at": _time(v.first_loaded_at),
                "last_loaded_at": _time(v.last_loaded_at),
                "loaded": v.sha256 in in_register,
                "status": str(in_register[v.sha256].status_at(now))
                if v.sha256 in in_register
                else None,
                **({"text": v.text} if texts else {}),
            }
            for v in history
            if v.supplier == slug
        ],
    }


def _version(agreement: Agreement) -> dict[str, Any]:
    return {
        "reference": agreement.reference,
        "version": agreement.version,
        "sha256": agreement.sha256,
    }


def _details(agreement: Agreement, today: date) -> dict[str, Any]:
    d = agreement.details
    lifecycle = agreement.lifecycle
    return {
        **_version(agreement),
        "status": str(agreement.status_on(today)),
        "product": d.product,
        "contact": _plain(d.contact),
        "bijsluiter_url": d.bijsluiter_url,
        "model_version": d.model_version,
        "privacyconvenant": d.privacyconvenant,
        "signed": agreement.signed.isoformat(),
        "signed_by": _plain(d.signed_by),
        "document_sha256": d.document_sha256,
        "security_annex": d.security_annex,
        "review": _plain(d.review),
        "valid_from": agreement.valid_from.isoformat(),
        "valid_until": agreement.valid_until.isoformat() if agreement.valid_until else None,
        "valid_until_time": agreement.until_time.isoformat() if agreement.until_time else None,
        "draft": agreement.draft,
        "lifecycle": None
        if lifecycle is None
        else {
            "status": str(lifecycle.status),
            "since": lifecycle.since.isoformat(),
            "reason": lifecycle.reason,
            "deletion_confirmed": lifecycle.deletion_confirmed.isoformat()
            if lifecycle.deletion_confirmed
            else None,
        },
        "schools": agreement.schools.as_list(),
        "purposes": list(agreement.purposes),
        "legal_basis": agreement.legal_basis,
        "retention": agreement.retention,
        "storage": _plain(d.storage),
        "sub_processors": [_plain(p) for p in agreement.processors]
        if d.sub_processors_recorded
        else None,
        "outside_eu": list(agreement.outside_eu),
        "special_categories": [
            {"field": s.field, "category": s.category, "legal_basis": s.legal_basis}
            for s in agreement.special_categories
        ],
        "source": agreement.source.rsplit("/", 1)[-1],
    }


def _plain(value: Any) -> Any:
    """A details dataclass as JSON-ready values (dates as ISO text); None stays None."""
    if value is None:
        return None
    out = {}
    for name in value.__slots__:
        item = getattr(value, name)
        out[name] = item.isoformat() if isinstance(item, date) else (
            list(item) if isinstance(item, tuple) else item
        )  # fmt: skip
    return out


def _time(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
