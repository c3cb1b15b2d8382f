"""Plain-text tables for the command's list output (``keys list``, ``users list``, ``contracts
versions``, ``secrets list``): each column as wide as its widest value, so that a longer value
(the ``supplier`` role, a long client name) does not push the columns after it out of line."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def table(rows: Iterable[Sequence[object]], right: Sequence[int] = ()) -> list[str]:
    """The rows as lines, columns two spaces apart; the columns numbered in ``right`` (counts,
    ids) are aligned right. The last column is not padded, so no line ends in spaces."""
    cells = [[str(value) for value in row] for row in rows]
    widths = [max(len(column) for column in columns) for columns in zip(*cells, strict=True)]
    return [
        "  ".join(
            value.rjust(width) if i in right else value.ljust(width)
            for i, (value, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in cells
    ]
