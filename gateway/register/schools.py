"""Schools by BRIN code, optionally with a dependance: ``99XX`` or ``99XX01``.

A scope is a set of such codes (or every school of the board). ``99XX`` in a scope covers every
dependance of that school; ``99XX01`` covers that dependance only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_SCHOOL = re.compile(r"^(?P<brin>[0-9]{2}[A-Z]{2})(?P<dependance>[0-9]{2})?$")


class SchoolCodeError(ValueError):
    """Not a BRIN code (two digits, two capitals), with or without a two-digit dependance."""


@dataclass(frozen=True, slots=True)
class School:
    brin: str
    dependance: str | None

    @classmethod
    def parse(cls, code: str) -> School:
        match = _SCHOOL.fullmatch(code.strip())
        if match is None:
            raise SchoolCodeError(
                f"{code!r} is not a school code: BRIN (e.g. 99XX), "
                "with an optional dependance (99XX01)"
            )
        return cls(match["brin"], match["dependance"])

    def __str__(self) -> str:
        return self.brin + (self.dependance or "")


@dataclass(frozen=True, slots=True)
class SchoolScope:
    every_school: bool
    codes: frozenset[School]

    @classmethod
    def of(cls, codes: Iterable[str] | str) -> SchoolScope:
        if codes == "all":
            return cls(True, frozenset())
        return cls(False, frozenset(School.parse(c) for c in codes))

    def covers(self, school: School) -> bool:
        if self.every_school:
            return True
        if School(school.brin, None) in self.codes:
            return True
        return school.dependance is not None and school in self.codes

    def as_list(self) -> list[str]:
        return ["all"] if self.every_school else sorted(str(s) for s in self.codes)
