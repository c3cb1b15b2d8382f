"""Bounds on the work one body may ask for: how many records, how many values, and how densely
it packs them.

A body's size is bounded by the receive step; these bound what a small body can make the filter
build. Each decoded object costs the filter a few hundred bytes however small it is in the body
(``{}`` is two), so a body of nothing but empty objects would cost a hundred times its size: a
body may hold at most one object or array per ``MIN_BYTES_PER_CONTAINER`` bytes. Counting is
done on the bytes, in C, before anything is decoded: brackets and commas inside strings count
too, so the counts are upper bounds and a body within them is within its bounds.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_BYTES_PER_CONTAINER = 32  # a real pupil record has one per ~100 bytes or more
# Below this size a body is not counted: the counts cost about 1 ms per MB, and all that such
# a body can make the filter build at once (one view per record, one batch) is a few tens of MB.
UNCOUNTED_BYTES = 2 * 1024 * 1024
_DENSITY_FLOOR = 4096  # below this many containers, density does not matter


class TooComplex(Exception):
    """The body asks for more work than the gateway does for one transfer (413)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Bounds:
    max_records: int = 200_000  # items of one array of records (leerlingen, groepen)
    max_values: int = 20_000_000  # JSON values in one body


DEFAULT = Bounds()


def check(raw: bytes | bytearray, bounds: Bounds) -> None:
    """TooComplex if ``raw`` may hold more values than ``bounds`` allow, or packs its objects and
    arrays more densely than a sync does."""
    if len(raw) <= UNCOUNTED_BYTES:
        return
    containers = _count(raw, b"{") + _count(raw, b"[")
    # Every value is the first in its object or array, or follows a comma.
    values = containers + _count(raw, b",") + 1
    if values > bounds.max_values:
        raise TooComplex(f"the body holds more than {bounds.max_values} values")
    if containers > _DENSITY_FLOOR and containers * MIN_BYTES_PER_CONTAINER > len(raw):
        raise TooComplex(
            f"the body holds more objects and arrays than one per {MIN_BYTES_PER_CONTAINER} bytes"
        )


_SLICE = 4 * 1024 * 1024


def _count(raw: bytes | bytearray, char: bytes) -> int:
    """``raw.count(char)``, a few MB at a time: one call over a large body would hold the GIL,
    and the event loop's other transfers, for tens of milliseconds."""
    return sum(raw.count(char, start, start + _SLICE) for start in range(0, len(raw), _SLICE))


def check_records(count: int, bounds: Bounds) -> None:
    if count > bounds.max_records:
        raise TooComplex(f"an array holds more than {bounds.max_records} records")
