"""What a filter gives back, whichever filter and format: the document to forward and an account
of what went: field paths forwarded; stripped (not allowed), invalid (allowed, but breaking
the field's value rule) and inspected (allowed and valid, but holding an identifier of a kind
the field may not carry) with counts per path and kind; withheld (allowed, but the pupil's
consent it depends on is not true) with counts per path; transformed (forwarded as a
transformation of the value) with counts per path and transformation; and the records
forwarded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# (brin, dependance) as the payload names them, or None when it names no school.
NamedSchool = tuple[Any, Any] | None


def named_school(document: dict[str, Any]) -> NamedSchool:
    """The school a payload says it is about, whatever the policy does with those fields."""
    school = document.get("school")
    if school is None:
        return None
    if not isinstance(school, dict):
        return (school, None)  # not an object: cannot match any school
    return (school.get("brin"), school.get("dependance"))


# Counts per field path and kind: {"leerlingen[].geboortedatum": {"format": 1}}.
Counts = dict[str, dict[str, int]]


@dataclass(frozen=True, slots=True)
class Filtered:
    body: bytes | bytearray  # the JSON to forward
    forwarded: frozenset[str]
    stripped: dict[str, int]
    records: int  # pupil records forwarded
    invalid: Counts = field(default_factory=dict)
    inspected: Counts = field(default_factory=dict)
    withheld: dict[str, int] = field(default_factory=dict)  # allowed, but without its consent
    transformed: Counts = field(default_factory=dict)  # per path and transformation


def count(counts: Counts, path: str, kind: str, n: int = 1) -> None:
    """Add ``n`` to ``counts[path][kind]``."""
    per_path = counts.setdefault(path, {})
    per_path[kind] = per_path.get(kind, 0) + n


def sorted_counts(counts: Counts) -> Counts:
    """``counts`` in a stable order, as the log keeps them."""
    return {path: dict(sorted(kinds.items())) for path, kinds in sorted(counts.items())}
