"""The command line's tables: columns as wide as their contents."""

from __future__ import annotations

from gateway.tables import table


def test_each_column_is_as_wide_as_its_widest_value() -> None:
    """A longer value in one row moves that column's end for every row, not only its own."""
    assert table([(1, "source", "parnassys", "active"), (12, "supplier", "b", "revoked")], [0]) == [
        " 1  source    parnassys  active",
        "12  supplier  b          revoked",
    ]


def test_no_rows_no_lines() -> None:
    assert table([]) == []
