"""Peak memory of the filter for the worst bodies we can build: at most 3x the body, the body
itself included, whatever it holds (each body in a fresh process: tests/formats/rss_probe.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).with_name("rss_probe.py")
MEGABYTES = 24  # large enough that the kernel's page counts measure the filter, not noise

BODIES = [
    ("realistic", ""),  # a full sync of every field
    ("allowed-only", ""),  # nothing to strip: what is sent is as large as what came
    ("minimal-records", ""),  # as many records as the bounds allow, all sent
    ("many-small-stripped", ""),  # every known key, each a tiny value
    ("dense-allowed-parents", ""),  # nested objects as densely as the bounds allow
    ("top-level-untyped", ""),  # an unknown top-level key: the tolerant path
    ("long-strings", ""),  # values far over their maxLength
    ("every-record-untyped", "records"),  # each record needs the reference filter
    ("tiny-items", "neither objects nor null"),  # a view per item would be 24x the body
    ("tiny-strings", "neither objects nor null"),
    ("tiny-nulls", "more items than records take"),
    ("dense-parents", "objects and arrays"),  # a struct per 17 bytes
]


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's VmHWM")
@pytest.mark.parametrize(("body", "refused"), BODIES, ids=[b for b, _ in BODIES])
def test_peak_memory_is_at_most_three_times_the_body(body: str, refused: str) -> None:
    """Filtering (or refusing) the body costs at most 3x its size at the peak; a refusal is for
    the reason expected, decided before the body is decoded."""
    result = subprocess.run(
        [sys.executable, str(PROBE), body, "everything", str(MEGABYTES)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    measured = json.loads(result.stdout)
    assert measured["body"] > MEGABYTES * 1024 * 1024 * 0.8
    assert measured["ratio"] <= 3.0, measured
    assert (refused in measured["refused"]) if refused else measured["refused"] == "", measured
