"""gateway.samples and the sample sync the repository ships for a newcomer's first request."""

from __future__ import annotations

import json

from gateway import samples
from tests.conftest import ROOT


def test_the_shipped_sample_sync_is_the_generated_one() -> None:
    """samples/sync.json is samples.sync(3) for school 99XX: regenerate it when samples.py
    changes (the README's curl sends it)."""
    shipped = json.loads((ROOT / "samples" / "sync.json").read_text(encoding="utf-8"))
    assert shipped == samples.sync(3, brin="99XX")


def test_the_sample_carries_every_kind_of_field_the_gateway_strips() -> None:
    """Each pupil in the sample has special-category fields (BSN, religion, health), so that a
    newcomer sees them stripped."""
    shipped = json.loads((ROOT / "samples" / "sync.json").read_text(encoding="utf-8"))
    for pupil in shipped["leerlingen"]:
        assert {"bsn", "godsdienst", "medisch", "nationaliteit"} <= set(pupil)
