"""The console in a real headless Chromium (Debian's, driven by Playwright): what a new FG does,
from signing in to clearing the queue, keyboard use, and axe-core on every page.

Skipped, saying why, without ``/usr/bin/chromium`` or the ``playwright`` package. On a failure
the page's screenshot is kept under ``test-results/console/``. With
``POORTWACHTER_SCREENSHOTS=docs/screenshots`` every page's screenshot is written there.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from gateway.access.users import Accounts, Throttle
from gateway.console.sources import (
    AgreementEntry,
    Export,
    Organisation,
    RegisterSource,
    SubjectIndex,
)
from gateway.evidence.models import LogEntry
from tests.conftest import ROOT
from tests.console.conftest import (
    FG_NAME,
    FG_PASSWORD,
    KNOWN_PUPIL,
    Console,
    insert_history,
    push_traffic,
)
from tests.console.doubles import ReviewedRegister
from tests.console.test_views import pdf_text

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FAILURES = ROOT / "test-results" / "console"

playwright_api = pytest.importorskip(
    "playwright.async_api",
    reason="the playwright package is not installed (pip install playwright)",
)
if not CHROMIUM.exists():
    if os.environ.get("POORTWACHTER_REQUIRE_BROWSER") == "1":  # CI: a missing browser fails
        raise RuntimeError("no /usr/bin/chromium, and POORTWACHTER_REQUIRE_BROWSER=1")
    pytest.skip("no /usr/bin/chromium (apt-get install -y chromium)", allow_module_level=True)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Any, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    opened = await context.new_page()
    problems: list[str] = []
    # What the page refused to load or run (a CSP violation is a console error saying so);
    # a 401 for a refused sign-in is an error message too, and is what it should be.
    opened.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    # A request the browser itself gave up on as the page moved on is no failure of ours.
    opened.on(
        "requestfailed",
        lambda r: None if "ERR_ABORTED" in (r.failure or "") else problems.append(r.url),
    )
    opened.problems = problems
    yield opened
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        FAILURES.mkdir(parents=True, exist_ok=True)
        await opened.screenshot(path=str(FAILURES / f"{request.node.name}.png"), full_page=True)
    await context.close()


async def sign_in(page: Any, console: Console, password: str = FG_PASSWORD) -> None:
    await page.goto(console.url + "/fg/")
    await page.get_by_label("Naam").fill(FG_NAME)
    await page.get_by_label("Wachtwoord").fill(password)
    await page.get_by_role("button", name="Aanmelden").click()
    await page.wait_for_load_state()


async def test_sign_in_wait_and_sign_out(page: Any, console: Console) -> None:
    """Three wrong passwords, then even the right one must wait; after the wait the FG is in,
    sees the Overzicht, and signs out again."""
    # A first wait of 5 s instead of 1 s: on a loaded machine three sign-ins through the
    # browser can take longer than a second, and the wait would be over before the fourth.
    console.gateway.app.state.console.accounts = Accounts(by_name=Throttle(free=3, base=5.0))
    for _ in range(3):
        await sign_in(page, console, password="niet mijn wachtwoord")
        assert "Naam of wachtwoord klopt niet." in await page.get_by_role("alert").inner_text()
    await sign_in(page, console)
    assert "Te veel mislukte pogingen" in await page.get_by_role("alert").inner_text()
    await asyncio.sleep(5.1)
    await sign_in(page, console)
    assert await page.get_by_role("heading", level=1).inner_text() == "Overzicht"
    await page.get_by_role("button", name="Afmelden").click()
    await page.wait_for_url("**/fg/login?afgemeld=1")
    assert "U bent afgemeld." in await page.get_by_role("status").inner_text()
    await page.goto(console.url + "/fg/verstrekkingen")
    assert "/fg/login" in page.url
    assert page.problems == []


async def test_filter_open_a_transfer_and_export_csv(page: Any, console: Console) -> None:
    """The FG filters on outcome, opens the transfer, sees its fields and hash, and downloads
    the filtered list as CSV."""
    await push_traffic(console.gateway)
    blocked = next(e for e in await console.gateway.transfers() if e["outcome"] == "blocked")
    await sign_in(page, console)
    await (
        page.get_by_role("navigation")
        .get_by_role("link", name="Verstrekkingen", exact=True)
        .click()
    )
    await page.get_by_role("combobox", name="Uitkomst", exact=True).select_option("blocked")
    await page.get_by_role("button", name="Toon").click()
    await page.wait_for_load_state()
    assert "uitkomst=blocked" in page.url
    assert await page.get_by_role("heading", name="1 verstrekking").count() == 1
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="CSV").click()
    download = await waiting.value
    rows = list(csv.DictReader(io.StringIO(Path(await download.path()).read_text())))
    assert [r["id"] for r in rows] == [blocked["id"]]
    await page.locator("table.list tbody a").first.click()
    await page.wait_for_load_state()
    assert blocked["id"] in await page.locator("main").inner_text()
    assert "sleutel mag niet voor deze school" in await page.locator("main").inner_text()
    assert page.problems == []


async def test_clear_a_queue_item_with_a_note(page: Any, console: Console) -> None:
    """The FG writes a note on the blocked transfer; it leaves the open queue and shows who
    reviewed it under "beoordeeld"."""
    await push_traffic(console.gateway)
    await sign_in(page, console)
    await (
        page.get_by_role("navigation").get_by_role("link", name="Te beoordelen", exact=True).click()
    )
    await page.get_by_role("combobox", name="Soort", exact=True).select_option("blocked")
    await page.get_by_role("button", name="Toon").click()
    await page.wait_for_load_state()
    await page.get_by_label("Notitie").first.fill("Bij de school nagevraagd: verkeerde BRIN.")
    await page.get_by_role("button", name="Markeer als beoordeeld").first.click()
    await page.wait_for_load_state()
    assert "Geen verstrekkingen in deze lijst." in await page.locator("main").inner_text()
    await page.get_by_role("combobox", name="Status", exact=True).select_option("beoordeeld")
    await page.get_by_role("button", name="Toon").click()
    await page.wait_for_load_state()
    text = await page.locator("main").inner_text()
    assert "Beoordeeld door fg@opron.nl" in text and "verkeerde BRIN" in text


ORGANISATION = Organisation(
    "Scholengroep OPRON",
    ("Postbus 1", "9640 AA Veendam"),
    "privacy@opron.nl",
    "0598 123 456",
    "A. de Vries",
)


class BesideTheRegister:
    """The gateway's own register (Basispoort, as shipped), and beside it the test double's
    agreements with review dates and bijsluiters the shipped contract does not record."""

    def __init__(self, real: RegisterSource) -> None:
        self._real = real

    def agreements(self, today: date) -> list[AgreementEntry]:
        return [*self._real.agreements(today), *ReviewedRegister().agreements(today)]

    def article30(self, today: date) -> Export | None:
        return self._real.article30(today)


async def connect_all(console: Console) -> None:
    """The school group's details, and a test double of the register with review dates and
    warnings the shipped contract does not have; the log's integrity is the gateway's own,
    once its sealer has signed a checkpoint over every entry so far (the subject index comes
    from the ``subjects`` fixture)."""
    state = console.gateway.app.state.console
    register = BesideTheRegister(state.sources.register)
    state.sources = replace(state.sources, organisation=ORGANISATION, register=register)
    assert state.sources.integrity is not None
    entries = await LogEntry.all().count()
    for _ in range(100):  # the sealer signs every 0.1 s in tests
        checkpoint = await state.sources.integrity.latest_checkpoint()
        if checkpoint is not None and checkpoint.size >= entries:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no checkpoint over the {entries} entries after 10 s")


async def test_an_access_request_is_a_letter_to_print_and_a_pdf(
    page: Any, console: Console, subjects: SubjectIndex
) -> None:
    """The FG looks up a pupil and gets the letter for the parent: printed, the page is only the
    letter (no menu, no form); "Download als PDF" gives the same letter as a PDF file named by
    date, without the pupil's key in its name or text."""
    await push_traffic(console.gateway)
    state = console.gateway.app.state.console
    state.sources = replace(state.sources, organisation=ORGANISATION)
    await sign_in(page, console)
    await (
        page.get_by_role("navigation").get_by_role("link", name="Inzageverzoek", exact=True).click()
    )
    await page.get_by_label("Leerlingkey of ECK iD").fill(KNOWN_PUPIL)
    await page.get_by_role("button", name="Zoek verstrekkingen").click()
    await page.wait_for_load_state()
    assert "/fg/inzageverzoek" in page.url and KNOWN_PUPIL not in page.url
    letter = page.get_by_role("article")
    assert "Dat is 2 keer gebeurd" in await letter.inner_text()
    assert await letter.get_by_role("row").count() == 3  # the header and two transfers
    async with page.expect_download() as waiting:
        await page.get_by_role("button", name="Download als PDF om te versturen").click()
    download = await waiting.value
    assert re.fullmatch(r"antwoord-inzageverzoek-\d{4}-\d\d-\d\d\.pdf", download.suggested_filename)
    body = Path(await download.path()).read_bytes()
    pages, text = pdf_text(body)
    flat = " ".join(text.split())
    assert pages == 1 and "Dat is 2 keer gebeurd" in flat and "Scholengroep OPRON" in flat
    assert KNOWN_PUPIL not in text
    await page.emulate_media(media="print")
    assert not await page.get_by_role("navigation", name="Hoofdmenu").is_visible()
    assert not await page.get_by_label("Leerlingkey of ECK iD").is_visible()
    assert not await page.get_by_role(
        "button", name="Download als PDF om te versturen"
    ).is_visible()
    assert await page.get_by_role("heading", name="Antwoord op uw verzoek om inzage").is_visible()
    printed = await page.pdf()
    assert printed.startswith(b"%PDF")
    assert page.problems == []


async def test_the_keyboard_reaches_the_content_first(page: Any, console: Console) -> None:
    """The first Tab is the skip link, and following it puts the focus on the main content."""
    await sign_in(page, console)
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Naar de inhoud"
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "inhoud"


PAGES = {
    "overzicht": "/fg/",
    "verstrekkingen": "/fg/verstrekkingen",
    "verstrekking": None,  # the inspected transfer's page, found below
    "te-beoordelen": "/fg/te-beoordelen",
    "inzageverzoek": "/fg/inzageverzoek",
    "register": "/fg/register",
    "integriteit": "/fg/integriteit",
}


async def test_every_page_passes_axe(
    browser: Any, console: Console, subjects: SubjectIndex
) -> None:
    """axe-core finds no serious or critical violation on any console page, signed out or in,
    with the register, integrity and subject sources connected (test doubles where none is on
    this branch yet): the letter, the proof and the review dates are checked too. With
    POORTWACHTER_SCREENSHOTS each page's screenshot, and the PDF letter's first page, are
    written there."""
    await insert_history()
    await push_traffic(console.gateway)
    await connect_all(console)
    inspected = next(e for e in await console.gateway.transfers() if e["fields_inspected"])
    from axe_playwright_python.async_playwright import Axe

    axe = Axe()
    shots = os.environ.get("POORTWACHTER_SCREENSHOTS")
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page = await context.new_page()
    found: dict[str, list[str]] = {}

    async def check(name: str) -> None:
        results = await axe.run(page)
        serious = [
            f"{v['id']}: {v['help']}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if serious:
            found[name] = serious
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(Path(shots) / f"{name}.png"), full_page=True)

    await page.goto(console.url + "/fg/login")
    await check("aanmelden")
    await sign_in(page, console)
    for name, path in PAGES.items():
        await page.goto(console.url + (path or f"/fg/verstrekkingen/{inspected['id']}"))
        if name == "verstrekking":
            await page.get_by_text("Het bewijs:").click()  # open the hashes
        if name == "inzageverzoek":
            await page.get_by_label("Leerlingkey of ECK iD").fill(KNOWN_PUPIL)
            await page.get_by_role("button", name="Zoek verstrekkingen").click()
            await page.wait_for_load_state()
            assert await page.get_by_role("article").count() == 1
            if shots:
                async with page.expect_download() as waiting:
                    await page.get_by_role(
                        "button", name="Download als PDF om te versturen"
                    ).click()
                letter = Path(shots) / "inzageverzoek-brief.pdf"
                await (await waiting.value).save_as(str(letter))
        await check(name)
    await context.close()
    assert found == {}
