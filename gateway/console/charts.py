"""Bar charts as inline SVG geometry: the template draws rectangles, the stylesheet colours them.

No script and no style attribute (the console's Content-Security-Policy allows neither inline);
each bar carries a ``<title>`` for a pointer, and every chart sits beside a table of its numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    maximum: int


def columns(values: Sequence[tuple[str, int]], width: int = 300, height: int = 60) -> Chart:
    """Vertical bars side by side, one per value, scaled to the largest; a zero stays a sliver
    so that the FG sees a day without transfers as a day."""
    maximum = max((v for _, v in values), default=0)
    step = width / max(1, len(values))
    gap = min(2.0, step / 4)
    bars = []
    for index, (label, value) in enumerate(values):
        tall = height * value / maximum if maximum else 0.0
        tall = max(tall, 1.0)
        bars.append(
            Bar(
                round(index * step, 2),
                round(height - tall, 2),
                round(step - gap, 2),
                round(tall, 2),
                label,
                value,
            )
        )
    return Chart(width, height, tuple(bars), maximum)


def rows(values: Sequence[tuple[str, int]], width: int = 200, bar: int = 12) -> Chart:
    """Horizontal bars one under another, scaled to the largest."""
    maximum = max((v for _, v in values), default=0)
    bars = []
    for index, (label, value) in enumerate(values):
        wide = width * value / maximum if maximum else 0.0
        bars.append(
            Bar(0.0, float(index * (bar + 4)), round(max(wide, 1.0), 2), float(bar), label, value)
        )
    return Chart(width, len(values) * (bar + 4), tuple(bars), maximum)
