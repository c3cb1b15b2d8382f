"""Inspection's cost on a 1,000-pupil sync, and the alternatives it was chosen over.

Run from the repository root: ``.venv/bin/python bench/inspection.py`` (``--pupils N``,
``--rounds N``). Stand-alone: not part of ``make bench``. Every method gets the same columns of
``samples.sync`` (one field across all records, as the gateway's fast filter has them) and the
same declared kinds per column; each is timed ``--rounds`` times with the garbage collector
off, and the median and the fastest round are printed in milliseconds per sync.

``--false-positives SEEDS`` instead counts what inspection finds in generated school data that
holds no personal data (``tests/formats/dutch.py``, 5,000 values per category and seed) and in
the fields of the sample sync, and prints every hit.

Methods:

- *column*: ``inspect_column`` per column (what the gateway calls).
- *per value*: ``inspect`` on every value.
- *column, no prefilter*: ``inspect_column`` with the questions answered in C disabled, so every
  column is read with the regular expressions (still with the reading order).
- *column, no ECK iD shortcut*: ``inspect_column`` without the check that recognises a column of
  canonical ECK iDs at once.
- *per value, no prefilter*.
- *one combined regex*: one alternation of the five patterns over the NUL-joined column, leftmost
  match wins (no reading order), BSNs and IBANs validated per match, offsets mapped to values
  with ``bisect``. Its answers can differ; the table says whether they agree.
"""

from __future__ import annotations

import argparse
import bisect
import gc
import itertools
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway import samples
from gateway.formats import inspection
from gateway.formats.inspection import Kind, inspect, inspect_column

Column = tuple[str, list[str], frozenset[Kind]]
Answer = list[dict[int, frozenset[Kind]]]
Method = Callable[[list[Column]], Answer]

BASISPOORT = [
    "leerlingkey", "basispoort_id", "voornaam", "roepnaam", "tussenvoegsel", "achternaam",
    "geboortedatum", "geslacht", "groepskey", "groepsnaam",
]  # fmt: skip
ADDRESS = ["adres.straat", "adres.huisnummer", "adres.postcode", "adres.woonplaats"]


def field(record: dict[str, Any], path: str) -> Any:
    for key in path.split("."):
        record = record[key]
    return record


def workloads(pupils: int) -> dict[str, list[Column]]:
    sync = samples.sync(pupils)
    records = sync["leerlingen"]
    parents = [record["ouders"][0] for record in records]

    def column(path: str, *declared: Kind, of: list[dict[str, Any]] = records) -> Column:
        return path, [field(r, path) for r in of], frozenset(declared)

    groups = [
        ("groepen[].groepskey", [g["groepskey"] for g in sync["groepen"]], frozenset()),
        ("groepen[].naam", [g["naam"] for g in sync["groepen"]], frozenset()),
    ]
    basispoort = [*groups, *(column(p) for p in BASISPOORT), column("eckid", Kind.ECKID)]
    eckids_upper = [e.upper() for e in field_values(records, "eckid")]
    return {
        "Basispoort set + eckid (11 per pupil)": basispoort,
        "16 per pupil (+ birthplace, address)": [
            *basispoort,
            column("geboorteplaats"),
            *(column(p) for p in ADDRESS),
        ],
        "eckid, declared": [column("eckid", Kind.ECKID)],
        "eckid, declared, in capitals": [("ECKID", eckids_upper, frozenset({Kind.ECKID}))],
        "eckid, not declared": [column("eckid")],
        "email, declared": [column("email", Kind.EMAIL)],
        "telefoonnummer, declared": [column("telefoonnummer", Kind.PHONE)],
        "telefoonnummer, not declared": [column("telefoonnummer")],
        "ouders[].iban, declared": [column("iban", Kind.IBAN, of=parents)],
        "bsn, declared": [column("bsn", Kind.BSN)],
    }


def field_values(records: list[dict[str, Any]], path: str) -> list[str]:
    return [field(r, path) for r in records]


# -- methods ------------------------------------------------------------------------------


def by_column(columns: list[Column]) -> Answer:
    return [inspect_column(values, skip) for _, values, skip in columns]


def by_value(columns: list[Column]) -> Answer:
    answers = []
    for _, values, skip in columns:
        answer = {}
        for i, value in enumerate(values):
            kinds = inspect(value, skip)
            if kinds:
                answer[i] = kinds
        answers.append(answer)
    return answers


@contextmanager
def patched(name: str, replacement: object, owner: object = inspection) -> Iterator[None]:
    original = getattr(owner, name)
    setattr(owner, name, replacement)
    try:
        yield
    finally:
        setattr(owner, name, original)


def without_prefilter(method: Method) -> Method:
    def run(columns: list[Column]) -> Answer:
        with patched("_possible", lambda text: frozenset(Kind)):
            return method(columns)

    return run


def without_eckid_shortcut(columns: list[Column]) -> Answer:
    with patched("_all_canonical_eckids", lambda raw, parts: False):
        return by_column(columns)


_COMBINED = re.compile(
    "|".join(
        f"(?P<{kind.value}>{pattern.pattern})"
        for kind, pattern in [
            (Kind.ECKID, re.compile("(?i:" + inspection._ECKID.pattern + ")")),
            (Kind.EMAIL, inspection._EMAIL),
            (Kind.IBAN, inspection._IBAN),
            (Kind.PHONE, inspection._PHONE),
            (Kind.BSN, inspection._BSN),
        ]
    )
)


def combined_regex(columns: list[Column]) -> Answer:
    answers = []
    for _, values, skip in columns:
        text = "\x00".join(values)
        starts: list[int] | None = None
        answer: dict[int, set[Kind]] = {}
        for match in _COMBINED.finditer(text):
            kind = Kind(match.lastgroup)
            if kind in skip:
                continue
            if kind is Kind.BSN and not inspection._passes_eleven_test(match.group()):
                continue
            if kind is Kind.IBAN and not inspection._iban_end(match):
                continue
            if starts is None:
                starts = list(itertools.accumulate((len(v) + 1 for v in values), initial=0))
            answer.setdefault(bisect.bisect_right(starts, match.start()) - 1, set()).add(kind)
        answers.append({i: frozenset(k) for i, k in sorted(answer.items())})
    return answers


METHODS: dict[str, Method] = {
    "column": by_column,
    "per value": by_value,
    "column, no prefilter": without_prefilter(by_column),
    "column, no ECK iD shortcut": without_eckid_shortcut,
    "per value, no prefilter": without_prefilter(by_value),
    "one combined regex": combined_regex,
}


# -- timing -------------------------------------------------------------------------------


def timed(method: Method, columns: list[Column], rounds: int) -> tuple[float, float]:
    method(columns)  # warm
    times = []
    gc.disable()
    try:
        for _ in range(rounds):
            start = time.perf_counter()
            method(columns)
            times.append(time.perf_counter() - start)
    finally:
        gc.enable()
    return statistics.median(times) * 1e3, min(times) * 1e3


def hits(answer: Answer) -> int:
    return sum(len(a) for a in answer)


def per_column(columns: list[Column], rounds: int) -> Iterator[tuple[str, int, float]]:
    for name, values, skip in columns:
        median, _ = timed(by_column, [(name, values, skip)], rounds)
        yield name, sum(map(len, values)), median


def false_positives(seeds: int, pupils: int) -> None:
    from tests.formats import dutch

    values = 0
    hit: Counter[tuple[str, str, tuple[str, ...]]] = Counter()
    for seed in range(1, seeds + 1):
        for category, column in dutch.corpus(5000, seed).items():
            values += len(column)
            for i, kinds in inspect_column(column).items():
                hit[category, column[i], tuple(sorted(kinds))] += 1
    print(f"generated: {values:,} values in {len(dutch.corpus(1))} categories, {seeds} seeds")
    print(f"hits: {sum(hit.values())}")
    for (category, value, kinds), count in hit.most_common():
        print(f"  {category}: {value!r} {kinds} x{count}")
    sync = samples.sync(pupils)
    print(f"sample sync, {pupils} pupils, every string field with nothing declared:")
    paths: dict[str, list[str]] = {}
    collect(sync, "", paths)
    for path, column in paths.items():
        found = Counter(k.value for kinds in inspect_column(column).values() for k in kinds)
        if found:
            print(f"  {path}: {len(column)} values, {dict(found)}")
    print(f"  ({len(paths)} fields; those not listed: no hits)")


def collect(node: object, at: str, paths: dict[str, list[str]]) -> None:
    if isinstance(node, dict):
        for key, child in node.items():
            collect(child, f"{at}.{key}" if at else key, paths)
    elif isinstance(node, list):
        for child in node:
            collect(child, f"{at}[]", paths)
    elif isinstance(node, str):
        paths.setdefault(at, []).append(node)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--false-positives", type=int, metavar="SEEDS", default=0)
    args = parser.parse_args(argv)
    if args.false_positives:
        false_positives(args.false_positives, args.pupils)
        return
    loads = workloads(args.pupils)
    print(f"# inspection, {args.pupils} pupils, median (fastest) of {args.rounds} rounds, ms")
    print()
    print("| workload | strings | " + " | ".join(METHODS) + " |")
    print("| --- | ---: |" + " ---: |" * len(METHODS))
    for load, columns in loads.items():
        expected = by_column(columns)
        cells = []
        for method in METHODS.values():
            median, fastest = timed(method, columns, args.rounds)
            agrees = "" if method(columns) == expected else " (differs)"
            cells.append(f"{median:.3f} ({fastest:.3f}){agrees}")
        strings = sum(len(values) for _, values, _ in columns)
        print(f"| {load}, {hits(expected)} hits | {strings:,} | " + " | ".join(cells) + " |")
    print()
    print("Per column, 'column' method, the 16-per-pupil workload:")
    print()
    print("| column | characters | median ms |")
    print("| --- | ---: | ---: |")
    for name, characters, median in per_column(loads["16 per pupil (+ birthplace, address)"], 30):
        print(f"| {name} | {characters:,} | {median:.3f} |")


if __name__ == "__main__":
    main()
