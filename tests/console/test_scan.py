"""What the scan takes from each entry: first field paths and flags."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from gateway.console.scan import first_seen, flags

AT = datetime(2026, 3, 1, tzinfo=UTC)


def entry(seq: int, **values: object) -> dict[str, object]:
    base = {
        "seq": seq,
        "started_at": AT.isoformat(" "),
        "supplier": "basispoort",
        "outcome": "forwarded",
        "fields_forwarded": "[]",
        "fields_stripped": "{}",
        "fields_invalid": "{}",
        "fields_inspected": "{}",
    }
    return {
        **base,
        **{k: json.dumps(v) if k.startswith("fields") else v for k, v in values.items()},
    }


def test_the_first_entry_with_a_path_wins() -> None:
    """A path's first entry is the lowest seq, whatever order the rows come in."""
    found = first_seen(
        [
            entry(5, fields_stripped={"a": 1}),
            entry(3, fields_stripped={"a": 2}),
            entry(4, fields_forwarded=["b"]),
        ]
    )
    assert found[("basispoort", "stripped", "a")][0] == 3
    assert found[("basispoort", "forwarded", "b")] == (4, AT)


def test_entries_without_a_supplier_name_no_paths() -> None:
    """A refusal for an unknown supplier has no supplier to be new to."""
    assert first_seen([entry(1, supplier=None, fields_stripped={"a": 1})]) == {}


def test_flags() -> None:
    """Blocked, special-category stripped, inspected and invalid are each flagged; a plain
    transfer is not."""
    special = {"leerlingen[].bsn"}
    assert flags(entry(1), special) is None
    row = flags(
        entry(
            2,
            outcome="blocked",
            fields_stripped={"leerlingen[].bsn": 3},
            fields_inspected={"groepen[].naam": {"bsn": 1}},
        ),
        special,
    )
    assert row is not None and (row.blocked, row.special, row.inspected, row.invalid) == (
        True,
        True,
        True,
        False,
    )
    assert flags(entry(3, fields_stripped={"leerlingen[].email": 1}), special) is None
