"""No pupil value or identifier in plain text anywhere the gateway writes (issue #11).

A payload full of names, ECK iDs, BSNs, addresses and keys goes through every path a transfer
can take (forwarded, each refusal that can be triggered, the supplier failing and unreachable),
through real gateways to a real upstream, and the FG looks the pupil up by API, console and
command line. Then every byte the gateway wrote is scanned: the database files (SQLite with its
``-wal`` and ``-shm``, or every table of PostgreSQL as text), every file under the test's
directory, the captured stdout/stderr and log records, and every answer's status, headers and
body. Only the body the upstream received may hold pupil values (the fields the agreement
allows).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import yaml

from gateway import database, samples
from gateway.access.users import Accounts
from tests.conftest import ROOT, RunningGateway, Upstream
from tests.console.conftest import FG_NAME, FG_PASSWORD, Console, csrf_token
from tests.processes import served

KEY = "LL-QX7731"
BASISPOORT = "BP-QX7731"
ECK = "https://ketenid.nl/201703/" + "7e" * 64
BSN = "634261374"  # passes the 11-proef
OTHER_BSN = "111222333"
# Sample values that are words of the console's own Dutch, not a pupil's data.
VOCABULARY = frozenset({"Nederland"})
# The test's own HTTP client's loggers: the addresses it asks for are not the gateway's log.
CLIENT_LOGGERS = ("httpx", "httpcore")
NAMES = ("Zwaantje", "Quistvermeulen", "Zwaanhilde", "Oudervoornaam")


def loaded_pupil(pupil: dict[str, Any]) -> dict[str, Any]:
    """One pupil with our sentinels in every kind of place: allowed fields, stripped fields, a
    BSN hidden in a group name, and pupil data as a key name."""
    pupil.update(
        leerlingkey=KEY,
        basispoort_id=BASISPOORT,
        eckid=ECK,
        voornaam=NAMES[0],
        achternaam=NAMES[1],
        roepnaam=NAMES[2],
        bsn=BSN,
        groepsnaam=f"Groep 3a {OTHER_BSN}",
        notities=f"{NAMES[0]} {BSN}",
    )
    pupil["ouders"][0]["voornaam"] = NAMES[3]
    pupil[OTHER_BSN] = NAMES[0]  # a key chosen by the sender
    return pupil


def payload(pupils: int = 3) -> dict[str, Any]:
    document = samples.sync(pupils)
    loaded_pupil(document["leerlingen"][0])
    return document


def secrets_of(document: dict[str, Any]) -> set[str]:
    """Every pupil value worth finding: the sentinels, and each string of 8 characters or more
    in the pupils' records (addresses, e-mail, phone, IBAN, polis numbers, ECK iDs...)."""
    found = {KEY, BASISPOORT, ECK, ECK.rsplit("/", 1)[1], BSN, OTHER_BSN, *NAMES}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and _worth_finding(value):
            found.add(value)

    walk(document["leerlingen"])
    return found


def _worth_finding(text: str) -> bool:
    """Long enough not to turn up by chance, not a date, not a word of the console's own."""
    is_date = len(text) == 10 and text[4] == "-" and text[7] == "-"
    return len(text) >= 8 and not is_date and text not in VOCABULARY


class Answers:
    """Every answer the tests got: status, headers and body, as text to scan."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def add(self, what: str, response: httpx.Response) -> httpx.Response:
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        self.texts.append((what, f"{response.status_code}\n{headers}\n\n{response.text}"))
        return response


def with_blocking_values() -> str:
    data = yaml.safe_load((ROOT / "contracts" / "basispoort.yaml").read_text())
    data["values"] = {"on_invalid": "block", "inspection": {"bsn": "block"}}
    return yaml.safe_dump(data)


class Strict:
    """A second gateway, as its own ``poortwachter serve`` process on the same database: its
    agreement blocks invalid values and BSNs, its bounds are small and its supplier is down."""

    def __init__(self, gateway: RunningGateway, url: str) -> None:
        self.gateway = gateway
        self.url = url

    async def push(self, body: bytes) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as client:
            return await client.post(
                "/proxy/basispoort/sync", content=body, headers=self.gateway.headers()
            )


@contextlib.asynccontextmanager
async def strict_gateway(gateway: RunningGateway, tmp_path: Path) -> AsyncIterator[Strict]:
    contracts = tmp_path / "strict-contracts"
    contracts.mkdir()
    (contracts / "basispoort.yaml").write_text(with_blocking_values())
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": gateway.settings.database_url,
        "GATEWAY_CONTRACTS_DIR": str(contracts),
        "GATEWAY_CONFIG_DIR": str(gateway.settings.config_dir),
        "GATEWAY_SUBJECT_KEY_FILE": str(gateway.settings.subject_key_path),
        "GATEWAY_UPSTREAM_BASISPOORT": "http://127.0.0.1:9/",
        "GATEWAY_MAX_BODY_BYTES": str(256 * 1024),
        "GATEWAY_MAX_RECORDS": "50",
    }
    async with served(env, tmp_path / "strict-gateway.log") as (_, url):
        yield Strict(gateway, url)


async def every_path(
    gateway: RunningGateway, upstream: Upstream, answers: Answers, tmp_path: Path
) -> None:
    """Each way a transfer can end, with pupil data in the body, the query and the headers.

    The gateway's own paths go first, before the strict gateway starts: both share one
    database, and so one register, and the first gateway follows the strict one's agreement
    (newest generation) within a second of its start-up."""
    body = json.dumps(payload()).encode()
    ok = answers.add("forwarded", await gateway.push(body))
    assert ok.status_code == 200, ok.text
    with_query = gateway.url + f"/proxy/basispoort/sync?leerlingkey={KEY}&naam={NAMES[0]}"
    answers.add("query stripped", await gateway.client.post(with_query, content=body,
                                                            headers=gateway.headers()))  # fmt: skip
    upstream.status = 500
    answers.add("supplier failed", await gateway.push(body))
    upstream.status = 200
    refusals = {
        "unauthenticated": await gateway.push(body, headers=gateway.headers(key=None)),
        "bad key": await gateway.push(body, headers=gateway.headers(key=f"pw_{BSN}")),
        "forbidden": await gateway.push(body, headers=gateway.headers(key=gateway.fg_key)),
        "missing-school": await gateway.push(body, headers=gateway.headers(school=None)),
        "bad school": await gateway.push(body, headers=gateway.headers(school=BSN)),
        "school-not-allowed": await gateway.push(body, headers=gateway.headers(school="98YY")),
        "unknown-supplier": await gateway.push(body, path=f"/proxy/{NAMES[0].lower()}/sync"),
        "route-not-covered": await gateway.push(body, path=f"/proxy/basispoort/{KEY}/{BSN}"),
        "bad-path": await gateway.push(body, path="/proxy/%62asispoort/sync"),
        "bad-query": await gateway.push(body, path=f"/proxy/basispoort/sync?{BSN}=%zz&a"),
        "malformed-body": await gateway.push(body[: len(body) // 2]),
        "not an object": await gateway.push(json.dumps([KEY, BSN, NAMES[0]]).encode()),
        "unsupported-media-type": await gateway.push(
            body, headers=gateway.headers(**{"Content-Type": f"text/{NAMES[0]}"})
        ),
        "school-mismatch": await gateway.push(
            json.dumps({**payload(), "school": {"brin": "98YY"}}).encode()
        ),
        "header-too-large": await gateway.push(
            body, headers=gateway.headers(**{"X-Note": (BSN + NAMES[0]) * 3000})
        ),
    }
    async with strict_gateway(gateway, tmp_path) as strict:
        refusals |= await strict_paths(strict, body)
    for what, response in refusals.items():
        answers.add(what, response)
        assert response.status_code >= 400, (what, response.status_code)
    kinds = {r.json()["type"].rsplit("/", 1)[1] for r in refusals.values() if r.text}
    assert {"invalid-values", "forbidden-content", "body-too-large", "too-many-values",
            "upstream-unreachable", "school-mismatch", "malformed-body",
            "route-not-covered"} <= kinds, kinds  # fmt: skip


async def strict_paths(strict: Strict, body: bytes) -> dict[str, httpx.Response]:
    """The refusals only the strict gateway's agreement and bounds give."""
    return {
        "invalid-values": await strict.push(
            json.dumps(_with(payload(), geslacht=NAMES[0])).encode()
        ),
        "forbidden-content": await strict.push(body),
        "body-too-large": await strict.push(json.dumps(payload(400)).encode()),
        "too-many-values": await strict.push(
            json.dumps(_with(payload(60), groepsnaam="Groep 3a")).encode()
        ),
        "upstream-unreachable": await strict.push(
            json.dumps(_with(payload(), groepsnaam="Groep 3a")).encode()
        ),
    }


def _with(document: dict[str, Any], **fields: Any) -> dict[str, Any]:
    document["leerlingen"][0].update(fields)
    return document


async def access_requests(gateway: RunningGateway, answers: Answers) -> None:
    """The FG looks the pupil up every way there is, and gets it wrong once."""
    fg = {"Authorization": f"Bearer {gateway.fg_key}"}
    for identifier in (KEY, BASISPOORT, ECK):  # the agreement sends no ECK iD: not found
        found = answers.add("GET subject", await gateway.client.get(
            f"/api/subjects/{identifier}", headers=fg))  # fmt: skip
        assert found.status_code == 200, found.text
        assert bool(found.json()["items"]) == (identifier != ECK), found.text
    posted = await gateway.client.post("/api/subjects", json={"identifier": KEY}, headers=fg)
    assert len(answers.add("POST subject", posted).json()["items"]) == 4  # one unreachable
    bad = {"identifier": BSN * 40, "school": NAMES[0]}
    assert answers.add("bad", await gateway.client.post("/api/subjects", json=bad,
                                                        headers=fg)).status_code == 400  # fmt: skip
    answers.add("bad GET", await gateway.client.get(f"/api/subjects/{BSN * 40}", headers=fg))
    answers.add("listing", await gateway.client.get("/api/transfers", headers=fg))
    await Accounts().create(FG_NAME, "fg", FG_PASSWORD)
    async with Console(gateway).signed_in() as client:
        token = await csrf_token(client, "/fg/inzageverzoek")
        page = await client.post("/fg/inzageverzoek", data={"csrf": token, "leerling": KEY})
        assert "Dat is 4 keer gebeurd" in page.text
        # The one place the key may be: the answer to the FG's own search (no-store) carries
        # what the FG typed in the PDF button's form, to post it again. Nowhere else.
        field = f'name="leerling" value="{KEY}"'
        assert page.text.count(field) == 1
        answers.texts.append(("console", page.text.replace(field, 'name="leerling" value=""')))
        for path in ("/fg", "/fg/verstrekkingen", "/fg/controle", "/fg/register"):
            answers.add(path, await client.get(path))


async def cli_subject(gateway: RunningGateway, answers: Answers) -> None:
    """``poortwachter subject -`` with the identifier on stdin: its output is scanned too."""
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": gateway.settings.database_url,
        "GATEWAY_SUBJECT_KEY_FILE": str(gateway.settings.subject_key_path),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", "subject", "-",
        cwd=ROOT, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate(f"{KEY}\n".encode())
    assert process.returncode == 0, err
    assert "4 transfer(s) held this pupil" in err.decode()
    answers.texts.append(("cli", out.decode() + err.decode()))


async def database_dump(database_url: str) -> list[tuple[str, bytes]]:
    """Every table of PostgreSQL as text; for SQLite, the database file with -wal and -shm."""
    path = database.sqlite_path(database_url)
    if path is not None:
        files = [Path(path + suffix) for suffix in ("", "-wal", "-shm")]
        assert files[1].exists(), "the WAL is scanned while the gateway still runs"
        return [(str(f), f.read_bytes()) for f in files if f.exists()]
    connection = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        tables = await connection.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        dumped = []
        for (table,) in tables:
            rows = await connection.fetch(f'SELECT t::text FROM "{table}" t')
            dumped.append((table, "\n".join(r[0] for r in rows).encode()))
        return dumped
    finally:
        await connection.close()


def found_in(written: list[tuple[str, bytes]], secrets: set[str]) -> list[tuple[str, str]]:
    return sorted((where, s) for where, data in written for s in secrets if s.encode() in data)


async def test_no_pupil_value_is_written_anywhere(
    start_gateway: Any,
    upstream: Upstream,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Every path, every lookup, then every byte scanned: no pupil value anywhere but in what
    the supplier received."""
    caplog.set_level(logging.DEBUG)
    gateway = await start_gateway()
    answers = Answers()
    await every_path(gateway, upstream, answers, tmp_path)
    await access_requests(gateway, answers)
    await cli_subject(gateway, answers)
    assert upstream.received and NAMES[0].encode() in upstream.received[0].body  # the test bites

    written: list[tuple[str, bytes]] = await database_dump(gateway.settings.database_url)
    for file in sorted(tmp_path.rglob("*")):
        if file.is_file():
            written.append((str(file), file.read_bytes()))
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for record in caplog.records:
        if record.name.startswith(CLIENT_LOGGERS):
            continue  # the test's own HTTP client, logging the addresses it asked for
        written.append((f"log {record.name}", formatter.format(record).encode()))
    out, err = capfd.readouterr()
    written += [("stdout", out.encode()), ("stderr", err.encode())]
    written += [(what, text.encode()) for what, text in answers.texts]

    secrets = secrets_of(payload())
    leaks = found_in(written, secrets)
    assert not leaks, "\n".join(map(str, leaks))
    # The scan bites: the supplier's copy holds the allowed values, and the scan finds them.
    assert found_in([("upstream", upstream.received[0].body)], secrets)
    assert len(written) > len(answers.texts) + 3  # database, logs and answers were all scanned
