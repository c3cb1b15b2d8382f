"""The pages that show what other sources give (the register of record's review dates and
bijsluiters, the evidence log's proofs), with the test doubles of ``tests/console/doubles.py``
connected: how the console shows each state, not the sources themselves."""

from __future__ import annotations

import re
from dataclasses import replace

from gateway.console.sources import Integrity, RegisterSource
from tests.console.conftest import Console, push_traffic
from tests.console.doubles import ReviewedRegister, SignedUpTo


def connect(
    console: Console, register: RegisterSource | None = None, integrity: Integrity | None = None
) -> None:
    state = console.gateway.app.state.console
    changes: dict[str, object] = {"integrity": integrity}
    if register is not None:
        changes["register"] = register
    state.sources = replace(state.sources, **changes)  # type: ignore[arg-type]


def section(page: str, heading_id: str) -> str:
    """The text of the ``<section>`` labelled by ``heading_id``."""
    start = page.index(f'aria-labelledby="{heading_id}"')
    return page[start : page.index("</section>", start)]


async def test_a_transfer_within_a_checkpoint_shows_its_proof(console: Console) -> None:
    """With a checkpoint over the whole log, each transfer's page says where it is, under which
    checkpoint, and lists the proof's hashes."""
    await push_traffic(console.gateway)
    connect(console, integrity=SignedUpTo(3))
    entries = sorted(await console.gateway.transfers(), key=lambda e: e["seq"])
    async with console.signed_in() as client:
        page = (await client.get(f"/fg/verstrekkingen/{entries[1]['id']}")).text
    proof = section(page, "kop-bewijs")
    assert "staat in het ondertekende log: regel 2 van 3" in proof
    assert "onder het controlepunt van 1 december 2026 03:00:00" in proof  # 02:00 UTC
    assert len(re.findall(r"<li><code>[A-Za-z0-9+/]{43}=</code></li>", proof)) == 2
    assert "index 1, boom van 3" in proof


async def test_a_transfer_after_the_checkpoint_has_no_proof_yet(console: Console) -> None:
    """A transfer after the latest checkpoint says its proof comes with the next one; without
    any checkpoint the page says the log is not signed yet; without a source, that the gateway
    does not sign."""
    await push_traffic(console.gateway)
    last = max(await console.gateway.transfers(), key=lambda e: e["seq"])
    address = f"/fg/verstrekkingen/{last['id']}"
    async with console.signed_in() as client:
        connect(console, integrity=SignedUpTo(last["seq"] - 1))
        after = section((await client.get(address)).text, "kop-bewijs")
        connect(console, integrity=SignedUpTo(0))
        unsigned = section((await client.get(address)).text, "kop-bewijs")
        connect(console, integrity=None)
        absent = section((await client.get(address)).text, "kop-bewijs")
    assert "kwam na het laatste ondertekende controlepunt" in after and "<code>" not in after
    assert "nog geen ondertekend controlepunt" in unsigned
    assert "ondertekent het log nog niet" in absent


async def test_the_integrity_page_shows_the_checkpoint_and_the_check(console: Console) -> None:
    """Connected, Integriteit shows the checkpoint's size, time and root, and the last check."""
    connect(console, integrity=SignedUpTo(1234))
    async with console.signed_in() as client:
        page = (await client.get("/fg/integriteit")).text
    assert "<dd>1.234</dd>" in page and "1 december 2026 03:00:00" in page
    assert "in orde" in page and "Alle regels kloppen." in page


async def test_the_register_shows_review_dates_and_bijsluiters(console: Console) -> None:
    """Review overdue and due soon are marked and counted at the top; a later review is only
    its date; a bijsluiter is a link only when it is a web address; the export downloads."""
    connect(console, register=ReviewedRegister())
    async with console.signed_in() as client:
        page = (await client.get("/fg/register")).text
        export = await client.get("/fg/register/artikel-30")

    def card(anchor: str) -> str:
        start = page.index(f'id="overeenkomst-{anchor}-2024-1"')
        return page[start : page.index("</article>", start)]

    assert "2 overeenkomsten vraagt aandacht" not in page  # grammar: one form per count
    assert re.search(r"2 overeenkomsten vragen aandacht", page)
    overdue, soon, later, odd = (
        card(a) for a in ("MALMBERG-2024", "NOORDHOFF-2024", "HEUTINK-2024", "ZWIJSEN-2024")
    )
    assert "Beoordeling te laat" in overdue and "12 dagen te laat" in overdue
    assert "De subverwerker is sinds de ondertekening veranderd." in overdue
    assert 'href="https://www.malmberg.nl/privacy/bijsluiter.pdf"' in overdue
    assert "Binnenkort beoordelen" in soon and "(over 10 dagen)" in soon
    assert "Beoordeling te laat" not in later and "Binnenkort" not in later
    assert "uiterlijk" in later
    assert "javascript:" not in page and "geen webadres" in odd and "niet bijgehouden" in odd
    assert export.status_code == 200 and export.content == b"verwerking\r\nx\r\n"
    assert export.headers["content-disposition"] == 'attachment; filename="verwerkingsregister.csv"'


async def test_the_overview_lists_agreements_due_for_review(console: Console) -> None:
    """The Overzicht's agreements needing attention are the overdue and the soon-due review,
    with what is late and the register's warnings; not the ones due later."""
    connect(console, register=ReviewedRegister())
    async with console.signed_in() as client:
        page = (await client.get("/fg/")).text
    attention = section(page, "kop-overeenkomsten")
    assert "MALMBERG-2024" in attention and "12 dagen te laat" in attention
    assert "NOORDHOFF-2024" in attention and "over 10 dagen" in attention
    assert "De subverwerker is sinds de ondertekening veranderd." in attention
    assert "HEUTINK-2024" not in attention and "ZWIJSEN-2024" not in attention
    assert "houdt het register van deze gateway nog niet bij" not in attention
