"""What a filter gives back, whichever filter and format: the document to forward and an account
of what went (field paths forwarded, stripped with counts, records)."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Filtered:
    document: Any  # dicts from the reference filter, structs from the compiled one
    forwarded: frozenset[str]
    stripped: dict[str, int]
    records: int
