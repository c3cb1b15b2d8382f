"""The compiled filter gives exactly the reference filter's answer, whatever the body."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway import samples
from gateway.formats.bounds import TooComplex
from gateway.formats.filtered import named_school
from gateway.formats.json_compiled import CompiledPolicy, NotCompilable
from gateway.formats.json_reference import filtered
from gateway.formats.payload_schema import PayloadSchema, load
from gateway.register.policy import FieldPolicy

ROOT = Path(__file__).resolve().parents[2]
SCHEMA: PayloadSchema = load(ROOT / "schemas", "las-sync")
BASISPOORT = yaml.safe_load((ROOT / "contracts" / "basispoort.yaml").read_text())["routes"][0][
    "fields"
]
ENCODE = msgspec.json.Encoder().encode


def contract_paths() -> list[str]:
    """Every leaf of the schema, written as a contract would allow it."""
    out = []
    for info in SCHEMA.fields.values():
        if info.kind == "object":
            continue
        steps = info.path.split(".")
        written = []
        prefix = ""
        for step in steps:
            name = step.removesuffix("[]")
            prefix = f"{prefix}.{name}" if prefix else name
            written.append(name + ("[]" if step.endswith("[]") else ""))
        if info.kind == "array":
            has_objects = any(p.startswith(info.path + "[].") for p in SCHEMA.fields)
            if has_objects:
                continue
            written[-1] += "[]"
        out.append(".".join(written))
    return sorted(out)


LEAVES = contract_paths()


def policy(paths: list[str]) -> FieldPolicy:
    return FieldPolicy.from_paths(paths, SCHEMA)


def assert_same(raw: bytes, chosen: FieldPolicy) -> None:
    """Both filters on ``raw`` send the same document and count the same things."""
    reference_document = msgspec.json.decode(raw)
    reference = filtered(reference_document, chosen, SCHEMA)
    fast, school = CompiledPolicy(chosen, SCHEMA).filtered(raw)
    assert json.loads(fast.body) == json.loads(reference.body)
    assert fast.stripped == reference.stripped
    assert fast.invalid == reference.invalid
    assert fast.inspected == reference.inspected
    assert fast.forwarded == reference.forwarded
    assert fast.records == reference.records
    assert school == named_school(reference_document)


def test_leaf_paths_cover_the_schema() -> None:
    """The helper really lists the schema's leaves (so the random policies mean something)."""
    assert "leerlingen[].voornaam" in LEAVES
    assert "leerlingen[].ouders[].adres.postcode" in LEAVES
    assert "leerlingen[].medisch.dyslexie" in LEAVES


@pytest.mark.parametrize("pupils", [0, 1, 30, 500])
def test_basispoort_sync_takes_the_fast_path_with_the_same_answer(pupils: int) -> None:
    """A clean reference sync goes through the compiled filter and matches the reference."""
    raw = json.dumps(samples.sync(pupils)).encode()
    assert_same(raw, policy(BASISPOORT))
    fast, _ = CompiledPolicy(policy(BASISPOORT), SCHEMA).filtered(raw)
    assert fast.records == pupils
    assert fast.invalid == {} and fast.inspected == {}


def mutate(document: dict[str, Any], rng: random.Random) -> None:
    """Break a sync the ways senders do: missing, extra, retyped and huge values."""
    pupils = document["leerlingen"]
    for _ in range(rng.randint(0, 4)):
        if not pupils:
            return
        pupil = rng.choice(pupils)
        key = rng.choice(list(pupil) or ["leerlingkey"])
        action = rng.choice(
            ["drop", "null", "object", "list", "bigint", "unknown", "empty", "bsn", "date"]
        )
        if action == "drop":
            pupil.pop(key, None)
        elif action == "null":
            pupil[key] = None
        elif action == "object":
            pupil[key] = {"x": 1}
        elif action == "list":
            pupil[key] = [1, "a"]
        elif action == "bigint":
            pupil[key] = 2**70
        elif action == "unknown":
            pupil["Sanne Berg"] = "secret"
        elif action == "empty":
            pupil[key] = [] if isinstance(pupil.get(key), list) else ""
        elif action == "bsn":
            pupil[key] = "Groep 123456782"
        elif action == "date":
            pupil[key] = "2018-02-30"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    chosen=st.lists(st.sampled_from(LEAVES), max_size=25, unique=True),
    seed=st.integers(0, 2**32 - 1),
    pupils=st.integers(0, 6),
)
def test_random_policies_and_broken_syncs_agree(chosen: list[str], seed: int, pupils: int) -> None:
    """For random policies on mutated syncs, the compiled filter gives the reference's answer."""
    rng = random.Random(seed)
    document = samples.sync(pupils, seed=seed)
    mutate(document, rng)
    assert_same(json.dumps(document).encode(), policy(chosen))


@settings(max_examples=40, deadline=None)
@given(chosen=st.lists(st.sampled_from(LEAVES), max_size=40, unique=True), seed=st.integers(0, 99))
def test_clean_syncs_agree_and_lose_nothing_valid(chosen: list[str], seed: int) -> None:
    """Whatever the policy, a clean sync in the reference shape has nothing invalid in it."""
    raw = json.dumps(samples.sync(3, seed=seed)).encode()
    assert_same(raw, policy(chosen))
    fast, _ = CompiledPolicy(policy(chosen), SCHEMA).filtered(raw)
    assert fast.invalid == {}


@pytest.mark.parametrize(
    "body",
    [
        b'{"leerlingen": [{"leerlingkey": "a", "Sanne": 1}, {"leerlingkey": "b"}]}',
        b'{"leerlingen": [{"leerlingkey": {"x": 1}}, {"leerlingkey": "b"}]}',
        b'{"leerlingen": [{"leerlingkey": 99999999999999999999}, {"leerlingkey": "b"}]}',
        b'{"leerlingen": [{"adres.postcode": "9645 HC"}, {"leerlingkey": "b"}]}',
        b'{"leerlingen": {"leerlingkey": "a"}}',
        b'{"school": 7, "leerlingen": [{"leerlingkey": "b"}]}',
        b'{"Sanne": 1, "leerlingen": [{"leerlingkey": "b"}]}',
        b'{"leerlingen": [1, "x", null, [], {"leerlingkey": "b"}]}',
    ],
)
def test_bodies_the_typed_decode_cannot_take_give_the_same_answer(body: bytes) -> None:
    """Unknown keys, wrong types and huge integers, in a record or at the top, are taken where
    they are (that record, that key) by the reference filter; the rest stays typed."""
    assert_same(body, policy(BASISPOORT))


@pytest.mark.parametrize(
    ("body", "error"), [(b"[1, 2]", NotCompilable), (b'{"a": NaN}', msgspec.DecodeError)]
)
def test_bodies_no_filter_can_take_are_refused(body: bytes, error: type[Exception]) -> None:
    """A body that is no JSON object is the reference filter's to refuse; one that is no JSON
    at all is refused by the compiled one too."""
    with pytest.raises(error):
        CompiledPolicy(policy(BASISPOORT), SCHEMA).filtered(body)


def test_duplicate_and_escaped_keys_agree() -> None:
    """Duplicate keys (last wins) and escaped key names give the reference's answer."""
    raw = (
        b'{"leerlingen": [{"leerlingkey": "a", "\\u0062sn": "1", '
        b'"voornaam": "x", "voornaam": "y"}]}'
    )
    assert_same(raw, policy(BASISPOORT))
    fast, _ = CompiledPolicy(policy(BASISPOORT), SCHEMA).filtered(raw)
    assert fast.stripped == {"leerlingen[].bsn": 1}
    assert b'"y"' in fast.body and b'"x"' not in fast.body


def test_a_school_stripped_whole_is_still_read_for_the_school_check() -> None:
    """Even when the policy strips ``school`` entirely, its BRIN is read for the match."""
    raw = json.dumps(samples.sync(1, brin="98YY")).encode()
    _, school = CompiledPolicy(policy(["leerlingen[].leerlingkey"]), SCHEMA).filtered(raw)
    assert school == ("98YY", "00")


def test_document_is_not_changed() -> None:
    """Neither filter changes its input (the payload is read, never edited in place)."""
    document = samples.sync(2)
    before = copy.deepcopy(document)
    filtered(document, policy(BASISPOORT), SCHEMA)
    assert document == before


@pytest.fixture
def batched(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every batch of records three records long."""
    from gateway.formats import json_compiled

    monkeypatch.setattr(json_compiled, "BATCH_RECORDS", 3)


@pytest.mark.parametrize("pupils", [0, 1, 3, 7, 30])
def test_records_filtered_in_batches_give_the_same_answer(batched: None, pupils: int) -> None:
    """Batch after batch, the records give the reference filter's answer, records included."""
    raw = json.dumps(samples.sync(pupils)).encode()
    assert_same(raw, policy(BASISPOORT))
    nested = ["leerlingen[].ouders[].voornaam", "leerlingen[].adres.postcode", "groepen[].naam"]
    assert_same(raw, policy(nested))


def test_a_bad_record_in_a_later_batch_is_taken_alone(batched: None) -> None:
    """A record only the reference filter can take, in the last batch, leaves the others whole."""
    document = samples.sync(8)
    document["leerlingen"][-1]["Sanne Berg"] = "secret"
    raw = json.dumps(document).encode()
    assert_same(raw, policy(BASISPOORT))
    fast, _ = CompiledPolicy(policy(BASISPOORT), SCHEMA).filtered(raw)
    assert fast.records == 8
    assert fast.stripped["leerlingen[].*"] == 1


def test_a_large_body_counted_first_gives_the_same_answer() -> None:
    """Over two megabytes, the arrays of records are counted before they are cut into views;
    the answer is the reference filter's, broken records and all."""
    document = samples.sync(1400)
    document["leerlingen"][5]["geboortedatum"] = "2017-02-30"
    document["leerlingen"][6]["Sanne Berg"] = 1
    document["leerlingen"].insert(7, None)
    raw = json.dumps(document).encode()
    assert len(raw) > 2 * 1024 * 1024
    assert_same(raw, policy(BASISPOORT))
    assert_same(raw, policy(LEAVES))


def test_a_large_array_of_records_with_items_of_no_kind_is_refused() -> None:
    """Over two megabytes, an array of records may hold stray nulls, nothing else but records."""
    document = samples.sync(1400)
    document["leerlingen"].insert(7, "x")
    with pytest.raises(TooComplex, match="neither objects nor null"):
        CompiledPolicy(policy(BASISPOORT), SCHEMA).filtered(json.dumps(document).encode())
