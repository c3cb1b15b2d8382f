"""CSV cells a spreadsheet would run as formulas are defused."""

from __future__ import annotations

from gateway.console.renderers import _cell


def test_formulas_get_a_quote() -> None:
    """A cell starting with =, +, -, @ is prefixed; lists and counts are JSON."""
    assert _cell("=HYPERLINK()") == "'=HYPERLINK()"
    assert _cell("-1") == "'-1"
    assert _cell("POST /sync") == "POST /sync"
    assert _cell(["a", "b"]) == '["a","b"]'
    assert _cell(None) == ""
