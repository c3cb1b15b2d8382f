"""``poortwachter contracts ...`` and ``check`` as a person runs them (real processes)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

from tests.register import contracts
from tests.test_cli import assert_plain, cli


def home(tmp_path: Path) -> Path:
    """A copy of the shipped contracts and config to change."""
    shutil.copytree(contracts.ROOT / "contracts", tmp_path / "contracts")
    shutil.copytree(contracts.ROOT / "config", tmp_path / "config")
    return tmp_path


async def test_check_warns_per_fact_not_recorded_and_succeeds(database_url: str) -> None:
    """The shipped register: exit 0, the agreement active now, one warn line per unknown fact
    (the 17 schools' BRIN codes and the 10 contract facts)."""
    run = await cli("check", database=database_url)
    assert run.code == 0, run.err
    assert "4 route(s), active now" in run.out
    warns = [line for line in run.out.splitlines() if line.startswith("warn  ")]
    assert len(warns) == 27
    assert any("agreement.review: not yet recorded: its review" in w for w in warns)


async def test_reload_refuses_an_invalid_file_and_stores_nothing(
    tmp_path: Path, database_url: str
) -> None:
    """A broken contract: one plain message with file and line, exit 1, no generation stored."""
    root = home(tmp_path)
    assert (await cli("migrate", database=database_url, GATEWAY_HOME=str(root))).code == 0
    (root / "contracts" / "basispoort.yaml").write_text(contracts.text(model_version="5"))
    run = await cli("contracts", "reload", database=database_url, GATEWAY_HOME=str(root))
    assert_plain(run)
    assert "basispoort.yaml" in run.err and "agreement.model_version" in run.err
    listing = await cli("contracts", "versions", database=database_url, GATEWAY_HOME=str(root))
    assert "no agreement versions stored yet" in listing.err


async def test_reload_stores_a_generation_once(tmp_path: Path, database_url: str) -> None:
    """A valid set is stored as a generation; the same set again is 'already in force'; the
    versions listing shows it."""
    root = home(tmp_path)
    first = await cli("contracts", "reload", database=database_url, GATEWAY_HOME=str(root))
    assert first.code == 0, first.err
    assert "register generation 1 stored (1 version(s))" in first.out
    again = await cli("contracts", "reload", database=database_url, GATEWAY_HOME=str(root))
    assert "register generation 1 is already in force" in again.out
    listing = await cli("contracts", "versions", database=database_url, GATEWAY_HOME=str(root))
    assert "basispoort" in listing.out and "OPRON-BASISPOORT v2018.1" in listing.out


async def test_export_register_writes_csv_and_json(tmp_path: Path, database_url: str) -> None:
    """The article-30 export of the shipped contracts, as a spreadsheet-ready CSV and as JSON."""
    as_csv = await cli("contracts", "export-register", "--format", "csv", database=database_url)
    assert as_csv.code == 0, as_csv.err
    rows = list(csv.DictReader(io.StringIO(as_csv.out.removeprefix("\ufeff"))))
    assert [r["agreement_reference"] for r in rows] == ["OPRON-BASISPOORT"]
    out = tmp_path / "register.json"
    as_json = await cli(
        "contracts", "export-register", "--format", "json", "--output", str(out),
        database=database_url,
    )  # fmt: skip
    assert as_json.code == 0, as_json.err
    assert json.loads(out.read_text())["activities"][0]["supplier"] == "basispoort"


async def test_a_key_for_a_school_not_configured_is_named(
    tmp_path: Path, database_url: str
) -> None:
    """keys create for a school config/schools.yaml does not list warns, and still makes it."""
    root = home(tmp_path)
    run = await cli(
        "keys", "create", "--client", "las", "--schools", "99XX",
        database=database_url, GATEWAY_HOME=str(root),
    )  # fmt: skip
    assert run.code == 0, run.err
    assert "warning: school 99XX is not in config/schools.yaml" in run.err
