"""``poortwachter keys init-subjects``, ``subject`` and ``purge`` as real subprocesses against a
database a real gateway wrote."""

from __future__ import annotations

import json
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from gateway import samples
from gateway.evidence.models import SubjectsHeld, TransferRecord
from tests.conftest import RunningGateway
from tests.test_cli import Run, assert_plain, cli


async def run(gateway: RunningGateway, *args: str, **env: str) -> Run:
    return await cli(
        *args,
        database=gateway.settings.database_url,
        GATEWAY_SUBJECT_KEY_FILE=str(gateway.settings.subject_key_path),
        **env,
    )


async def test_init_subjects_makes_a_key_once(tmp_path: Path) -> None:
    """The key file is made with mode 0600 and never replaced."""
    path = tmp_path / "keys" / "subject.key"
    made = await cli("keys", "init-subjects", database=None, GATEWAY_SUBJECT_KEY_FILE=str(path))
    assert made.code == 0, made.err
    assert str(path) in made.out and "back it up" in made.out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_bytes()
    again = await cli("keys", "init-subjects", database=None, GATEWAY_SUBJECT_KEY_FILE=str(path))
    assert_plain(again)
    assert "exists already" in again.err and path.read_bytes() == key


async def test_subject_lists_the_transfers_without_repeating_the_identifier(
    start_gateway: Any,
) -> None:
    """Each transfer that held the pupil, with its fields, as text or JSON; read from stdin the
    identifier appears nowhere in the output; a pupil never sent is zero transfers."""
    gateway = await start_gateway()
    for document in (samples.sync(2), samples.sync(1)):
        assert (await gateway.push(document)).status_code == 200
    text = await run(gateway, "subject", "LL-000002")
    assert text.code == 0, text.err
    assert "basispoort" in text.out and "OPRON-BASISPOORT 2018.1" in text.out
    assert "leerlingen[].voornaam" in text.out and "LL-000002" not in text.out
    assert "1 transfer(s) held this pupil" in text.err
    as_json = await run(gateway, "subject", "LL-000001", "--json", "--school", "99XX")
    items = json.loads(as_json.out)["items"]
    assert len(items) == 2 and items[0]["supplier"] == "basispoort"
    nobody = await run(gateway, "subject", "LL-123456")
    assert nobody.code == 0 and nobody.out == "" and "0 transfer(s)" in nobody.err
    bad_school = await run(gateway, "subject", "LL-000001", "--school", "634261374")
    assert_plain(bad_school)
    assert "634261374" not in bad_school.err


async def test_subject_without_its_key_file_is_one_plain_line(start_gateway: Any) -> None:
    """A missing key file names the file and the command that makes one."""
    gateway = await start_gateway()
    missing = await cli(
        "subject", "LL-000001", database=gateway.settings.database_url,
        GATEWAY_SUBJECT_KEY_FILE=str(gateway.settings.subject_key_path) + ".gone",
    )  # fmt: skip
    assert_plain(missing)
    assert "keys init-subjects" in missing.err


async def test_purge_keeps_the_term_unless_forced(start_gateway: Any) -> None:
    """A date within the retention term is refused without --force; --expired removes only
    rows past the term; entries are never removed."""
    gateway = await start_gateway()
    responses = [await gateway.push(samples.sync(1)) for _ in range(2)]
    old = responses[0].headers["X-Transfer-Id"]
    await TransferRecord.filter(id=old).update(started_at=datetime.now(UTC) - timedelta(days=40))
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    refused = await run(gateway, "purge", "--before", tomorrow, GATEWAY_SUBJECT_RETENTION_DAYS="30")
    assert_plain(refused)
    assert "within the retention term" in refused.err and "--force" in refused.err
    assert await SubjectsHeld.all().count() == 2
    expired = await run(gateway, "purge", "--expired", GATEWAY_SUBJECT_RETENTION_DAYS="30")
    assert expired.code == 0, expired.err
    assert "removed the subject index of 1 transfer(s)" in expired.out
    assert await SubjectsHeld.all().count() == 1
    forced = await run(gateway, "purge", "--before", tomorrow, "--force")
    assert forced.code == 0 and "of 1 transfer(s)" in forced.out
    assert await TransferRecord.all().count() == 2
    wrong = await run(gateway, "purge", "--before", "gisteren")
    assert wrong.code == 2 and "YYYY-MM-DD" in wrong.err
