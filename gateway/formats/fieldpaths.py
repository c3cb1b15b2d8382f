"""Field paths in the dotted notation of the domain: ``leerlingen[].adres.postcode``.

A path names a key at each step; ``[]`` after a key says its value is an array whose items the
rest of the path describes. A path ending in ``[]`` names an array of scalars.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Keys are snake_case in the reference shape, camelCase in Basispoort's REST shapes (lasKey).
_SEGMENT = re.compile(r"^([a-z_][A-Za-z0-9_]*)(\[\])?$")


class FieldPathError(ValueError):
    """A field path that is not in the dotted notation."""


@dataclass(frozen=True, slots=True)
class Step:
    key: str
    array: bool


def parse(path: str) -> tuple[Step, ...]:
    """``"leerlingen[].voornaam"`` -> ``(Step("leerlingen", True), Step("voornaam", False))``."""
    steps = []
    for segment in path.split("."):
        match = _SEGMENT.fullmatch(segment)
        if match is None:
            raise FieldPathError(f"{path!r}: {segment!r} is not a field name (a-z, 0-9, _)")
        steps.append(Step(match.group(1), match.group(2) is not None))
    return tuple(steps)


def child(parent: str, key: str) -> str:
    """The path of ``key`` inside the object at ``parent`` ("" is the document)."""
    return f"{parent}.{key}" if parent else key


def items(path: str) -> str:
    """The path of the items of the array at ``path``."""
    return f"{path}[]"


def unknown(parent: str) -> str:
    """How a key the payload schema does not know is named in the log.

    The key itself is never written: a LAS can put anything in a key, pupil data included.
    """
    return child(parent, "*")
