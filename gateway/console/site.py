"""The console as an ASGI app mounted at ``/fg``: its routes, its one access check, its pages.

Who may see what is decided here and nowhere else (``_guarded``): every route but the sign-in
page and the static files needs a signed-in FG or admin account, and every POST a valid CSRF
token. API keys of any role open nothing here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp

from gateway.access.users import Accounts
from gateway.console import csrf, dutch, forms
from gateway.console.headers import SecurityHeaders
from gateway.console.review import ReviewQueue
from gateway.console.sessions import Sessions, SignedIn
from gateway.console.sources import Sources
from gateway.evidence.log import TransferLog
from gateway.settings import Settings

logger = logging.getLogger("gateway.console")

CONSOLE_ROLES = frozenset({"fg", "admin"})
NAVIGATION = (
    ("overzicht", "", "Overzicht"),
    ("verstrekkingen", "verstrekkingen", "Verstrekkingen"),
    ("te-beoordelen", "te-beoordelen", "Te beoordelen"),
    ("inzageverzoek", "inzageverzoek", "Inzageverzoek"),
    ("register", "register", "Register"),
    ("integriteit", "integriteit", "Integriteit"),
)

View = Callable[[Request, "Console"], Awaitable[Response]]


@dataclass
class Console:
    """What the pages need, built once in ``gateway/app.py``."""

    settings: Settings
    sources: Sources
    log: TransferLog
    suppliers: tuple[str, ...]
    accounts: Accounts = field(default_factory=Accounts)
    sessions: Sessions = field(init=False)
    queue: ReviewQueue = field(init=False)
    templates: Jinja2Templates = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = Sessions(
            idle=timedelta(minutes=self.settings.console_idle_minutes),
            lifetime=timedelta(hours=self.settings.console_session_hours),
        )
        self.queue = ReviewQueue(self.sources.special_paths)
        environment = jinja2.Environment(
            loader=jinja2.PackageLoader("gateway.console", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        zone = self.settings.zone
        environment.filters.update(
            moment=lambda v: dutch.moment(v, zone),
            short_moment=lambda v: dutch.short_moment(v, zone),
            day=lambda v: dutch.day(v, zone),
            number=dutch.number,
            outcome=lambda v: dutch.OUTCOMES.get(v, v or dutch.NOTHING),
            kind=lambda v: dutch.KINDS.get(v, v),
            category=lambda v: dutch.CATEGORIES.get(v, v),
            role=lambda v: dutch.ROLES.get(v, v),
            problem=lambda v: dutch.PROBLEMS.get(v, v) if v else dutch.NOTHING,
            field_label=dutch.field_label,
            dictsum=lambda counts: sum(counts.values()),
        )
        self.templates = Jinja2Templates(env=environment)

    def today(self) -> date:
        return datetime.now(self.settings.zone).date()

    def url(self, request: Request, path: str = "", **query: str) -> str:
        """The address of a console page, from wherever the console is mounted."""
        base = request.scope.get("root_path", "").rstrip("/")
        address = f"{base}/{path}"
        if query:
            from urllib.parse import urlencode

            address += "?" + urlencode(query)
        return address

    def render(
        self, request: Request, template: str, context: dict[str, Any], status: int = 200
    ) -> Response:
        signed_in: SignedIn | None = getattr(request.state, "signed_in", None)
        context = {
            "user": signed_in.user if signed_in else None,
            "csrf_field": csrf.FIELD,
            "csrf_token": csrf.token(request),
            "navigation": NAVIGATION,
            "url": lambda path="", **q: self.url(request, path, **q),
            "static": lambda name: self.url(request, f"static/{name}"),
            **context,
        }
        return self.templates.TemplateResponse(request, template, context, status_code=status)

    def problem(self, request: Request, status: int, title: str, message: str) -> Response:
        return self.render(request, "error.html", {"title": title, "message": message}, status)


def _guarded(console: Console, view: View, public: bool = False) -> Callable[..., Any]:
    async def endpoint(request: Request) -> Response:
        if request.method == "POST":
            try:
                submitted = (await forms.read(request)).get(csrf.FIELD)
            except forms.NotAForm:
                submitted = None
            if not csrf.verify(request, submitted):
                csrf.renew(request)
                response = console.problem(
                    request,
                    403,
                    "Formulier verlopen",
                    "Dit formulier is verlopen of kwam niet van deze pagina. "
                    "Ga terug, laad de pagina opnieuw en probeer het nog eens.",
                )
                csrf.finish(request, response)
                return response
        signed_in = await console.sessions.find(request)
        request.state.signed_in = signed_in
        if not public:
            if signed_in is None:
                back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                target = console.url(request, "login", volgende=back)
                return RedirectResponse(target, status_code=303)
            if signed_in.user.role not in CONSOLE_ROLES:
                return console.problem(
                    request, 403, "Geen toegang", "Dit account heeft geen toegang tot de console."
                )
        await console.log.flush()  # what this process has queued is on record before reading
        response = await view(request, console)
        csrf.finish(request, response)
        return response

    return endpoint


def create(console: Console) -> ASGIApp:
    """The console app, to mount at ``/fg``; its security headers are on every answer, errors
    included (so they wrap the app from outside)."""
    from gateway.console.views import (
        access_request,
        integrity,
        login,
        overview,
        register,
        review,
        transfers,
    )

    def page(
        path: str, view: View, methods: tuple[str, ...] = ("GET",), public: bool = False
    ) -> Route:
        return Route(path, _guarded(console, view, public), methods=list(methods))

    static = StaticFiles(packages=[("gateway.console", "static")])
    routes = [
        page("/login", login.page, ("GET", "POST"), public=True),
        page("/uitloggen", login.sign_out, ("POST",)),
        page("/", overview.page),
        page("/verstrekkingen", transfers.listing),
        page("/verstrekkingen.csv", transfers.as_csv),
        page("/verstrekkingen.json", transfers.as_json),
        page("/verstrekkingen/{transfer_id}", transfers.detail),
        page("/te-beoordelen", review.page, ("GET", "POST")),
        page("/inzageverzoek", access_request.page, ("GET", "POST")),
        page("/inzageverzoek.pdf", access_request.as_pdf, ("POST",)),
        page("/register", register.page),
        page("/register/artikel-30", register.article30),
        page("/integriteit", integrity.page),
        Mount("/static", app=static, name="static"),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        return console.problem(request, 404, "Niet gevonden", "Op dit adres staat niets.")

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return console.problem(request, 405, "Niet toegestaan", "Dit adres werkt zo niet.")

    async def failed(request: Request, exc: Exception) -> Response:
        logger.error("console error on %s %s", request.method, request.url.path, exc_info=exc)
        return console.problem(
            request,
            500,
            "Er ging iets mis",
            "De console kon deze pagina niet maken. De fout staat in het log van de gateway.",
        )

    return SecurityHeaders(
        Starlette(
            routes=routes,
            exception_handlers={404: not_found, 405: not_allowed, Exception: failed},
        )
    )


def home(request: Request) -> Response:
    """``/fg`` without the slash."""
    return RedirectResponse(request.url.path + "/", status_code=308)
