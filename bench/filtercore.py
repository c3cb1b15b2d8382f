"""Part 1, the filter core: the gateway's filter against the naive approach, same payload.

Each filter takes the raw body and gives back the forwarded body and the stripped-field counts
(``{"leerlingen[].bsn": 1000, ...}``); all must agree exactly, which is checked once per size
before anything is timed.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import hashlib
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import orjson

from gateway.formats import inspection
from gateway.formats.json_reference import filtered
from gateway.formats.payload_schema import PayloadSchema
from gateway.register import loading
from gateway.register.agreements import Route
from gateway.register.schools import School
from gateway.settings import Settings
from gateway.transfer import receive, resolve_agreement

# The filter step exactly as the proxy runs it (the compiled path, or the reference filter for
# a body it cannot account for). The one line to change when the entry point moves.
from gateway.transfer.filter import payload as gateway_entry

ROOT = Path(__file__).resolve().parent.parent
_encode = msgspec.json.Encoder().encode

FilterFn = Callable[[bytes], tuple[bytes, dict[str, int]]]


@functools.cache
def basispoort_sync() -> tuple[Route, PayloadSchema]:
    """The route a sync for school 99XX resolves to, loaded as the gateway loads it."""
    settings = Settings(
        contracts_dir=ROOT / "contracts", config_dir=ROOT / "config", schemas_dir=ROOT / "schemas"
    )
    enforced = loading.load(settings, {})
    agreement = enforced.register.in_force("basispoort", School.parse("99XX"), dt.date.today())
    route = resolve_agreement.route(agreement, "POST", "/sync")
    return route, enforced.payload_schemas[route.payload]


def gateway_filter(raw: bytes | bytearray) -> tuple[bytes, dict[str, int]]:
    """Filter and encode as the gateway does."""
    route, schema = basispoort_sync()
    result, _school = gateway_entry(raw, route, schema)
    return bytes(result.body), result.stripped


def reference_filter(raw: bytes) -> tuple[bytes, dict[str, int]]:
    """The reference filter (``gateway.formats.json_reference``): decode, walk, encode."""
    route, schema = basispoort_sync()
    result = filtered(receive.document(raw), route.policy, schema)
    return bytes(result.body), result.stripped


def field_paths(document: Any, prefix: str = "") -> set[str]:
    """The dotted field paths (``leerlingen[].voornaam``) that hold values in ``document``."""
    if isinstance(document, dict):
        found: set[str] = set()
        for key, value in document.items():
            found |= field_paths(value, f"{prefix}.{key}" if prefix else key)
        return found
    if isinstance(document, list):
        return set().union(*(field_paths(item, f"{prefix}[]") for item in document))
    return {prefix}


@functools.cache
def _naive_rules() -> dict[str, tuple[bool, frozenset[str]]]:
    """Top-level key -> (is a list of objects, keys allowed in it), from the same route."""
    allowed: dict[str, tuple[bool, set[str]]] = {}
    for path in basispoort_sync()[0].policy.allowed:
        head, _, key = path.partition(".")
        is_list = head.endswith("[]")
        allowed.setdefault(head.removesuffix("[]"), (is_list, set()))[1].add(key)
    return {top: (is_list, frozenset(keys)) for top, (is_list, keys) in allowed.items()}


def naive_filter(raw: bytes) -> tuple[bytes, dict[str, int]]:
    """The naive approach: parse the whole body with orjson, filter with dict comprehensions,
    count the stripped keys per object, dump with orjson."""
    rules = _naive_rules()
    document = orjson.loads(raw)
    kept: dict[str, Any] = {}
    stripped: dict[str, int] = {}
    for top, value in document.items():
        rule = rules.get(top)
        if rule is None:
            stripped[top] = stripped.get(top, 0) + 1
            continue
        is_list, allowed = rule
        dropped: Counter[str] = Counter()
        if is_list:
            kept[top] = [_keep(item, allowed, dropped) for item in value]
        else:
            kept[top] = _keep(value, allowed, dropped)
        prefix = f"{top}[]." if is_list else f"{top}."
        stripped.update((prefix + key, count) for key, count in dropped.items())
    return orjson.dumps(kept), stripped


def _keep(item: dict[str, Any], allowed: frozenset[str], dropped: Counter[str]) -> dict[str, Any]:
    dropped.update(item.keys() - allowed)
    return {key: value for key, value in item.items() if key in allowed}


@functools.cache
def _naive_checks() -> dict[str, Callable[[Any], bool]]:
    """Path -> "is this value fine": the schema's rules (types, enums, ranges, lengths, anchored
    patterns with ``re.fullmatch``, real dates) and content inspection, one value at a time, as
    a developer would write it beside the naive filter."""
    route, schema = basispoort_sync()
    checks = {}
    for path in route.policy.allowed:
        rule = schema.rules[path]

        def ok(value: Any, rule: Any = rule) -> bool:
            if rule.violation(value) is not None:
                return False
            return not (isinstance(value, str) and inspection.inspect(value, rule.content))

        checks[path] = ok
    return checks


def naive_validating_filter(raw: bytes) -> tuple[bytes, dict[str, int]]:
    """The naive filter, then every kept value checked as above; a value that fails is left
    out (on the sample syncs none does, so the answers stay comparable)."""
    body, stripped = naive_filter(raw)
    document = orjson.loads(body)
    checks = _naive_checks()
    for top, value in document.items():
        items = value if isinstance(value, list) else [value]
        prefix = f"{top}[]." if isinstance(value, list) else f"{top}."
        for item in items:
            for key in [k for k, v in item.items() if not checks[prefix + k](v)]:
                del item[key]
    return orjson.dumps(document), stripped


FILTERS: dict[str, FilterFn] = {
    "gateway": gateway_filter,
    "reference": reference_filter,
    "naive": naive_filter,
    "naive-validating": naive_validating_filter,
}


@dataclass(frozen=True)
class FilterResult:
    pupils: int
    body_bytes: int
    forwarded_bytes: int
    stripped_fields: int
    seconds: dict[str, float]  # median of the runs, per filter
    runs: int

    def pupils_per_s(self, name: str) -> float:
        return self.pupils / self.seconds[name]

    @property
    def ratio(self) -> float:
        """How many times faster the gateway's filter is than the naive approach, when the
        naive approach checks the same values (the gateway always does)."""
        return self.seconds["naive-validating"] / self.seconds["gateway"]

    @property
    def ratio_unchecked(self) -> float:
        """The same against the naive filter that checks no values."""
        return self.seconds["naive"] / self.seconds["gateway"]


def check_same(raw: bytes) -> tuple[int, int]:
    """Every filter forwards the same document and counts the same stripped fields.

    Returns the size of the forwarded body and the number of fields stripped."""
    answers = {name: function(raw) for name, function in FILTERS.items()}
    body, stripped = answers["gateway"]
    document = orjson.loads(body)
    for name, (other_body, other_stripped) in answers.items():
        if orjson.loads(other_body) != document:
            raise AssertionError(f"the gateway and the {name} filter forward different documents")
        if other_stripped != stripped:
            raise AssertionError(
                f"stripped fields differ: gateway {stripped}, {name} {other_stripped}"
            )
    return len(body), sum(stripped.values())


def _timed(function: FilterFn, raw: bytes) -> float:
    gc.collect()
    start = time.perf_counter()
    function(raw)
    return time.perf_counter() - start


def measure(
    pupils: int, raw: bytes, *, max_runs: int, min_runs: int, budget_s: float
) -> FilterResult:
    """Time every filter on ``raw``, in turn, ``min_runs`` to ``max_runs`` times each,
    stopping once ``budget_s`` seconds have passed. The check before warms them up."""
    forwarded_bytes, stripped_fields = check_same(raw)
    times: dict[str, list[float]] = {name: [] for name in FILTERS}
    deadline = time.monotonic() + budget_s
    runs = 0
    while runs < max_runs and (runs < min_runs or time.monotonic() < deadline):
        for name, function in FILTERS.items():
            times[name].append(_timed(function, raw))
        runs += 1
    return FilterResult(
        pupils=pupils,
        body_bytes=len(raw),
        forwarded_bytes=forwarded_bytes,
        stripped_fields=stripped_fields,
        seconds={name: statistics.median(values) for name, values in times.items()},
        runs=runs,
    )


def body_work_seconds(raw: bytes, *, runs: int) -> float:
    """What the proxy does to one body once it has it, alone: filter, encode, hash (median of
    ``runs``). Its inverse is the most requests a second one process could serve, were HTTP
    and the log free."""
    received = bytearray(raw)  # as the proxy holds a body it has read
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        forwarded, _stripped = gateway_filter(received)
        hashlib.sha256(forwarded).hexdigest()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
