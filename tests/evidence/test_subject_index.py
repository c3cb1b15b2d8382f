"""The subject index end to end: a real gateway, upstream and database (SQLite, or PostgreSQL
with POORTWACHTER_TEST_DATABASE_URL). Three transfers, two holding pupil A: the access request
finds exactly those two, with the fields sent for A, by the API, the console and the store."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from gateway import samples
from gateway.access.users import Accounts
from gateway.evidence import subject_index
from gateway.evidence.models import SubjectFieldset, SubjectsHeld, TransferRecord
from gateway.evidence.subjects import SubjectKey, unpack
from tests.conftest import RunningGateway
from tests.console.conftest import FG_NAME, FG_PASSWORD, Console, csrf_token

BASISPOORT_FIELDS = [
    "leerlingen[].achternaam", "leerlingen[].basispoort_id", "leerlingen[].geboortedatum",
    "leerlingen[].geslacht", "leerlingen[].groepskey", "leerlingen[].groepsnaam",
    "leerlingen[].jaargroep", "leerlingen[].leerlingkey", "leerlingen[].tussenvoegsel",
    "leerlingen[].voornaam",
]  # fmt: skip
A = "LL-000001"
A_BASISPOORT = "BP-000001"


def fg(gateway: RunningGateway) -> dict[str, str]:
    return {"Authorization": f"Bearer {gateway.fg_key}"}


def others(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` with none of its pupils being A (other keys and Basispoort ids)."""
    for n, pupil in enumerate(payload["leerlingen"]):
        pupil["leerlingkey"] = f"LL-9{n:05}"
        pupil["basispoort_id"] = f"BP-9{n:05}"
    return payload


async def three_transfers(gateway: RunningGateway) -> tuple[str, str, str]:
    """A and a classmate; A alone without a first name; two other pupils."""
    first = await gateway.push(samples.sync(2))
    alone = samples.sync(1, seed=5)
    del alone["leerlingen"][0]["voornaam"]
    second = await gateway.push(alone)
    third = await gateway.push(others(samples.sync(2, seed=9)))
    for response in (first, second, third):
        assert response.status_code == 200, response.text
    return tuple(r.headers["X-Transfer-Id"] for r in (first, second, third))  # type: ignore[return-value]


async def test_an_access_request_lists_exactly_the_transfers_that_held_the_pupil(
    start_gateway: Any,
) -> None:
    """GET and POST /api/subjects find A in the first two transfers, not the third, each with
    the fields sent for A; by leerlingkey and by Basispoort id alike."""
    gateway = await start_gateway()
    first, second, _third = await three_transfers(gateway)
    by_path = await gateway.client.get(f"/api/subjects/{A}", headers=fg(gateway))
    assert by_path.status_code == 200, by_path.text
    assert by_path.headers["cache-control"] == "no-store"
    items = by_path.json()["items"]
    assert [i["transfer_id"] for i in items] == [first, second]
    assert items[0]["fields"] == BASISPOORT_FIELDS
    assert items[1]["fields"] == [f for f in BASISPOORT_FIELDS if f != "leerlingen[].voornaam"]
    for found in items:
        assert found["supplier"] == "basispoort" and found["school"] == "99XX"
        assert (found["agreement_reference"], found["agreement_version"]) == (
            "OPRON-BASISPOORT",
            "2018.1",
        )
        assert found["outcome"] == "forwarded" and found["identified_by"] == ["leerlingkey"]
    by_body = await gateway.client.post(
        "/api/subjects", json={"identifier": f" {A_BASISPOORT} "}, headers=fg(gateway)
    )
    assert by_body.status_code == 200, by_body.text
    assert [i["transfer_id"] for i in by_body.json()["items"]] == [first, second]
    assert by_body.json()["items"][0]["identified_by"] == ["basispoort"]
    other_school = await gateway.client.get(
        f"/api/subjects/{A}", params={"school": "98YY"}, headers=fg(gateway)
    )
    assert other_school.json() == {"items": []}
    nobody = await gateway.client.get("/api/subjects/LL-777777", headers=fg(gateway))
    assert nobody.json() == {"items": []}


async def test_the_access_request_api_is_for_fg_keys_and_never_echoes(start_gateway: Any) -> None:
    """A source key is forbidden, no key unauthenticated; a bad identifier is a problem that
    does not repeat it."""
    gateway = await start_gateway()
    source = {"Authorization": f"Bearer {gateway.source_key}"}
    assert (await gateway.client.get(f"/api/subjects/{A}", headers=source)).status_code == 403
    assert (await gateway.client.post("/api/subjects", json={"identifier": A})).status_code == 401
    secret = "x" * 301
    too_long = await gateway.client.get(f"/api/subjects/{secret}", headers=fg(gateway))
    assert too_long.status_code == 400 and secret not in too_long.text
    garbled = await gateway.client.post(
        "/api/subjects", content=b'{"identifier": 634261374, "name": "Geheim"}', headers=fg(gateway)
    )
    assert garbled.status_code == 400 and "Geheim" not in garbled.text
    assert "634261374" not in garbled.text


async def test_an_eck_id_is_found_in_any_case(start_gateway: Any) -> None:
    """An ECK iD sent to a supplier is found whatever its case and however it is encoded in
    the address."""
    eck = "https://ketenid.nl/201703/" + "c0" * 64
    contract = samples_contract_with_eckid()
    gateway = await start_gateway(contracts={"basispoort.yaml": contract})
    payload = samples.sync(1)
    payload["leerlingen"][0]["eckid"] = eck
    response = await gateway.push(payload)
    assert response.status_code == 200, response.text
    found = await gateway.client.get(
        f"/api/subjects/{quote(eck.upper(), safe='')}", headers=fg(gateway)
    )
    assert [i["identified_by"] for i in found.json()["items"]] == [["eckid"]]


def samples_contract_with_eckid() -> str:
    from tests.conftest import ROOT

    text = (ROOT / "contracts" / "basispoort.yaml").read_text()
    return text.replace(
        "      - leerlingen[].leerlingkey\n",
        "      - leerlingen[].leerlingkey\n      - leerlingen[].eckid\n",
        1,
    )


async def test_the_rows_are_keyed_hashes_and_the_entry_commits_to_them(start_gateway: Any) -> None:
    """Each forwarded transfer has one packed row per identifier sent (HMACs under the key
    file), and its entry's subjects_sha256 is the hash over exactly those rows; a refused
    transfer has none."""
    gateway = await start_gateway()
    first, _, _ = await three_transfers(gateway)
    refused = await gateway.push(samples.sync(1), headers=gateway.headers(school="98YY"))
    assert refused.status_code == 403
    key = SubjectKey.read(gateway.settings.subject_key_path)
    [held] = await SubjectsHeld.filter(transfer_id=first)
    rows = unpack(held.subjects, held.fieldsets)
    assert {s for s, _ in rows} == {
        key.subject(kind, value)
        for kind, value in (
            ("leerlingkey", A),
            ("leerlingkey", "LL-000002"),
            ("basispoort", A_BASISPOORT),
            ("basispoort", "BP-000002"),
        )
    }
    entry = await TransferRecord.get(id=first)
    lines = "".join(f"{s} {f}\n" for s, f in sorted(rows))
    assert entry.subjects_sha256 == hashlib.sha256(lines.encode()).hexdigest()
    refused_entry = await TransferRecord.get(id=refused.headers["X-Transfer-Id"])
    assert refused_entry.subjects_sha256 is None
    assert not await SubjectsHeld.filter(transfer_id=refused_entry.id).exists()
    assert await SubjectFieldset.all().count() == 2


async def test_an_upstream_failure_is_still_indexed(start_gateway: Any) -> None:
    """Data that may have reached the supplier is in the index: the rows are written before
    anything is sent, and the answer says how the transfer ended."""
    gateway = await start_gateway(environ={"GATEWAY_UPSTREAM_BASISPOORT": "http://127.0.0.1:9/"})
    assert (await gateway.push(samples.sync(1))).status_code == 502
    found = await gateway.client.get(f"/api/subjects/{A}", headers=fg(gateway))
    assert [i["outcome"] for i in found.json()["items"]] == ["upstream_error"]


async def test_the_console_lists_the_transfers(start_gateway: Any) -> None:
    """The Inzageverzoek page, through the gateway's own subject index, names both transfers
    that held A and the fields sent, and not the third."""
    gateway = await start_gateway()
    await three_transfers(gateway)
    await Accounts().create(FG_NAME, "fg", FG_PASSWORD)
    console = Console(gateway)
    async with console.signed_in() as client:
        token = await csrf_token(client, "/fg/inzageverzoek")
        page = (await client.post("/fg/inzageverzoek", data={"csrf": token, "leerling": A})).text
    assert "Dat is 2 keer gebeurd" in page
    # the letter gives the fields in a parent's words (gateway/console/letter.py)
    assert "voornaam" in page and "OPRON-BASISPOORT versie 2018.1" in page


async def test_purge_removes_index_rows_only(start_gateway: Any) -> None:
    """Rows of transfers before the date go; every entry stays, and rows after the date stay;
    then everything goes, and the entries still stay."""
    gateway = await start_gateway()
    first, second, _third = await three_transfers(gateway)
    old = datetime.now(UTC) - timedelta(days=4000)
    await TransferRecord.filter(id=first).update(started_at=old)
    removed = await subject_index.purge(datetime.now(UTC) - timedelta(days=3000))
    assert removed == 1  # the first transfer's row: A and the classmate
    assert await TransferRecord.all().count() == 3
    key = SubjectKey.read(gateway.settings.subject_key_path)
    held = await subject_index.transfers_holding(key, A)
    assert [h.transfer_id for h in held] == [second]
    assert await SubjectsHeld.all().count() == 2  # the second and third transfers
    assert await subject_index.purge(datetime.now(UTC) + timedelta(days=1)) == 2
    assert not await SubjectsHeld.all().exists()
    assert await TransferRecord.all().count() == 3


@pytest.mark.parametrize("rows", [False, True])
async def test_a_missing_key_is_made_only_for_an_empty_index(
    start_gateway: Any, tmp_path: Any, rows: bool
) -> None:
    """A fresh install gets a key at start-up; a gateway whose index has rows refuses to start
    without its key file (a new key could not read them)."""
    gateway = await start_gateway()
    if rows:
        await three_transfers(gateway)
    path = tmp_path / "elsewhere" / "subject.key"
    settings = gateway.settings.__class__(**{**gateway.settings.__dict__, "subject_key_file": path})
    if rows:
        with pytest.raises(ValueError, match="restore it from its backup"):
            await subject_index.gateway_key(settings)
        assert not path.exists()
    else:
        await subject_index.gateway_key(settings)
        assert path.exists()
