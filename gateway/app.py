"""The ASGI application, assembled from settings: ``create_app(settings)``."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
from collections.abc import AsyncIterator, Mapping
from importlib import resources

import msgspec
import yaml
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send
from tortoise import connections

from gateway import database, logs
from gateway.access.keys import KeyStore
from gateway.console import scan, site
from gateway.console.sources import Sources, load_organisation
from gateway.evidence import api, subject_api
from gateway.evidence.instances import Instance
from gateway.evidence.integrity import DatabaseIntegrity
from gateway.evidence.log import NoTransferLog, TransferLog
from gateway.evidence.sealer import Sealer, signing_key
from gateway.evidence.subject_index import DatabaseSubjectIndex, gateway_key
from gateway.evidence.witness import Witness
from gateway.problems import PROBLEM_TYPES, problem_response
from gateway.register import api as register_api
from gateway.register import loading
from gateway.register.console_view import RegisterView
from gateway.register.reloading import Reloader
from gateway.settings import Settings
from gateway.transfer import pseudonyms
from gateway.transfer.forward import Upstream
from gateway.transfer.limits import ClientLimits
from gateway.transfer.pipeline import Gateway
from gateway.transfer.pull import Pull
from gateway.transfer.work import BodyWorkers

logger = logging.getLogger("gateway")


def create_app(settings: Settings, environ: Mapping[str, str] | None = None) -> Starlette:
    """The gateway for ``settings``. Contracts and config are read now: a problem stops here."""
    environ = os.environ if environ is None else environ
    enforced = loading.load(settings, environ)
    for warning in enforced.warnings:
        logger.warning("config: %s", warning)
    gateway = Gateway(
        settings=settings,
        register=enforced.register,
        suppliers=enforced.suppliers,
        payload_schemas=enforced.payload_schemas,
        keys=KeyStore(settings.key_cache_seconds),
        log=(NoTransferLog if settings.bench_without_log else TransferLog)(
            write_timeout=settings.log_write_timeout, batch_size=settings.log_batch_size
        ),
        upstream=Upstream(),
        limits=ClientLimits(
            rate=settings.rate_per_client,
            burst=settings.burst_per_client,
            concurrency=settings.concurrency_per_client,
        ),
        instance=Instance(settings.heartbeat_seconds),
        workers=BodyWorkers(settings.body_workers, settings.large_bodies_at_once),
    )
    if pseudonyms.needed(enforced.register.all()):
        gateway.pseudonym_key.load()  # made at the first start that needs it; refused if unfit

    console = site.Console(
        settings=settings,
        sources=Sources(
            register=RegisterView(lambda: gateway.register),
            subjects=DatabaseSubjectIndex(lambda: gateway.subjects, gateway.log.flush),
            integrity=DatabaseIntegrity(),
            organisation=load_organisation(settings.organisation_file),
            special_paths={
                known.path: known.special_category
                for schema in enforced.payload_schemas.values()
                for known in schema.fields.values()
                if known.special_category
            },
        ),
        log=gateway.log,
        suppliers=tuple(sorted(enforced.suppliers)),
    )
    reloader = Reloader(gateway, settings, environ, enforced.schools_text)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await database.migrate(settings.database_url)
        await database.connect(settings.database_url)
        gateway.subjects = await gateway_key(settings)
        await gateway.log.start()
        await gateway.upstream.start()
        await gateway.instance.start()
        await reloader.start()
        sealer = None
        if not settings.bench_without_log:
            signer = signing_key(settings.log_key_file, settings.log_origin, create=True)
            witness = None
            if settings.witness_url:
                witness = Witness(
                    settings.witness_url,
                    signer.verifier(),
                    settings.cosignature_file,
                    cosigner=settings.cosigner,
                )
            sealer = Sealer(
                signer,
                settings.checkpoint_file,
                interval=settings.seal_interval,
                witness=witness,
                store=gateway.log.store,
            )
            await sealer.start()
        app.state.sealer = sealer
        gateway.workers.start()
        scanning = asyncio.create_task(_scan_log(console), name="console-scan")
        if settings.bench_without_log:
            logger.warning(
                "GATEWAY_BENCH_WITHOUT_LOG=1: transfers are NOT recorded (benchmark only)"
            )
        logger.info(
            "Poortwachter enforcing %d agreement version(s) for %s",
            len(gateway.register.all()),
            ", ".join(sorted(gateway.suppliers)),
        )
        try:
            yield
        finally:
            gateway.workers.stop()
            await reloader.stop()
            if sealer is not None:
                await sealer.stop()
            scanning.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await scanning
            await gateway.instance.stop()
            await gateway.upstream.stop()
            await gateway.log.stop()
            await database.close()

    app = Starlette(
        routes=[
            Route("/api/transfers", api.transfers, methods=["GET"]),
            Route("/api/agreements", register_api.agreements, methods=["GET"]),
            Route("/api/agreements/article-30", register_api.export, methods=["GET"]),
            Route("/api/agreements/{id}", register_api.agreement, methods=["GET"]),
            Route("/api/subjects", subject_api.by_body, methods=["POST"]),
            Route("/api/subjects/{identifier:path}", subject_api.by_path, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/openapi.json", openapi, methods=["GET"]),
            Route("/problems/{problem}", problem_type, methods=["GET"]),
            Route("/fg", site.home, methods=["GET"]),
            Mount("/fg", app=site.create(console)),
        ],
        lifespan=lifespan,
        middleware=[Middleware(DirectProxy, gateway=gateway, pull=Pull(gateway, enforced.sources))],
        exception_handlers={404: not_found, 405: not_allowed, Exception: internal_error},
    )
    app.state.gateway = gateway
    app.state.console = console
    app.state.reloader = reloader
    return app


async def _scan_log(console: site.Console) -> None:
    """The console's scan of the log, caught up once at start-up (its pages catch up too)."""
    try:
        await scan.catch_up_all(console.queue.special_paths)
    except Exception:
        logger.exception("the console could not scan the transfer log; pages will retry")


class DirectProxy:
    """ASGI middleware: every request under ``/proxy/`` goes straight to the gateway.

    Starlette's router tried each route's pattern and wrapped the handler in two more layers on
    every transfer; a transfer needs none of it. Every method and every path under ``/proxy/``
    is the gateway's (``/proxy//x``, ``OPTIONS``, ``TRACE`` too), so every such request is
    judged and recorded by it. Everything else (the FG's API, health, 404s and 405s) goes
    through the router.
    """

    def __init__(self, app: ASGIApp, gateway: Gateway, pull: Pull | None = None) -> None:
        self._app = app
        self._gateway = gateway
        self._pull = pull  # /uwlr/<supplier>/: a supplier pulling from the LAS (transfer/pull.py)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            root: str = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            if path.startswith("/proxy/"):
                slug = path[len("/proxy/") :].split("/", 1)[0]
                scope["path_params"] = {"supplier": slug}
                response = await self._gateway.handle(Request(scope, receive))
                await response(scope, receive, send)
                return
            if path.startswith("/uwlr/") and self._pull is not None:
                scope["path_params"] = {"supplier": path[len("/uwlr/") :].split("/", 1)[0]}
                response = await self._pull.handle(Request(scope, receive))
                await response(scope, receive, send)
                return
        await self._app(scope, receive, send)


async def healthz(request: Request) -> Response:
    """Liveness: 200 when the process answers and its database does; 503 otherwise."""
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception as error:
        return JSONResponse({"status": "unavailable", "detail": type(error).__name__}, 503)
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """200 when the gateway can take transfers: the database answers, agreements are loaded,
    the transfer log's writer runs. 503 naming what is not ready otherwise."""
    gateway: Gateway = request.app.state.gateway
    checks = {
        "database": await _database_answers(),
        "contracts": bool(gateway.register.all()),
        "transfer_log": gateway.log.running,
    }
    failing = sorted(name for name, ready in checks.items() if not ready)
    if failing:
        return JSONResponse({"status": "not-ready", "failing": failing}, 503)
    return JSONResponse(
        {"status": "ready", "agreements": len(gateway.register.all()), "failing": []}
    )


async def _database_answers() -> bool:
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:
        return False
    return True


@functools.cache
def openapi_document() -> bytes:
    text = resources.files("gateway").joinpath("openapi.yaml").read_text(encoding="utf-8")
    return msgspec.json.encode(yaml.safe_load(text))


async def openapi(request: Request) -> Response:
    return Response(openapi_document(), media_type="application/json")


async def problem_type(request: Request) -> Response:
    name = request.path_params["problem"]
    if name not in PROBLEM_TYPES:
        return problem_response(404, "not-found", "no such problem type")
    return PlainTextResponse(f"{name}\n\n{PROBLEM_TYPES[name]}\n")


async def not_found(request: Request, exc: Exception) -> Response:
    return problem_response(404, "not-found", "the gateway serves nothing at this address")


async def not_allowed(request: Request, exc: Exception) -> Response:
    return problem_response(405, "method-not-allowed", f"{request.method} is not allowed here")


def from_environment() -> Starlette:
    """Factory for ``uvicorn --factory`` and worker processes: settings from the environment."""
    settings = Settings.from_env(os.environ)
    logs.configure(settings.log_format)  # a worker process starts without the parent's logging
    return create_app(settings)


async def internal_error(request: Request, exc: Exception) -> Response:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(500, "internal-error", "the gateway failed")
