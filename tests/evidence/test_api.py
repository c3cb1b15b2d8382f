"""The FG's review API, ``GET /api/transfers``, against a real gateway and database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from gateway import samples
from gateway.access import keys
from gateway.evidence.models import TransferRecord
from tests.conftest import SCHOOL, RunningGateway, Upstream

ITEM_KEYS = {
    "id", "seq", "time", "completed_at", "source_system", "school", "supplier",
    "agreement_reference", "agreement_version", "method", "path", "route", "outcome", "status",
    "upstream_status", "problem", "records", "fields_forwarded", "fields_stripped", "body_sha256",
    "duration_ms", "fields_invalid", "fields_inspected", "agreement_sha256", "fields_withheld",
    "fields_transformed", "format", "direction",
}  # fmt: skip


def fg(gateway: RunningGateway) -> dict[str, str]:
    return {"Authorization": f"Bearer {gateway.fg_key}"}


async def listing(gateway: RunningGateway, **params: Any) -> httpx.Response:
    return await gateway.client.get("/api/transfers", params=params, headers=fg(gateway))


async def ids(gateway: RunningGateway, **params: Any) -> set[str]:
    return {item["id"] for item in await gateway.transfers(**params)}


def assert_problem(response: httpx.Response, status: int, problem: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"/problems/{problem}"
    assert body["status"] == status
    assert body["title"] and body["detail"]


async def push_ok(gateway: RunningGateway, **kw: Any) -> str:
    response = await gateway.push(samples.sync(1), **kw)
    assert response.status_code == 200, response.text
    return response.headers["X-Transfer-Id"]


async def test_a_source_key_is_forbidden(start_gateway: Any) -> None:
    """A valid source key cannot read the log: 403 forbidden, as problem+json."""
    gateway = await start_gateway()
    response = await gateway.client.get(
        "/api/transfers", headers={"Authorization": f"Bearer {gateway.source_key}"}
    )
    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer pw_not-a-key"}, {"Authorization": "Basic Zmc6Zmc="}],
    ids=["no key", "unknown key", "not bearer"],
)
async def test_without_a_valid_key_is_unauthenticated(
    start_gateway: Any, headers: dict[str, str]
) -> None:
    """No key, an unknown key or another scheme gets 401 unauthenticated, as problem+json."""
    gateway = await start_gateway()
    response = await gateway.client.get("/api/transfers", headers=headers)
    assert_problem(response, 401, "unauthenticated")


async def test_reading_the_log_is_not_itself_a_transfer(start_gateway: Any) -> None:
    """The FG's own reads (and refused reads) add no entries to the transfer log."""
    gateway = await start_gateway()
    await gateway.client.get("/api/transfers", headers={"Authorization": "Bearer nope"})
    assert await gateway.transfers() == []
    assert await gateway.transfers() == []


async def test_entries_are_newest_first_with_exactly_the_documented_keys(
    start_gateway: Any, upstream: Upstream
) -> None:
    """Items come newest first (seq and time descending), each with exactly the documented keys."""
    gateway = await start_gateway()
    pushed = [await push_ok(gateway) for _ in range(3)]
    refused = await gateway.push(samples.sync(1), headers=gateway.headers(school="98YY"))
    assert refused.status_code == 403
    pushed.append(refused.headers["X-Transfer-Id"])
    response = await listing(gateway)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"items", "next"}
    assert body["next"] is None
    items = body["items"]
    assert [i["id"] for i in items] == list(reversed(pushed))
    seqs = [i["seq"] for i in items]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == len(seqs)
    assert [i["time"] for i in items] == sorted((i["time"] for i in items), reverse=True)
    for i in items:
        assert set(i) == ITEM_KEYS
        assert i["time"].endswith("Z") and i["completed_at"].endswith("Z")
        assert datetime.fromisoformat(i["completed_at"]) >= datetime.fromisoformat(i["time"])
    assert (items[0]["outcome"], items[0]["problem"]) == ("blocked", "school-not-allowed")
    assert items[1]["outcome"] == "forwarded"


@pytest.fixture
async def logged(start_gateway: Any, upstream: Upstream) -> tuple[RunningGateway, dict[str, str]]:
    """A gateway with forwarded, blocked and rejected transfers for two schools on record."""
    gateway = await start_gateway()
    esis_key, _ = await keys.create("esis", "source", ["98YY"])
    other = samples.sync(1, brin="98YY")
    made: dict[str, str] = {}
    made["fwd-99"] = await push_ok(gateway)
    response = await gateway.push(other, headers=gateway.headers(key=esis_key, school="98YY"))
    assert response.status_code == 200, response.text
    made["fwd-98"] = response.headers["X-Transfer-Id"]
    for name, change, status in [
        ("school-not-allowed", {"headers": gateway.headers(school="98YY")}, 403),
        ("bad-key", {"headers": gateway.headers(key="pw_wrong")}, 401),
        ("unknown-supplier", {"path": "/proxy/nobody/sync"}, 404),
    ]:
        response = await gateway.push(samples.sync(1), **change)
        assert response.status_code == status, response.text
        made[name] = response.headers["X-Transfer-Id"]
    made["fwd-99-again"] = await push_ok(gateway)
    assert len(upstream.received) == 3
    return gateway, made


FILTERS = [
    ({}, {"fwd-99", "fwd-98", "school-not-allowed", "bad-key", "unknown-supplier", "fwd-99-again"}),
    ({"supplier": "basispoort"},
     {"fwd-99", "fwd-98", "school-not-allowed", "bad-key", "fwd-99-again"}),
    ({"supplier": "nobody"}, set()),  # an unknown supplier's name is not logged
    ({"school": SCHOOL}, {"fwd-99", "fwd-99-again"}),
    ({"school": "98YY"}, {"fwd-98", "school-not-allowed"}),  # attempts on 98YY show too
    ({"outcome": "forwarded"}, {"fwd-99", "fwd-98", "fwd-99-again"}),
    ({"outcome": "blocked"}, {"school-not-allowed", "bad-key"}),
    ({"outcome": "rejected"}, {"unknown-supplier"}),
    ({"outcome": "pending"}, set()),
    ({"supplier": "basispoort", "outcome": "blocked"}, {"school-not-allowed", "bad-key"}),
    ({"school": "98YY", "outcome": "blocked"}, {"school-not-allowed"}),
    ({"from": "2000-01-01", "to": "2999-12-31"},
     {"fwd-99", "fwd-98", "school-not-allowed", "bad-key", "unknown-supplier", "fwd-99-again"}),
    ({"from": "2999-01-01"}, set()),
    ({"to": "2000-01-01T00:00:00Z"}, set()),
]  # fmt: skip


@pytest.mark.parametrize(("params", "expected"), FILTERS, ids=[str(f[0]) for f in FILTERS])
async def test_filters_narrow_the_list(
    logged: tuple[RunningGateway, dict[str, str]], params: dict[str, str], expected: set[str]
) -> None:
    """Each filter (and combination) returns exactly the entries that match it."""
    gateway, made = logged
    assert await ids(gateway, **params) == {made[name] for name in expected}


async def test_filtered_entries_carry_what_was_filtered_on(
    logged: tuple[RunningGateway, dict[str, str]],
) -> None:
    """The entries a filter returns really have that supplier, school and outcome."""
    gateway, _ = logged
    found = {
        (i["school"], i["source_system"], i["outcome"])
        for i in await gateway.transfers(school="98YY")
    }
    assert found == {("98YY", "esis", "forwarded"), ("98YY", "parnassys", "blocked")}
    blocked = await gateway.transfers(outcome="blocked")
    assert {(i["status"], i["problem"]) for i in blocked} == {
        (403, "school-not-allowed"),
        (401, "unauthenticated"),
    }


# Around 1 January 2026 in Amsterdam (UTC+1 in winter): a date in ``from``/``to`` is an
# Amsterdam day (GATEWAY_TIMEZONE), 23:00 UTC to 23:00 UTC here.
MOMENTS = {
    "before": datetime(2025, 12, 31, 22, 59, 59, 500000, tzinfo=UTC),
    "midnight": datetime(2025, 12, 31, 23, 0, 0, tzinfo=UTC),
    "noon": datetime(2026, 1, 1, 11, 0, 0, tzinfo=UTC),
    "last-second": datetime(2026, 1, 1, 22, 59, 59, 999000, tzinfo=UTC),
    "next-day": datetime(2026, 1, 1, 23, 0, 0, tzinfo=UTC),
}

TIME_FILTERS = [
    ({"from": "2026-01-01"}, {"midnight", "noon", "last-second", "next-day"}),
    ({"to": "2026-01-01"}, {"before", "midnight", "noon", "last-second"}),
    ({"from": "2026-01-01", "to": "2026-01-01"}, {"midnight", "noon", "last-second"}),
    ({"from": "2026-01-02", "to": "2026-01-01"}, set()),
    ({"from": "2026-01-02"}, {"next-day"}),  # 23:00 UTC on 1 January is 2 January here
    ({"to": "2025-12-31"}, {"before"}),
    ({"to": "9999-12-31"}, {"before", "midnight", "noon", "last-second", "next-day"}),
    ({"from": "0001-01-01"}, {"before", "midnight", "noon", "last-second", "next-day"}),
    ({"from": "2025-12-31T23:00:00Z", "to": "2026-01-01T11:00:00Z"}, {"midnight", "noon"}),
    ({"from": "2025-12-31T23:00:01Z", "to": "2026-01-01T22:59:59Z"}, {"noon"}),
    ({"from": "2026-01-01T11:00:00Z"}, {"noon", "last-second", "next-day"}),
    ({"to": "2025-12-31T22:59:59Z"}, set()),
    ({"to": "2025-12-31T22:59:59.600Z"}, {"before"}),
    ({"from": "2026-01-01T12:00:00"}, {"noon", "last-second", "next-day"}),  # no offset: Amsterdam
    ({"from": "2026-01-01T00:00:00+01:00", "to": "2026-01-01T12:00:00+01:00"},
     {"midnight", "noon"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("params", "expected"), TIME_FILTERS, ids=[str(f[0]) for f in TIME_FILTERS]
)
async def test_from_and_to_select_by_start_time(
    start_gateway: Any, params: dict[str, str], expected: set[str]
) -> None:
    """``from``/``to`` take dates (a whole Amsterdam day, inclusive) and date-times, exactly;
    a date-time without an offset is Amsterdam time."""
    gateway = await start_gateway()
    made = await _entries_at(MOMENTS)
    assert await ids(gateway, supplier="clock", **params) == {made[n] for n in expected}


async def test_from_and_to_respect_an_explicit_offset(start_gateway: Any) -> None:
    """A date-time with an offset (-05:00) means that instant, whatever the zone or the
    database."""
    gateway = await start_gateway()
    made = await _entries_at(MOMENTS)
    found = await ids(gateway, supplier="clock", **{"from": "2025-12-31T18:00:00-05:00"})
    assert found == {made[n] for n in ("midnight", "noon", "last-second", "next-day")}
    found = await ids(gateway, supplier="clock", to="2025-12-31T17:59:59.700-05:00")
    assert found == {made["before"]}


async def test_a_day_in_summer_and_on_the_day_the_clocks_change(start_gateway: Any) -> None:
    """In summer an Amsterdam day starts at 22:00 UTC; 29 March 2026 has 23 hours."""
    gateway = await start_gateway()
    made = await _entries_at(
        {
            "july-1-last": datetime(2026, 7, 1, 21, 59, 59, tzinfo=UTC),
            "july-2-first": datetime(2026, 7, 1, 22, 0, 0, tzinfo=UTC),
            "march-29-first": datetime(2026, 3, 28, 23, 0, 0, tzinfo=UTC),
            "march-29-last": datetime(2026, 3, 29, 21, 59, 59, tzinfo=UTC),
            "march-30-first": datetime(2026, 3, 29, 22, 0, 0, tzinfo=UTC),
        }
    )
    assert await ids(gateway, supplier="clock", **{"from": "2026-07-02"}) == {made["july-2-first"]}
    assert await ids(gateway, supplier="clock", to="2026-07-01", **{"from": "2026-07-01"}) == {
        made["july-1-last"]
    }
    on_the_29th = await ids(gateway, supplier="clock", to="2026-03-29", **{"from": "2026-03-29"})
    assert on_the_29th == {made["march-29-first"], made["march-29-last"]}


async def _entries_at(moments: dict[str, datetime]) -> dict[str, str]:
    """Log entries (for supplier "clock") started at the given moments, by name."""
    made = {}
    for name, moment in moments.items():
        record = await TransferRecord.create(
            id=uuid.uuid4(),
            started_at=moment,
            completed_at=moment,
            supplier="clock",
            method="POST",
            path="/sync",
            outcome="forwarded",
        )
        made[name] = str(record.id)
    return made


async def test_limit_and_next_page_through_everything_once(
    start_gateway: Any, upstream: Upstream
) -> None:
    """Following ``next`` with a limit visits every entry once, in order, and ends with null."""
    gateway = await start_gateway()
    pushed = [await push_ok(gateway) for _ in range(7)]
    seen: list[dict[str, Any]] = []
    pages = 0
    url: str | None = "/api/transfers?limit=3"
    while url is not None:
        response = await gateway.client.get(url, headers=fg(gateway))
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= 3
        seen.extend(body["items"])
        url = body["next"]
        pages += 1
        assert pages <= 5, "next never ends"
    assert pages == 3
    assert [i["id"] for i in seen] == list(reversed(pushed))


async def test_paging_is_stable_while_new_entries_arrive(
    start_gateway: Any, upstream: Upstream
) -> None:
    """Entries arriving between pages neither shift the pages nor cause duplicates or gaps."""
    gateway = await start_gateway()
    before = [await push_ok(gateway) for _ in range(6)]
    seen: list[str] = []
    arrived: list[str] = []
    url: str | None = "/api/transfers?limit=2"
    while url is not None:
        response = await gateway.client.get(url, headers=fg(gateway))
        assert response.status_code == 200, response.text
        body = response.json()
        seen.extend(i["id"] for i in body["items"])
        url = body["next"]
        arrived.append(await push_ok(gateway))  # a new transfer lands between pages
        arrived.append(await push_ok(gateway))
    assert seen == list(reversed(before))
    assert len(seen) == len(set(seen))
    # and the new ones are all there on a fresh first page
    first = await gateway.transfers(limit=len(arrived))
    assert [i["id"] for i in first] == list(reversed(arrived))


async def test_next_keeps_the_filters(start_gateway: Any, upstream: Upstream) -> None:
    """The ``next`` link pages through the filtered list only, not the whole log."""
    gateway = await start_gateway()
    forwarded = []
    for _ in range(4):
        forwarded.append(await push_ok(gateway))
        refused = await gateway.push(samples.sync(1), headers=gateway.headers(school="98YY"))
        assert refused.status_code == 403
    seen: list[str] = []
    url: str | None = "/api/transfers?outcome=forwarded&limit=1"
    while url is not None:
        response = await gateway.client.get(url, headers=fg(gateway))
        assert response.status_code == 200, response.text
        body = response.json()
        assert all(i["outcome"] == "forwarded" for i in body["items"])
        seen.extend(i["id"] for i in body["items"])
        url = body["next"]
        assert len(seen) <= 4
    assert seen == list(reversed(forwarded))


async def test_a_page_exactly_full_has_no_next(start_gateway: Any, upstream: Upstream) -> None:
    """When the entries fit the limit exactly there is no ``next`` link (no empty last page)."""
    gateway = await start_gateway()
    for _ in range(2):
        await push_ok(gateway)
    response = await listing(gateway, limit=2)
    assert len(response.json()["items"]) == 2
    assert response.json()["next"] is None
    response = await listing(gateway, limit=1)
    assert response.json()["next"] is not None


async def test_default_limit_is_fifty(start_gateway: Any) -> None:
    """Without ``limit`` a page holds 50 entries and links to the rest."""
    gateway = await start_gateway()
    await _entries_at({str(n): datetime(2026, 1, 1, 0, 0, n % 60, tzinfo=UTC) for n in range(51)})
    body = (await listing(gateway)).json()
    assert len(body["items"]) == 50
    assert body["next"] is not None
    assert len((await gateway.client.get(body["next"], headers=fg(gateway))).json()["items"]) == 1


BAD = [
    {"limit": "0"},
    {"limit": "abc"},
    {"supplier": "Basispoort"},  # supplier names are lower case
    {"school": "Veendam"},
    {"limit": "501"},
    {"limit": "-1"},
    {"limit": "1.5"},
    {"limit": ""},
    {"outcome": "nope"},
    {"outcome": "unrecorded"},
    {"from": "yesterday"},
    {"to": "2026-13-01"},
    {"from": "2026-01-01T25:00:00Z"},
    {"before": "0"},
    {"before": "x"},
    {"sort": "asc"},
    {"Supplier": "basispoort"},
    {"from": "9999-12-31T23:59:59-01:00"},  # after the last moment in UTC
    {"to": "0001-01-01T00:00:00+01:00"},  # before the first
    {"to": "9999-12-31T23:59:59.999999-14:00"},
]


@pytest.mark.parametrize("params", BAD, ids=[str(p) for p in BAD])
async def test_bad_parameters_are_a_bad_filter(start_gateway: Any, params: dict[str, str]) -> None:
    """A parameter value the API cannot use, or an unknown parameter, gives 400 bad-filter."""
    gateway = await start_gateway()
    assert_problem(await listing(gateway, **params), 400, "bad-filter")


async def test_limit_bounds_are_inclusive(start_gateway: Any) -> None:
    """``limit=1`` and ``limit=500`` are accepted, just inside the 400s above."""
    gateway = await start_gateway()
    for limit in ("1", "500"):
        assert (await listing(gateway, limit=limit)).status_code == 200


async def test_a_non_ascii_digit_limit_is_a_bad_filter(start_gateway: Any) -> None:
    """A limit written with a superscript digit is a 400 bad-filter, not a server error."""
    gateway = await start_gateway()
    assert_problem(await listing(gateway, limit="²"), 400, "bad-filter")


BSN = "123456782"
ECHOED = [
    ("supplier", [("supplier", f"Leerling-{BSN}")]),
    ("school", [("school", BSN)]),
    ("outcome", [("outcome", BSN)]),
    ("from", [("from", BSN)]),
    ("to", [("to", f"{BSN}T00:00")]),
    ("limit", [("limit", BSN + "0")]),
    ("before", [("before", "x" + BSN)]),
    ("unknown parameter", [(BSN, "1")]),
    ("repeated parameter", [("school", "99XX"), ("school", BSN)]),
]


@pytest.mark.parametrize(("case", "params"), ECHOED, ids=[e[0] for e in ECHOED])
async def test_a_bad_filter_never_echoes_its_value(
    start_gateway: Any, case: str, params: list[tuple[str, str]]
) -> None:
    """A BSN pasted into a filter (or used as a parameter name) is a 400 bad-filter whose
    problem body does not repeat it."""
    gateway = await start_gateway()
    response = await gateway.client.get("/api/transfers", params=params, headers=fg(gateway))
    assert_problem(response, 400, "bad-filter")
    assert BSN not in response.text
