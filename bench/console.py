"""The FG console's pages over a large transfer log: how long each takes to answer.

Fills an empty database with ``--transfers`` synthetic log entries (suppliers, schools,
outcomes, stripped, invalid and inspected fields spread over 60 days, newest today), then asks
every console page through the real app (in process, with its lifespan) ``--rounds`` times as a
signed-in FG, and prints the median and slowest answer per page.

    .venv/bin/python bench/console.py                       # SQLite in a temporary folder
    .venv/bin/python bench/console.py --database postgres://postgres@127.0.0.1:5432/bench_x

The PostgreSQL database is emptied first (its public schema is dropped): never point it at
one you need.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

from gateway import database
from gateway.access.users import Accounts
from gateway.app import create_app
from gateway.console import scan
from gateway.console.sessions import Sessions
from gateway.evidence import entries as log_entries
from gateway.evidence.store import INSERT_COLUMNS, entry_row, for_connection, row
from gateway.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FORWARDED = [
    "groepen[].groepskey",
    "groepen[].jaargroep",
    "groepen[].naam",
    "leerlingen[].achternaam",
    "leerlingen[].basispoort_id",
    "leerlingen[].geboortedatum",
    "leerlingen[].geslacht",
    "leerlingen[].groepskey",
    "leerlingen[].groepsnaam",
    "leerlingen[].jaargroep",
    "leerlingen[].leerlingkey",
    "leerlingen[].tussenvoegsel",
    "leerlingen[].voornaam",
    "school.basispoort_id",
    "school.brin",
    "school.dependance",
]
STRIPPABLE = [
    "leerlingen[].email",
    "leerlingen[].adres",
    "leerlingen[].telefoonnummer",
    "leerlingen[].bsn",
    "leerlingen[].medisch",
    "leerlingen[].godsdienst",
    "leerlingen[].notities",
]
SUPPLIERS = ["basispoort", "malmberg", "noordhoff", "zwijsen"]
SCHOOLS = [f"{n:02d}{a}{b}" for n in (10, 11, 12) for a in "AB" for b in "XY"]
PAGES = [
    "/fg/",
    "/fg/verstrekkingen",
    "/fg/verstrekkingen?leverancier=malmberg&uitkomst=blocked",
    "/fg/verstrekkingen?veld=leerlingen%5B%5D.bsn&rol=stripped",
    "/fg/verstrekkingen?school=10AX&pagina=20",
    "/fg/verstrekkingen?pagina=1900",
    "/fg/verstrekkingen/{id}",
    "/fg/te-beoordelen",
    "/fg/te-beoordelen?soort=special&pagina=5",
    "/fg/te-beoordelen?status=alle",
    "/fg/register",
    "/fg/inzageverzoek",
    "/fg/integriteit",
]


def entries(count: int, now: datetime, seed: int = 12) -> list[dict[str, object]]:
    rng = random.Random(seed)  # noqa: S311 - made-up entries
    made = []
    span = timedelta(days=60).total_seconds()
    for n in range(count):
        started = now - timedelta(seconds=span * (count - n) / count)
        outcome = rng.choices(
            ["forwarded", "blocked", "rejected", "upstream_error"], [90, 4, 4, 2]
        )[0]
        leaving = outcome in ("forwarded", "upstream_error")
        stripped = {p: rng.randint(1, 400) for p in rng.sample(STRIPPABLE, rng.randint(0, 3))}
        inspected = {"groepen[].naam": {"bsn": 1}} if rng.random() < 0.01 else {}
        invalid = {"leerlingen[].geboortedatum": {"format": 2}} if rng.random() < 0.02 else {}
        made.append(
            {
                "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                "started_at": started,
                "completed_at": started + timedelta(milliseconds=40),
                "source_system": "parnassys",
                "key_id": 1,
                "school": rng.choice(SCHOOLS),
                "supplier": rng.choice(SUPPLIERS),
                "agreement_reference": "OPRON-BASISPOORT",
                "agreement_version": "2018.1",
                "method": "POST",
                "path": "/sync",
                "route": "POST /sync",
                "records": rng.randint(20, 400) if leaving else 0,
                "fields_forwarded": FORWARDED if leaving else [],
                "fields_stripped": stripped,
                "fields_invalid": invalid,
                "fields_inspected": inspected,
                "body_sha256": f"{rng.getrandbits(256):064x}",
                "instance": None,
                "outcome": outcome,
                "status": {"forwarded": 200, "blocked": 403, "rejected": 400}.get(outcome, 502),
                "upstream_status": 200 if outcome == "forwarded" else None,
                "problem": {"blocked": "no-agreement", "rejected": "malformed-body"}.get(outcome),
                "duration_ms": 40.0,
            }
        )
    return made


async def fill(url: str, count: int) -> None:
    async with database.opened(url):
        store = for_connection()
        made = entries(count, datetime.now(UTC))
        for start in range(0, len(made), 5000):
            batch = made[start : start + 5000]
            # each row with its log entry, as the log's writer queues them
            rows = [
                [*row(e, INSERT_COLUMNS), *entry_row(log_entries.make(log_entries.BEGIN, e))]
                for e in batch
            ]
            await store.write(rows, [])
        await store.close()
        if url.startswith("postgres"):
            # What autovacuum does within a minute of a bulk load: planner statistics.
            from tortoise import connections

            await connections.get("default").execute_script("ANALYZE")


async def measure(url: str, rounds: int, tmp: Path) -> list[tuple[str, float, float]]:
    settings = Settings(
        database_url=url, contracts_dir=ROOT / "contracts", config_dir=ROOT / "config"
    )
    app = create_app(settings, {})
    async with app.router.lifespan_context(app):
        began = time.perf_counter()
        while await scan.behind():  # noqa: ASYNC110 - polling the start-up scan, before timing
            await asyncio.sleep(0.2)
        print(f"start-up scan of the log took {time.perf_counter() - began:.1f} s")
        user = await Accounts().create("bench@opron.nl", "fg", "a long bench password")
        token = await Sessions(timedelta(hours=1), timedelta(hours=1)).open(user, None)
        transport = httpx.ASGITransport(app=app)
        cookies = {Sessions.COOKIE: token}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", cookies=cookies
        ) as client:
            listing = await client.get("/fg/verstrekkingen.json?uitkomst=blocked&van=2000-01-01")
            some_id = listing.json()["items"][0]["id"]
            results = []
            for page in PAGES:
                address = page.replace("{id}", some_id)
                times = []
                for _ in range(rounds):
                    began = time.perf_counter()
                    response = await client.get(address)
                    times.append((time.perf_counter() - began) * 1000)
                    assert response.status_code == 200, (address, response.status_code)
                results.append((page, statistics.median(times), max(times)))
            began = time.perf_counter()
            size = 0
            async with client.stream("GET", "/fg/verstrekkingen.csv") as response:
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
            results.append(
                (
                    f"/fg/verstrekkingen.csv (all, {size / 1e6:.0f} MB)",
                    (time.perf_counter() - began) * 1000,
                    0.0,
                )
            )
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transfers", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database", help="postgres://... (emptied first); default SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        url = args.database or f"sqlite://{tmp / 'bench.sqlite3'}"
        if url.startswith("postgres"):
            connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
            await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
            await connection.close()
        began = time.perf_counter()
        await fill(url, args.transfers)
        print(f"{args.transfers:,} entries written in {time.perf_counter() - began:.1f} s")
        results = await measure(url, args.rounds, tmp)
    print(f"{'page':<62} {'median ms':>10} {'max ms':>8}")
    for page, median, slowest in results:
        print(f"{page:<62} {median:>10.1f} {slowest:>8.1f}")


if __name__ == "__main__":
    asyncio.run(main())
