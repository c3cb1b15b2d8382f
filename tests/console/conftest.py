"""A running gateway with an FG account, traffic pushed through it, and a signed-in client."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gateway import samples
from gateway.access.users import Accounts
from gateway.console.sources import Pupil, SubjectIndex, SubjectTransfer
from gateway.evidence.models import TransferRecord
from tests.conftest import RunningGateway

FG_NAME = "fg@opron.nl"
FG_PASSWORD = "lang genoeg wachtwoord"
BSN_IN_A_NAME = "Groep 3 111222333"  # a valid BSN (11-proef) where a group name belongs


@dataclass
class Console:
    gateway: RunningGateway

    @property
    def url(self) -> str:
        return self.gateway.url

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=30)

    async def sign_in(
        self, client: httpx.AsyncClient, name: str = FG_NAME, password: str = FG_PASSWORD
    ) -> httpx.Response:
        token = await csrf_token(client, "/fg/login")
        return await client.post(
            "/fg/login", data={"csrf": token, "naam": name, "wachtwoord": password}
        )

    @contextlib.asynccontextmanager
    async def signed_in(self) -> AsyncIterator[httpx.AsyncClient]:
        async with self.client() as client:
            response = await self.sign_in(client)
            assert response.status_code == 303, response.text
            yield client


async def csrf_token(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path)
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def push_traffic(gateway: RunningGateway) -> None:
    """Three transfers of the kinds the console shows: one forwarded with special-category
    fields stripped, one forwarded with a BSN found in a group name, one blocked."""
    assert (await gateway.push(samples.sync(3))).status_code == 200
    payload = samples.sync(2, seed=7)
    payload["groepen"][0]["naam"] = BSN_IN_A_NAME
    assert (await gateway.push(payload)).status_code in (200, 403, 422)
    blocked = await gateway.push(samples.sync(1), headers=gateway.headers(school="98YY"))
    assert blocked.status_code == 403


@pytest.fixture
async def console(start_gateway: Any) -> Console:
    gateway: RunningGateway = await start_gateway()
    await Accounts().create(FG_NAME, "fg", FG_PASSWORD)
    return Console(gateway)


KNOWN_PUPIL = "LL-000001"  # the first pupil of every sample sync, so in every pushed transfer


class ForwardedLogIndex:
    """A TEST DOUBLE of the subject index (the evidence log's HMAC index is not on this branch):
    it says ``KNOWN_PUPIL`` was in every forwarded transfer of the log that went through the
    gateway (under an agreement; ``insert_history`` writes entries without one, and without
    pupils), which is true of the traffic ``push_traffic`` sends, and knows no other pupil.
    The real index gives the same answers for that traffic, so the tests hold for either (see
    ``subjects``)."""

    async def transfers_for(self, pupil: Pupil) -> list[SubjectTransfer]:
        if pupil.value != KNOWN_PUPIL:
            return []
        forwarded = await TransferRecord.filter(
            outcome="forwarded", agreement_reference__isnull=False
        ).order_by("seq")
        return [
            SubjectTransfer(
                str(r.id),
                r.started_at,
                r.supplier or "",
                r.school,
                tuple(p for p in r.fields_forwarded if p.startswith("leerlingen[].")),
                r.agreement_reference,
                r.agreement_version,
            )
            for r in forwarded
        ]


@pytest.fixture
def subjects(console: Console) -> SubjectIndex:
    """The subject index the access-request tests use: the one ``gateway/app.py`` connects,
    or, while none is, the test double ``ForwardedLogIndex`` (connected here)."""
    from dataclasses import replace

    state = console.gateway.app.state.console
    if state.sources.subjects is None:
        state.sources = replace(state.sources, subjects=ForwardedLogIndex())
    index: SubjectIndex = state.sources.subjects
    return index


async def insert_history(days: int = 30, per_day: int = 12) -> None:
    """Entries for other suppliers over the last ``days`` days, as the log writer stores them
    (for pages that show time: charts and volumes); one day has four times the usual."""
    import random
    import uuid
    from datetime import UTC, datetime, timedelta

    from gateway.evidence import entries
    from gateway.evidence.store import INSERT_COLUMNS, entry_row, for_connection, row

    rng = random.Random(4)
    now = datetime.now(UTC)
    made = []
    for day in range(days):
        count = per_day * (4 if day == 2 else 1) + rng.randint(-2, 2)
        for n in range(count):
            started = now - timedelta(days=day, minutes=7 * n + 30)
            supplier = rng.choice(["malmberg", "noordhoff"])
            made.append(
                {
                    "id": uuid.uuid4(),
                    "started_at": started,
                    "completed_at": started,
                    "source_system": "parnassys",
                    "school": rng.choice(["99XX", "98YY", "97ZZ"]),
                    "supplier": supplier,
                    "agreement_reference": None,
                    "agreement_version": None,
                    "method": "POST",
                    "path": "/sync",
                    "route": "POST /sync",
                    "outcome": "forwarded",
                    "status": 200,
                    "upstream_status": 200,
                    "records": rng.randint(20, 30),
                    "fields_forwarded": ["leerlingen[].voornaam"],
                    "fields_stripped": {"leerlingen[].email": rng.randint(20, 30)}
                    if rng.random() < 0.5
                    else {},
                    "fields_invalid": {},
                    "fields_inspected": {},
                    "fields_withheld": {},
                    "fields_transformed": {},
                    "body_sha256": "0" * 64,
                    "duration_ms": 12.0,
                    "instance": None,
                }
            )
    made.sort(key=lambda entry: entry["started_at"])  # the log's order is the order of arrival
    store = for_connection()
    # Each row with its log entry, as the log's writer queues them (gateway/evidence/log.py).
    rows = [[*row(e, INSERT_COLUMNS), *entry_row(entries.make(entries.BEGIN, e))] for e in made]
    await store.write(rows, [])
    await store.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    """Keeps each test's call report on its item, so a fixture can tell it failed (the browser
    tests keep a screenshot then). A hook works only here, not in a test module."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report
