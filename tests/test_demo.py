"""``poortwachter demo``: a real gateway and sample supplier, and what the demo prints."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from gateway import demo
from gateway.settings import Settings
from tests.conftest import ROOT


async def test_demo_shows_what_was_forwarded_stripped_and_refused() -> None:
    """The demo exits 0, forwards (200), lists bsn as a stripped special category, shows the 403
    refusal, and the first pupil as the supplier received it has no bsn."""
    out = io.StringIO()
    settings = Settings(contracts_dir=ROOT / "contracts", config_dir=ROOT / "config")
    code = await demo.run(settings, pupils=5, out=out)
    text = out.getvalue()
    assert code == 0, text
    assert re.search(r"POST /proxy/basispoort/sync -> 200, transfer [0-9a-f-]{36}", text), text
    assert "under agreement OPRON-BASISPOORT v2018.1" in text
    assert re.search(r"leerlingen\[\]\.bsn\s+5x\s+special category: bsn", text), text
    assert re.search(r"leerlingen\[\]\.voornaam\s*$", text, re.MULTILINE)  # forwarded list
    assert "school 98YY" in text and "-> 403" in text
    assert "Nothing was sent" in text
    assert "The supplier received 1 request(s) in all." in text
    lines = text.splitlines()
    heading = lines.index("   The first pupil as the supplier received it:")
    pupil = json.loads(lines[heading + 1])
    assert pupil["leerlingkey"] == "LL-000001"
    assert "bsn" not in pupil
    assert set(pupil) <= {
        "basispoort_id", "leerlingkey", "voornaam", "tussenvoegsel", "achternaam",
        "geboortedatum", "geslacht", "groepskey", "groepsnaam", "jaargroep",
    }  # fmt: skip


async def test_demo_does_not_touch_the_configured_database(tmp_path: Path) -> None:
    """The demo uses its own temporary database, not the one in the settings."""
    configured = tmp_path / "real.sqlite3"
    settings = Settings(
        database_url=f"sqlite://{configured}",
        contracts_dir=ROOT / "contracts",
        config_dir=ROOT / "config",
    )
    assert await demo.run(settings, pupils=1, out=io.StringIO()) == 0
    assert not configured.exists()
