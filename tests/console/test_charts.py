"""Bar geometry for inline SVG."""

from __future__ import annotations

from gateway.console import charts


def test_columns_scale_to_the_largest() -> None:
    """The largest value fills the height; a zero is a one-pixel sliver at the bottom."""
    chart = charts.columns([("a", 10), ("b", 5), ("c", 0)], width=30, height=60)
    assert [b.height for b in chart.bars] == [60.0, 30.0, 1.0]
    assert [b.y for b in chart.bars] == [0.0, 30.0, 59.0]
    assert chart.maximum == 10 and all(b.width > 0 for b in chart.bars)


def test_rows_scale_to_the_largest() -> None:
    """Horizontal bars: the largest is the full width, each a row lower."""
    chart = charts.rows([("x", 4), ("y", 1)], width=200)
    assert [b.width for b in chart.bars] == [200.0, 50.0]
    assert chart.bars[1].y > chart.bars[0].y


def test_no_values_no_bars() -> None:
    """An empty series is an empty chart, not an error."""
    assert charts.columns([]).bars == ()
