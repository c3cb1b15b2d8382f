"""``poortwachter demo``: a real gateway and sample supplier, and what the demo prints."""

from __future__ import annotations

import asyncio
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import httpx

from gateway import demo
from gateway.settings import Settings
from tests.conftest import ROOT, plain_environ
from tests.processes import cli, free_port, served


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


async def test_the_readmes_first_steps_work_as_written(tmp_path: Path, database_url: str) -> None:
    """The README's steps: ``poortwachter sample-supplier``, a gateway pointed at it with
    GATEWAY_UPSTREAM_BASISPOORT=http://127.0.0.1:8081 (no slash), a key, and samples/sync.json
    posted as curl would. The caller gets 200 and the supplier's answer; the sample supplier
    prints the pupils and field names it got, and no BSN."""
    port = free_port()
    supplier_log = tmp_path / "sample-supplier.log"
    env = plain_environ()
    with supplier_log.open("wb") as sink:
        supplier = subprocess.Popen(
            [sys.executable, "-m", "gateway", "sample-supplier", "--port", str(port)],
            cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        env |= {
            "GATEWAY_DATABASE_URL": database_url,
            "GATEWAY_UPSTREAM_BASISPOORT": f"http://127.0.0.1:{port}",
        }
        key = cli(env, "keys", "create", "--client", "parnassys", "--schools", "99XX,98YY")
        async with served(env, tmp_path / "gateway.log") as (_, url):
            body = (ROOT / "samples" / "sync.json").read_bytes()
            headers = {"Authorization": f"Bearer {key}", "X-School": "99XX",
                       "Content-Type": "application/json"}  # fmt: skip
            async with httpx.AsyncClient(base_url=url) as client:
                response = await client.post(
                    "/proxy/basispoort/sync", content=body, headers=headers
                )
        assert response.status_code == 200, response.text
        assert response.json() == {"accepted": True, "pupils": 3}
        assert response.headers["X-Transfer-Id"]
        for _ in range(50):
            if "pupil(s)" in supplier_log.read_text():
                break
            await asyncio.sleep(0.1)
        printed = supplier_log.read_text()
        assert "POST /sync:" in printed and "3 pupil(s)" in printed, printed
        assert "voornaam" in printed and "bsn" not in printed
        sample = json.loads(body)
        for pupil in sample["leerlingen"]:
            assert pupil["bsn"] not in printed and pupil["achternaam"] not in printed
    finally:
        supplier.terminate()
        supplier.wait(10)


async def test_the_demo_leaves_the_configured_keys_and_checkpoints_alone(tmp_path: Path) -> None:
    """The demo's log is signed with a key of its own and sealed into a checkpoint file of its
    own: its checkpoints in the real file would read as a rollback to the real log's verify."""
    var = tmp_path / "var"
    settings = Settings(
        contracts_dir=ROOT / "contracts",
        config_dir=ROOT / "config",
        log_key_file=var / "log-signing.key",
        checkpoint_file=var / "checkpoints.jsonl",
        subject_key_file=var / "subject.key",
        pseudonym_key_file=var / "pseudonym.key",
    )
    assert await demo.run(settings, pupils=1, out=io.StringIO()) == 0
    assert not var.exists() or list(var.iterdir()) == []
