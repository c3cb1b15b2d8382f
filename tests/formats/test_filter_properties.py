"""Property tests of the JSON filters: random documents against random policies.

Documents are drawn around the las-sync payload schema (known keys, values valid by each
field's rule, values of the wrong type or shape, identifiers hidden in strings, unknown keys,
keys with dots and brackets that spell known paths) and policies are random subsets of the
schema's field paths in contract notation, with the schema's value rules. Expectations are
computed here from the input and output documents, independently of the implementation: what
is sent is checked against the payload schema by ``jsonschema`` (another validator), and the
two filters are held to the same answer on every input.

Each property is checked on the reference filter (``gateway.formats.json_reference.filtered``)
and on the path a transfer really takes (``production``: the compiled filter, falling back to
the reference one as ``gateway.transfer.filter`` does), always on what would reach the supplier:
the encoded output.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
from collections import Counter
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import msgspec
import pytest
import yaml
from hypothesis import HealthCheck, Phase, assume, example, find, given, settings
from hypothesis import strategies as st

from gateway import samples
from gateway.formats import inspection, payload_schema, transforms
from gateway.formats.filtered import Filtered
from gateway.formats.json_compiled import CompiledPolicy, NotCompilable
from gateway.formats.json_reference import filtered
from gateway.formats.transforms import Transforms
from gateway.formats.values import ValueRule
from gateway.register.policy import FieldPolicy

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = payload_schema.load(ROOT / "schemas", "las-sync")
FIELDS = SCHEMA.fields
# The payload schema as another validator reads it, without "required": what is sent under a
# policy that strips a pupil's leerlingkey has none, and is still what the policy asked for.
_SCHEMA_TEXT = json.loads((ROOT / "schemas" / "las-sync.schema.json").read_text())
_SCHEMA_TEXT["$defs"]["leerling"].pop("required")
SENT_SCHEMA = jsonschema.Draft202012Validator(
    _SCHEMA_TEXT, format_checker=jsonschema.FormatChecker()
)
REQUIRED_PATHS = {
    f"{parent}.{key}" if parent else key for parent, keys in SCHEMA.required.items() for key in keys
}

# Contract notation: a scalar path as the schema names it (``leerlingen[].adres.postcode``), and
# an array path with ``[]`` appended for "an array of values" (``leerlingen[].ouders[]``).
LEAF_PATHS = sorted(p for p, f in FIELDS.items() if f.kind == "scalar")
ARRAY_PATHS = sorted(p for p, f in FIELDS.items() if f.kind == "array")
KNOWN_SEGMENTS = frozenset(
    segment.removesuffix("[]") for path in FIELDS for segment in path.split(".")
)


def _parent_and_key(path: str) -> tuple[str, str]:
    parent, _, key = path.rpartition(".")
    return parent, key


# For each object path of the schema ("" is the document): its known keys and their paths.
CHILDREN: dict[str, dict[str, str]] = {"": {}}
for _path in FIELDS:
    _parent, _key = _parent_and_key(_path)
    CHILDREN.setdefault(_parent, {})[_key] = _path
    if FIELDS[_path].kind == "object":
        CHILDREN.setdefault(_path, {})
    if FIELDS[_path].kind == "array":
        CHILDREN.setdefault(f"{_path}[]", {})

BASISPOORT: list[str] = yaml.safe_load((ROOT / "contracts" / "basispoort.yaml").read_text())[
    "routes"
][0]["fields"]
EXAMPLES = 200
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- strategies -------------------------------------------------------------------------------

# Keys that spell known paths with dots or brackets: they must never be taken for those paths.
TRICKY_KEYS = [
    "adres.postcode", "leerlingen[].bsn", "school.brin", "ouders[].iban", "leerlingen[]",
    "bsn.", ".bsn", "medisch.notitie", "*", "", "leerlingen.voornaam", "zorgverzekering.",
]  # fmt: skip
RANDOM_NAMES = st.text(alphabet=st.sampled_from("abcxyz_.[]*-Ä0 "), min_size=1, max_size=8).filter(
    lambda name: name not in KNOWN_SEGMENTS
)
KEYS = st.one_of(
    st.sampled_from(sorted(KNOWN_SEGMENTS)),
    st.sampled_from(TRICKY_KEYS),
    RANDOM_NAMES,
)
# Identifiers as they hide in strings: each of these is found by content inspection.
HIDDEN = [
    "123456782", "1234.56.782", "NL91ABNA0417164300", "NL91 ABNA 0417 1643 00", "a@b.nl",
    "06-12345678", "https://ketenid.nl/201703/" + "ab" * 64,
]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-1000, max_value=1000),
    # around the 64-bit edges, where suppliers' JSON parsers start to disagree
    st.sampled_from([2**63 - 1, -(2**63), -(2**63) - 1, 2**64 - 1, 2**64, -(2**80), 2**100]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
    st.builds("{} {}".format, st.sampled_from(["Groep", "van", "x"]), st.sampled_from(HIDDEN)),
)


def valid_value(rule: ValueRule) -> st.SearchStrategy[Any]:
    """Values that keep ``rule`` (mostly: a pattern drawn here may still break a length)."""
    options: list[st.SearchStrategy[Any]] = []
    if rule.enum is not None:
        options.append(st.sampled_from(sorted(rule.enum, key=repr)))
    elif rule.format == "date":
        options.append(st.dates().map(lambda d: d.isoformat()))
    elif rule.format == "email":
        options.append(st.sampled_from(["ouder@example.invalid", "a.b@school.nl"]))
    elif rule.format == "uri":
        options.append(st.sampled_from(["https://school.example.invalid/1.jpg"]))
    elif "string" in rule.types and rule.patterns:
        inner = rule.patterns[0].source[1:-1]
        options.append(st.from_regex(f"(?:{inner})", fullmatch=True).map(lambda v: v[:40]))
    elif "string" in rule.types:
        options.append(st.text(max_size=10))
    if "integer" in rule.types or "number" in rule.types:
        low = int(rule.minimum) if rule.minimum is not None else -1000
        high = int(rule.maximum) if rule.maximum is not None else 1000
        options.append(st.integers(min_value=low, max_value=high))
    if "boolean" in rule.types:
        options.append(st.booleans())
    if "null" in rule.types:
        options.append(st.none())
    return st.one_of(options)


JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def shaped_object(draw: st.DrawFn, path: str, noise: bool) -> dict[str, Any]:
    """An object at schema path ``path``: some known keys and, with ``noise``, anything else."""
    known = CHILDREN[path]
    chosen = draw(st.lists(st.sampled_from(sorted(known)), unique=True)) if known else []
    # A record mostly has the keys it must have: else it is left out whole, and little is seen.
    for key in SCHEMA.required.get(path, ()):
        if key not in chosen and draw(st.integers(0, 3)):
            chosen.insert(0, key)
    document = {key: draw(shaped_value(known[key], noise)) for key in chosen}
    if noise:
        for key, value in draw(st.dictionaries(KEYS, JSON, max_size=2)).items():
            document.setdefault(key, value)
    return document


def shaped_value(path: str, noise: bool) -> st.SearchStrategy[Any]:
    """A value of the kind the schema has at ``path``; with ``noise``, sometimes anything."""
    kind = FIELDS[path].kind
    if kind == "scalar":
        valid = valid_value(SCHEMA.rules[path])
        return st.one_of(valid, valid, SCALARS, JSON) if noise else st.one_of(valid, valid, SCALARS)
    if kind == "object":
        shaped = shaped_object(path, noise)
        return st.one_of(shaped, shaped, JSON) if noise else shaped
    items = f"{path}[]"
    item = shaped_object(items, noise) if CHILDREN[items] else SCALARS
    if not noise:
        return st.lists(item, max_size=3)
    return st.one_of(
        st.lists(st.one_of(item, item, item, JSON), max_size=3),
        st.lists(SCALARS, max_size=3),
        JSON,
    )


@st.composite
def mutated_sync(draw: st.DrawFn) -> dict[str, Any]:
    """A realistic sync (every field of the reference payload) with a few values replaced by
    anything: a wrong type, a broken value, an identifier hidden in a string, a record that is
    no record."""
    document = samples.sync(draw(st.integers(1, 4)), seed=draw(st.integers(0, 99)))
    pupils = document["leerlingen"]
    for _ in range(draw(st.integers(0, 4))):
        target = draw(st.sampled_from(["pupil", "pupil", "pupil", "group", "record"]))
        if target == "record":
            pupils.insert(draw(st.integers(0, len(pupils))), draw(JSON))
            continue
        where = pupils if target == "pupil" else document["groepen"]
        item = draw(st.sampled_from(where))
        if not isinstance(item, dict) or not item:
            continue
        key = draw(st.sampled_from(sorted(item)))
        item[key] = draw(st.one_of(SCALARS, JSON))
    return document


DOCUMENTS = st.one_of(
    shaped_object("", noise=True),
    shaped_object("", noise=True),
    shaped_object("", noise=False),  # well-formed syncs: the compiled filter takes these
    shaped_object("", noise=False),
    mutated_sync(),
    mutated_sync(),
    st.dictionaries(KEYS, JSON),
)


@st.composite
def contract_paths(draw: st.DrawFn) -> list[str]:
    """A random set of allowed paths in contract notation, valid against the schema."""
    leaves = draw(
        st.one_of(
            st.sets(st.sampled_from(LEAF_PATHS)),
            st.sets(st.sampled_from(LEAF_PATHS), min_size=len(LEAF_PATHS) // 2),
            st.just(set(BASISPOORT)),
            st.just(set(LEAF_PATHS)),
        )
    )
    arrays = draw(st.sets(st.sampled_from(ARRAY_PATHS), max_size=3))
    # An array allowed as "array of values" only when nothing inside its items is allowed too.
    candidates = leaves | {f"{a}[]" for a in arrays}
    scalar_arrays = {
        f"{a}[]"
        for a in arrays
        if not any(c.startswith(f"{a}[].") for c in candidates) and f"{a}[]" in SCHEMA.rules
    }
    paths = sorted(leaves | scalar_arrays)
    for path in paths:
        assert SCHEMA.mismatch(path) is None, path
    return paths


# --- the two ways a body is filtered ----------------------------------------------------------


@lru_cache(maxsize=512)
def _policy(paths: tuple[str, ...]) -> FieldPolicy:
    return FieldPolicy.from_paths(paths, SCHEMA)


@lru_cache(maxsize=512)
def _compiled(paths: tuple[str, ...]) -> CompiledPolicy:
    return CompiledPolicy(_policy(paths), SCHEMA)


def run(path: str, document: dict[str, Any], paths: list[str]) -> tuple[Any, Filtered, Any]:
    """Filter ``document`` the ``path`` way: (what the filter read, its result, what is sent)."""
    policy = _policy(tuple(paths))
    if path == "reference":
        result = filtered(document, policy, SCHEMA)
        source: Any = document
    else:
        raw = msgspec.json.encode(document)
        source = msgspec.json.decode(raw)  # what the gateway reads off the wire
        try:
            result, _ = _compiled(tuple(paths)).filtered(raw)
        except NotCompilable:
            result = filtered(source, policy, SCHEMA)
    sent = msgspec.json.decode(result.body)
    return source, result, sent


PATHS = pytest.mark.parametrize("path", ["reference", "production"])


def real_syncs(test: Any) -> Any:
    """Always also try real syncs under the shipped Basispoort policy and under every leaf."""
    test = example(document=samples.sync(3), paths=BASISPOORT)(test)
    test = example(document=samples.sync(2, seed=7), paths=LEAF_PATHS)(test)
    return example(document=samples.sync(2), paths=[])(test)


# --- independent oracles ----------------------------------------------------------------------


def _child(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


def leaves(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every scalar in ``value`` with its path (contract notation)."""
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in leaves(v, _child(path, k))]
    if isinstance(value, list):
        return [leaf for v in value for leaf in leaves(v, f"{path}[]")]
    return [(path, value)]


def leaf_paths(value: Any, path: str = "") -> set[str]:
    """The paths (contract notation) of every scalar in ``value``."""
    if isinstance(value, dict):
        return {p for k, v in value.items() for p in leaf_paths(v, _child(path, k))}
    if isinstance(value, list):
        return {p for v in value for p in leaf_paths(v, f"{path}[]")}
    return {path}


def integers(value: Any) -> list[int]:
    """Every integer (not boolean) in ``value``."""
    if isinstance(value, dict):
        return [i for v in value.values() for i in integers(v)]
    if isinstance(value, list):
        return [i for v in value for i in integers(v)]
    return [value] if isinstance(value, int) and not isinstance(value, bool) else []


def container_paths(value: Any, path: str = "") -> set[str]:
    """The paths of every object and array below the document in ``value``."""
    found = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, dict | list):
                found.add(_child(path, k))
            found |= container_paths(v, _child(path, k))
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, dict | list):
                found.add(f"{path}[]")
            found |= container_paths(v, f"{path}[]")
    return found


def prefixes(paths: list[str]) -> set[str]:
    """Every object or array path that lies on the way to an allowed path."""
    found = set()
    for path in paths:
        steps = path.split(".")
        current = ""
        for index, step in enumerate(steps):
            key = step.removesuffix("[]")
            current = _child(current, key)
            last = index == len(steps) - 1
            if not last or step.endswith("[]"):
                found.add(current)
            if step.endswith("[]") and not last:
                current = f"{current}[]"
                found.add(current)
    return found


def same_scalar(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def is_subdocument(out: Any, source: Any) -> bool:
    """``out`` is ``source`` with keys and array items left out, nothing changed or reordered."""
    if isinstance(out, dict):
        return isinstance(source, dict) and all(
            k in source and is_subdocument(v, source[k]) for k, v in out.items()
        )
    if isinstance(out, list):
        return isinstance(source, list) and align(out, source) is not None
    return same_scalar(out, source)


def align(out: list[Any], source: list[Any]) -> list[int] | None:
    """Indexes into ``source`` of the items ``out`` kept, in order (earliest match), or None."""
    indexes = []
    position = 0
    for item in out:
        while position < len(source) and not is_subdocument(item, source[position]):
            position += 1
        if position == len(source):
            return None
        indexes.append(position)
        position += 1
    return indexes


def dropped(source: Any, out: Any, path: str, counts: Counter[str], paths: list[str]) -> None:
    """Count, per container path, the keys and array items of ``source`` missing from ``out``."""
    if isinstance(out, dict):
        for key, value in source.items():
            if key in out:
                dropped(value, out[key], _child(path, key), counts, paths)
            else:
                counts[path] += 1
    elif isinstance(out, list):
        indexes = records_kept(source, f"{path}[]", paths)
        if indexes is None:
            indexes = align(out, source)
        assert indexes is not None and len(indexes) == len(out)
        counts[path] += len(source) - len(out)
        for item, index in zip(out, indexes, strict=True):
            dropped(source[index], item, f"{path}[]", counts, paths)


def records_kept(source: list[Any], items: str, paths: list[str]) -> list[int] | None:
    """For an array whose items must have keys (pupil records): the indexes of the items that
    are records, in order, as the schema defines one; None for any other array."""
    required = SCHEMA.required.get(items)
    if not required:
        return None

    def is_record(item: Any) -> bool:
        if not isinstance(item, dict):
            return False
        for key in required:
            path = _child(items, key)
            if key not in item or SCHEMA.rules[path].violation(item[key]) is not None:
                return False
            clean = not isinstance(item[key], str) or not inspection.inspect(
                item[key], SCHEMA.rules[path].content
            )
            if path in paths and not clean:
                return False
        return True

    return [index for index, item in enumerate(source) if is_record(item)]


def container_of(name: str) -> str:
    """The container a stripped name was stripped from (``a[]`` from ``a``, ``a.b`` from ``a``)."""
    if name.endswith("[]"):
        return name[:-2]
    return name.rpartition(".")[0]


def schema_place(path: str) -> bool:
    """The document, a schema-known path, or the items of a schema-known array."""
    return path == "" or path in FIELDS or (path.endswith("[]") and path[:-2] in FIELDS)


def keys_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_in(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_in(v)}
    return set()


# --- properties -------------------------------------------------------------------------------


@PATHS
@PROPERTY
@given(document=DOCUMENTS, paths=contract_paths())
@real_syncs
def test_every_forwarded_leaf_is_allowed(
    path: str, document: dict[str, Any], paths: list[str]
) -> None:
    """(a) Every value sent sits at a path the policy allows, keeps the payload schema's rule for
    it (another validator says so), and no integer is beyond 64 bits."""
    _, _, sent = run(path, document, paths)
    assert leaf_paths(sent) <= set(paths)
    assert container_paths(sent) <= prefixes(paths)
    assert all(-(2**63) <= i <= 2**63 - 1 for i in integers(sent))
    errors = [f"{e.json_path}: {e.validator}" for e in SENT_SCHEMA.iter_errors(sent)]
    assert errors == []


@PATHS
@PROPERTY
@given(document=DOCUMENTS, paths=contract_paths())
@real_syncs
def test_no_string_sent_holds_an_identifier_its_field_may_not_carry(
    path: str, document: dict[str, Any], paths: list[str]
) -> None:
    """(a') Content inspection finds nothing in what is sent, but what a field is declared to
    hold (an e-mail address in ``email``)."""
    _, _, sent = run(path, document, paths)
    for leaf, value in leaves(sent):
        if isinstance(value, str):
            declared = SCHEMA.rules[leaf].content
            assert inspection.inspect(value, declared) == frozenset(), leaf


@PATHS
@PROPERTY
@given(document=DOCUMENTS, paths=contract_paths())
@real_syncs
def test_forwarded_document_is_a_subdocument_of_the_input(
    path: str, document: dict[str, Any], paths: list[str]
) -> None:
    """(b) What is sent only leaves things out: values unchanged, array items in their order."""
    original = copy.deepcopy(document)
    source, _, sent = run(path, document, paths)
    assert document == original, "the input was changed"
    assert is_subdocument(sent, source)


@PATHS
@PROPERTY
@given(document=DOCUMENTS, paths=contract_paths())
@real_syncs
def test_stripped_counts_account_for_every_dropped_value(
    path: str, document: dict[str, Any], paths: list[str]
) -> None:
    """(c) Stripped, invalid and inspected occurrences together equal the keys and array items
    dropped, per container and in all; a record left out for its required key counts once, as
    an item of its array."""
    source, result, sent = run(path, document, paths)
    drops: Counter[str] = Counter()
    dropped(source, sent, "", drops, paths)
    assert all(count > 0 for count in result.stripped.values())
    left_out = {name: sum(kinds.values()) for name, kinds in result.invalid.items()}
    for name, kinds in result.inspected.items():
        left_out[name] = left_out.get(name, 0) + sum(kinds.values())
    assert all(count > 0 for count in left_out.values())
    by_container: Counter[str] = Counter()
    for name, count in result.stripped.items():
        by_container[container_of(name)] += count
    for name, count in left_out.items():
        container = container_of(name)
        if name in REQUIRED_PATHS:  # the whole record went: an item of the array above
            container = container_of(container)
        by_container[container] += count
    assert by_container == +drops


@PROPERTY
@given(document=DOCUMENTS, paths=contract_paths())
@real_syncs
def test_the_compiled_filter_gives_the_reference_filters_answer(
    document: dict[str, Any], paths: list[str]
) -> None:
    """(c') Whatever the body, both filters send the same document and count the same things."""
    _, reference, sent_reference = run("reference", document, paths)
    _, production, sent_production = run("production", document, paths)
    assert sent_production == sent_reference
    assert production.stripped == reference.stripped
    assert production.invalid == reference.invalid
    assert production.inspected == reference.inspected
    assert production.forwarded == reference.forwarded
    assert production.records == reference.records


@PATHS
@PROPERTY
@given(document=DOCUMENTS, paths=contract_paths())
@real_syncs
def test_forwarded_names_exactly_the_leaves_carrying_values(
    path: str, document: dict[str, Any], paths: list[str]
) -> None:
    """(d) ``forwarded`` is exactly the set of leaf paths that carry a value in what is sent."""
    _, result, sent = run(path, document, paths)
    assert set(result.forwarded) == leaf_paths(sent)


@PATHS
@PROPERTY
@given(document=DOCUMENTS, paths=contract_paths())
@real_syncs
def test_stripped_names_never_carry_a_senders_key(
    path: str, document: dict[str, Any], paths: list[str]
) -> None:
    """(e) A stripped name is a schema path or ``<schema path>.*``, never a key the sender chose;
    an invalid or inspected one is always a schema path, with kinds of the gateway's own."""
    _, result, _ = run(path, document, paths)
    senders_keys = keys_in(document) - KNOWN_SEGMENTS - {"*"}
    for name, kinds in result.invalid.items():
        assert schema_place(name), name
        assert set(kinds) <= {"type", "enum", "pattern", "format", "length", "range", "required"}
    for name, kinds in result.inspected.items():
        assert schema_place(name), name
        assert set(kinds) <= set(inspection.Kind)
    for name in result.stripped:
        if name == "*" or name.endswith(".*"):
            assert schema_place(name.removesuffix("*").removesuffix(".")), name
        else:
            assert schema_place(name), name
        segments = {s.removesuffix("[]") for s in name.split(".")}
        assert segments <= KNOWN_SEGMENTS | {"*"}, name
        assert not segments & senders_keys, name


@PATHS
@PROPERTY
@given(document=DOCUMENTS, paths=contract_paths())
@real_syncs
def test_filtering_is_idempotent(path: str, document: dict[str, Any], paths: list[str]) -> None:
    """(f) Filtering what was sent again takes nothing out and changes nothing (where the policy
    lets a record's required keys through: without them what is sent is no sync itself)."""
    _, first, sent = run(path, document, paths)
    assume(not first.records or set(paths) >= REQUIRED_PATHS)
    _, again, sent_again = run(path, sent, paths)
    assert again.stripped == {}
    assert again.invalid == {}
    assert again.inspected == {}
    assert sent_again == sent
    assert again.forwarded == first.forwarded


@pytest.mark.parametrize(
    "interesting",
    [
        lambda doc, paths, r: any(n.endswith(".*") and n != "*" for n in r.stripped),
        lambda doc, paths, r: any(n.endswith("[]") for n in r.invalid),
        lambda doc, paths, r: any(n.count(".") >= 2 for n in r.forwarded),
        lambda doc, paths, r: len(r.forwarded) >= 3 and len(r.stripped) >= 3,
        lambda doc, paths, r: any(len(kinds) >= 1 for kinds in r.invalid.values()) and r.forwarded,
        lambda doc, paths, r: bool(r.inspected) and r.forwarded,
        lambda doc, paths, r: (
            any("required" in kinds for kinds in r.invalid.values()) and r.records >= 1
        ),
        lambda doc, paths, r: r.records >= 2 and not r.invalid and len(r.forwarded) >= 3,
    ],
    ids=[
        "unknown-key-below-root",
        "array-item-stripped",
        "deep-forward",
        "mixed",
        "invalid",
        "inspected",
        "record-left-out",
        "valid-records",
    ],
)
def test_generators_reach_the_interesting_cases(interesting: Any) -> None:
    """The strategies do produce nested unknown keys, stripped items, deep kept values, invalid
    values beside valid ones, hidden identifiers, records left out beside records kept, and
    clean syncs."""
    find(
        st.tuples(DOCUMENTS, contract_paths()),
        lambda pair: bool(
            interesting(pair[0], pair[1], filtered(pair[0], _policy(tuple(pair[1])), SCHEMA))
        ),
        settings=settings(max_examples=2000, deadline=None, database=None, phases=[Phase.generate]),
    )


# --- consents and transformations -------------------------------------------------------------

CONTEXT = Transforms.for_supplier(b"\x07" * 32, "basispoort", date(2026, 2, 28))
ALL_CONTENT = [str(kind) for kind in inspection.Kind]


def _record_of(path: str) -> str | None:
    """The records (``x[]``) whose own key ``path`` is, or None."""
    record, _, _ = path.rpartition(".")
    return record if record.endswith("[]") else None


# Per field a contract may condition: the booleans of its own record it may depend on.
CONSENTS: dict[str, list[str]] = {}
for _path in sorted(set(LEAF_PATHS) | {f"{a}[]" for a in ARRAY_PATHS}):
    _record = _record_of(_path)
    if _record is None:
        continue
    _key = _path.removeprefix(f"{_record}.").removesuffix("[]")
    if _key in SCHEMA.required.get(_record, ()):
        continue
    _inside = {p.removeprefix(f"{_record}."): r for p, r in SCHEMA.rules.items()}
    _booleans = [
        p
        for p, r in _inside.items()
        if f"{_record}.{p}" in SCHEMA.rules
        and "[]" not in p
        and r.types <= {"boolean", "null"}
        and p.split(".")[0] != _key
    ]
    if _booleans:
        CONSENTS[_path] = _booleans
# Per field: the transformations that fit it.
FITS: dict[str, list[str]] = {
    path: [
        name
        for name in sorted(transforms.NAMES)
        if transforms.unfit(name, SCHEMA.rules.get(path)) is None
        and (name != "pseudonym" or SCHEMA.rules[path].violation("0" * 32) is None)
    ]
    for path in SCHEMA.rules
}


@st.composite
def conditioned_contract(
    draw: st.DrawFn,
) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """Allowed paths as ``contract_paths``, some with a transformation, some with a consent."""
    paths = draw(contract_paths())
    transformed = {
        p: draw(st.sampled_from(FITS[p]))
        for p in paths
        if FITS.get(p) and draw(st.integers(0, 2)) > 0
    }
    consents = {
        p: draw(st.sampled_from(CONSENTS[p]))
        for p in paths
        if p in CONSENTS and draw(st.booleans())
    }
    if draw(st.booleans()) and "leerlingen[].foto_url" in CONSENTS:  # the case of the issue
        paths = sorted({*paths, "leerlingen[].foto_url"})
        consents["leerlingen[].foto_url"] = "toestemmingen.foto_video"
    return paths, transformed, consents


def run_conditioned(
    path: str, document: dict[str, Any], contract: tuple[list[str], dict[str, str], dict[str, str]]
) -> tuple[Filtered, Any]:
    paths, transformed, consents = contract
    policy = FieldPolicy.from_paths(paths, SCHEMA, transforms=transformed, consents=consents)
    if path == "reference":
        result = filtered(document, policy, SCHEMA, CONTEXT)
    else:
        raw = msgspec.json.encode(document)
        try:
            result, _ = CompiledPolicy(policy, SCHEMA).filtered(raw, context=CONTEXT)
        except NotCompilable:
            result = filtered(msgspec.json.decode(raw), policy, SCHEMA, CONTEXT)
    return result, msgspec.json.decode(result.body)


def edge_sync() -> dict[str, Any]:
    """A real sync with every way a consent can be absent and a null in transformed fields."""
    document = samples.sync(6, seed=3)
    pupils = document["leerlingen"]
    pupils[0]["toestemmingen"]["foto_video"] = None
    del pupils[1]["toestemmingen"]
    pupils[2]["toestemmingen"] = "ja"
    pupils[3]["toestemmingen"]["foto_video"] = 1
    pupils[4]["toestemmingen"]["foto_video"] = True
    pupils[4]["geboortedatum"] = None
    pupils[4]["adres"]["postcode"] = None
    pupils[5]["toestemmingen"]["foto_video"] = False
    pupils[5]["geboortedatum"] = "2016-02-29"
    return document


EDGE_CONTRACT = (
    [*BASISPOORT, "leerlingen[].foto_url", "leerlingen[].adres.postcode"],
    {
        "leerlingen[].leerlingkey": "pseudonym",
        "leerlingen[].geboortedatum": "age_years",
        "leerlingen[].adres.postcode": "postcode_digits",
    },
    {"leerlingen[].foto_url": "toestemmingen.foto_video"},
)

CONDITIONED = settings(
    max_examples=EXAMPLES // 2,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@CONDITIONED
@given(document=DOCUMENTS, contract=conditioned_contract())
@example(document=edge_sync(), contract=EDGE_CONTRACT)
def test_both_filters_agree_on_consents_and_transformations(
    document: dict[str, Any], contract: tuple[list[str], dict[str, str], dict[str, str]]
) -> None:
    """(c'') With consents and transformations too, both filters send the same document and
    count the same things, withheld and transformed included."""
    reference, sent_reference = run_conditioned("reference", document, contract)
    production, sent_production = run_conditioned("production", document, contract)
    assert sent_production == sent_reference
    assert production.stripped == reference.stripped
    assert production.invalid == reference.invalid
    assert production.inspected == reference.inspected
    assert production.forwarded == reference.forwarded
    assert production.records == reference.records
    assert production.withheld == reference.withheld
    assert production.transformed == reference.transformed


@PATHS
@CONDITIONED
@given(document=DOCUMENTS, contract=conditioned_contract())
@example(document=edge_sync(), contract=EDGE_CONTRACT)
def test_a_conditioned_field_leaves_only_with_its_pupils_consent(
    path: str,
    document: dict[str, Any],
    contract: tuple[list[str], dict[str, str], dict[str, str]],
) -> None:
    """(g) A record sent with a consent-conditioned field came from a record whose consent is
    true, and every kept record that had the field without its consent is counted withheld."""
    paths, _, consents = contract
    result, sent = run_conditioned(path, document, (paths, {}, consents))
    source = msgspec.json.decode(msgspec.json.encode(document))
    withheld: Counter[str] = Counter()
    for field, consent in consents.items():
        record = _record_of(field)
        assert record is not None
        array, key = record[:-2], field.rpartition(".")[2].removesuffix("[]")
        if "." in array or not isinstance(source.get(array), list):
            continue
        kept = records_kept(source[array], record, paths)
        if kept is None or not isinstance(sent.get(array), list):
            continue
        assert len(kept) == len(sent[array])
        for index, out in zip(kept, sent[array], strict=True):
            item = source[array][index]
            value: Any = item
            for step in consent.split("."):
                value = value.get(step) if isinstance(value, dict) else None
            if key in item and value is not True:
                withheld[f"{record}.{key}"] += 1
                assert key not in out
    assert result.withheld == dict(withheld)


def _independent(name: str, value: Any) -> Any:
    """What transformation ``name`` makes of ``value``, computed here (None: it cannot)."""
    if name == "pseudonym":
        return hmac.new(CONTEXT.pseudonym_key, value.encode(), hashlib.sha256).hexdigest()[:32]
    if name == "postcode_digits":
        return value[:4] if re.fullmatch("[0-9]{4}", value[:4], re.ASCII) else None
    born = date.fromisoformat(value)
    if name == "birth_year":
        return born.year
    today = CONTEXT.today  # 28 February: a 29 February birthday has not come yet
    return today.year - born.year - (1 if (today.month, today.day) < (born.month, born.day) else 0)


def _apply_expected(
    value: Any, path: str, transformed: dict[str, str], cannot: Counter[str]
) -> Any:
    """``value`` (sent without transformations) as the transformations should make it."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            child = _child(path, key)
            if child in transformed and not isinstance(item, dict | list):
                if item is None:
                    out[key] = None
                    continue
                made = _independent(transformed[child], item)
                if made is None:
                    cannot[child] += 1
                else:
                    out[key] = made
            else:
                out[key] = _apply_expected(item, child, transformed, cannot)
        return out
    if isinstance(value, list):
        items = f"{path}[]"
        if items in transformed:
            kept = []
            for item in value:
                made = None if item is None else _independent(transformed[items], item)
                if item is None:
                    kept.append(None)
                elif made is None:
                    cannot[items] += 1
                else:
                    kept.append(made)
            return kept
        return [_apply_expected(item, items, transformed, cannot) for item in value]
    return value


@PATHS
@CONDITIONED
@given(document=DOCUMENTS, contract=conditioned_contract())
@example(document=edge_sync(), contract=EDGE_CONTRACT)
def test_transformations_are_exact_and_counted(
    path: str,
    document: dict[str, Any],
    contract: tuple[list[str], dict[str, str], dict[str, str]],
) -> None:
    """(h) What is sent with transformations is what is sent without them (inspection aside,
    which transformed fields skip), each transformed value computed independently here, and
    counted per path and transformation."""
    paths, transformed, consents = contract
    plain = FieldPolicy.from_paths(
        paths, SCHEMA, allow_content={p: ALL_CONTENT for p in transformed}, consents=consents
    )
    baseline = filtered(copy.deepcopy(document), plain, SCHEMA, CONTEXT)
    result, sent = run_conditioned(path, document, contract)
    cannot: Counter[str] = Counter()
    assert sent == _apply_expected(msgspec.json.decode(baseline.body), "", transformed, cannot)
    invalid = copy.deepcopy(baseline.invalid)
    for where, n in cannot.items():
        invalid.setdefault(where, {})["transform"] = n
    assert result.invalid == invalid
    assert result.inspected == baseline.inspected
    assert result.withheld == baseline.withheld
    made = Counter(where for where, kinds in result.transformed.items() for _ in kinds)
    assert all(set(kinds) == {transformed[where]} for where, kinds in result.transformed.items())
    assert sum(n for kinds in result.transformed.values() for n in kinds.values()) == sum(
        _non_null(msgspec.json.decode(baseline.body), "", where) for where in transformed
    ) - sum(cannot.values())
    assert set(made) <= set(transformed)


def _non_null(value: Any, path: str, target: str) -> int:
    """How many non-null scalars sit at ``target`` in ``value``."""
    if isinstance(value, dict):
        return sum(_non_null(v, _child(path, k), target) for k, v in value.items())
    if isinstance(value, list):
        return sum(_non_null(v, f"{path}[]", target) for v in value)
    return int(path == target and value is not None)


@pytest.mark.parametrize(
    "consents",
    [
        [True, False, None, True, "missing", {"nested": True}],  # every consent object decodes
        [True, False, True, True, True, "no object"],  # one that is no object: one by one
        [True, True, True, True, True, True],
    ],
)
def test_consents_read_in_one_pass_or_one_by_one_agree(consents: list[Any]) -> None:
    """The compiled filter reads the consents of records whose consent object it does not let
    through in one decode, or record by record where one is no object: the same answer as the
    reference filter either way."""
    document = samples.sync(len(consents), seed=5)
    for pupil, consent in zip(document["leerlingen"], consents, strict=True):
        if consent == "missing":
            del pupil["toestemmingen"]["foto_video"]
        elif consent == "no object":
            pupil["toestemmingen"] = "ja"
        else:
            pupil["toestemmingen"]["foto_video"] = consent
    contract = (
        [*BASISPOORT, "leerlingen[].foto_url"],
        {},
        {"leerlingen[].foto_url": "toestemmingen.foto_video"},
    )
    reference, sent_reference = run_conditioned("reference", document, contract)
    production, sent_production = run_conditioned("production", document, contract)
    assert sent_production == sent_reference
    assert production.withheld == reference.withheld
    expected = sum(consent is not True for consent in consents)
    assert reference.withheld == ({"leerlingen[].foto_url": expected} if expected else {})
