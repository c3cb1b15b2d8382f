"""``contracts diff`` and ``contracts dry-run`` on the shipped Basispoort contract and the
sample sync, and on a changed copy: exact output, exit codes, and plain errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway import cli

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "contracts" / "basispoort.yaml"
SAMPLE = ROOT / "samples" / "sync.json"


def changed_copy(directory: Path) -> Path:
    """The shipped contract with a pseudonym, a birth year, a narrowing, a field that needs a
    consent and a special-category field added, geslacht taken out, and the PUT route gone."""
    text = SHIPPED.read_text()
    for old, new in (
        ("      - leerlingen[].leerlingkey\n",
         "      - path: leerlingen[].leerlingkey\n        transform: pseudonym\n"),
        ("      - leerlingen[].geslacht\n", ""),
        ("      - leerlingen[].geboortedatum\n",
         "      - path: leerlingen[].geboortedatum\n        transform: birth_year\n"),
        ("      - leerlingen[].jaargroep\n",
         "      - path: leerlingen[].jaargroep\n        minimum: 1\n        maximum: 8\n"
         "      - path: leerlingen[].foto_url\n        requires_consent: toestemmingen.foto_video\n"
         "      - leerlingen[].medisch.dyslexie\n"),
        ("  - method: PUT\n    path: /sync\n    payload: las-sync\n    fields: *basispoort-set\n",
         "    special_categories:\n      - field: leerlingen[].medisch.dyslexie\n"
         "        legal_basis: Wet op het primair onderwijs art. 40a, extra support\n"),
    ):  # fmt: skip
        assert old in text, old
        text = text.replace(old, new, 1)  # the /sync route's, not the REST routes'
    path = directory / "basispoort-changed.yaml"
    path.write_text(text)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["contracts", *argv])
    out, err = capsys.readouterr()
    return code, out, err


SHIPPED_DRY_RUN = """\
contract: SHIPPED (basispoort OPRON-BASISPOORT v2018.1)
route: POST /sync
agreement today: active
records forwarded: 3
forwarded:
  groepen[].groepskey         16
  groepen[].jaargroep         16
  groepen[].naam              16
  leerlingen[].achternaam     3
  leerlingen[].basispoort_id  3
  leerlingen[].geboortedatum  3
  leerlingen[].geslacht       3
  leerlingen[].groepskey      3
  leerlingen[].groepsnaam     3
  leerlingen[].jaargroep      3
  leerlingen[].leerlingkey    3
  leerlingen[].tussenvoegsel  3
  leerlingen[].voornaam       3
  school.basispoort_id        1
  school.brin                 1
  school.dependance           1
transformed: none
withheld for lack of consent: none
stripped (not allowed):
  leerlingen[].absentie              3
  leerlingen[].adres                 3
  leerlingen[].bsn                   3
  leerlingen[].eckid                 3
  leerlingen[].email                 3
  leerlingen[].foto_url              3
  leerlingen[].geboorteplaats        3
  leerlingen[].godsdienst            3
  leerlingen[].land_van_herkomst     3
  leerlingen[].leerresultaten        3
  leerlingen[].medisch               3
  leerlingen[].nationaliteit         3
  leerlingen[].notities              3
  leerlingen[].ouders                3
  leerlingen[].roepnaam              3
  leerlingen[].telefoonnummer        3
  leerlingen[].toestemmingen         3
  leerlingen[].tweede_nationaliteit  3
  leerlingen[].zorgverzekering       3
  school.naam                        1
  school.plaats                      1
invalid (left out): none
flagged by inspection (left out): none
nothing was sent
"""

CHANGED_DRY_RUN = """\
contract: CHANGED (basispoort OPRON-BASISPOORT v2018.1)
route: POST /sync
agreement today: active
records forwarded: 3
forwarded:
  groepen[].groepskey            16
  groepen[].jaargroep            16
  groepen[].naam                 16
  leerlingen[].achternaam        3
  leerlingen[].basispoort_id     3
  leerlingen[].foto_url          2
  leerlingen[].geboortedatum     3
  leerlingen[].groepskey         3
  leerlingen[].groepsnaam        3
  leerlingen[].jaargroep         3
  leerlingen[].leerlingkey       3
  leerlingen[].medisch.dyslexie  3
  leerlingen[].tussenvoegsel     3
  leerlingen[].voornaam          3
  school.basispoort_id           1
  school.brin                    1
  school.dependance              1
transformed:
  leerlingen[].geboortedatum  birth_year 3
  leerlingen[].leerlingkey    pseudonym 3
withheld for lack of consent:
  leerlingen[].foto_url  1
stripped (not allowed):
  leerlingen[].absentie              3
  leerlingen[].adres                 3
  leerlingen[].bsn                   3
  leerlingen[].eckid                 3
  leerlingen[].email                 3
  leerlingen[].geboorteplaats        3
  leerlingen[].geslacht              3
  leerlingen[].godsdienst            3
  leerlingen[].land_van_herkomst     3
  leerlingen[].leerresultaten        3
  leerlingen[].medisch.adhd          3
  leerlingen[].medisch.notitie       3
  leerlingen[].nationaliteit         3
  leerlingen[].notities              3
  leerlingen[].ouders                3
  leerlingen[].roepnaam              3
  leerlingen[].telefoonnummer        3
  leerlingen[].toestemmingen         3
  leerlingen[].tweede_nationaliteit  3
  leerlingen[].zorgverzekering       3
  school.naam                        1
  school.plaats                      1
invalid (left out): none
flagged by inspection (left out): none
nothing was sent
"""

CHANGED_DIFF = """\
route PUT /sync: removed
route POST /sync:
  + leerlingen[].foto_url  [consent: toestemmingen.foto_video]
  + leerlingen[].medisch.dyslexie  [SPECIAL CATEGORY: health]
  - leerlingen[].geslacht
  ~ leerlingen[].geboortedatum: transform none -> birth_year (leaves transformed)
  ~ leerlingen[].jaargroep: narrowing none -> {maximum: 8, minimum: 1}
  ~ leerlingen[].leerlingkey: transform none -> pseudonym (leaves transformed)
2 change(s) let more leave, 5 let less leave, 0 other
"""


def test_dry_run_of_the_shipped_contract_on_the_sample_sync(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Exactly what the shipped contract forwards and strips of samples/sync.json, and no
    value of the sample anywhere in the output."""
    code, out, err = run(capsys, "dry-run", str(SHIPPED), "--sample", str(SAMPLE))
    assert (code, err) == (0, "")
    assert out == SHIPPED_DRY_RUN.replace("SHIPPED", str(SHIPPED))
    assert_no_value(out)


def test_dry_run_of_a_changed_contract_shows_consent_and_transformations(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The changed copy forwards foto_url for the two pupils who consented, withholds it for
    the one who did not, and transforms leerlingkey and geboortedatum for all three."""
    changed = changed_copy(tmp_path)
    code, out, err = run(
        capsys, "dry-run", str(changed), "--sample", str(SAMPLE), "--school", "99XX"
    )
    assert (code, err) == (0, "")
    assert out == CHANGED_DRY_RUN.replace("CHANGED", str(changed))
    assert_no_value(out)


def assert_no_value(out: str) -> None:
    """No string value of the sample (a name, a key, a date, a URL) is in ``out``."""
    values: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and len(value) > 3:
            values.append(value)

    walk(json.loads(SAMPLE.read_text()))
    assert values and not [v for v in values if v in out]


def test_dry_run_shows_a_refusal_it_would_make(capsys: pytest.CaptureFixture[str]) -> None:
    """A sample naming another school than --school would be refused: said, nothing sent."""
    code, out, _ = run(capsys, "dry-run", str(SHIPPED), "--sample", str(SAMPLE), "--school", "98YY")
    assert code == 0
    assert out.splitlines()[-1] == (
        "the gateway would refuse this transfer: school-mismatch (403); nothing would be sent"
    )


def test_diff_of_a_contract_with_itself_is_empty(capsys: pytest.CaptureFixture[str]) -> None:
    """Like diff: nothing to say, exit code 0."""
    assert run(capsys, "diff", str(SHIPPED), str(SHIPPED)) == (0, "", "")


def test_diff_names_every_change_and_flags_consents_transforms_and_special_categories(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Per route: fields added and removed, transformations, narrowing, consent and special
    category flagged, a route removed; exit code 1; and the other way round says the reverse."""
    changed = changed_copy(tmp_path)
    assert run(capsys, "diff", str(SHIPPED), str(changed)) == (1, CHANGED_DIFF, "")
    code, back, _ = run(capsys, "diff", str(changed), str(SHIPPED))
    assert code == 1
    assert "  ~ leerlingen[].leerlingkey: transform pseudonym -> none (WIDER: leaves as it is)" in (
        back.splitlines()
    )
    assert "  - leerlingen[].foto_url  [consent: toestemmingen.foto_video]" in back.splitlines()
    assert back.splitlines()[0] == "route PUT /sync: added"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["dry-run", "contracts/nope.yaml", "--sample", str(SAMPLE)], "no such contract file"),
        (["dry-run", str(SHIPPED), "--sample", "nope.json"], "nope.json: cannot read"),
        (["dry-run", str(SHIPPED), "--sample", "BAD"], "bad.json: not valid JSON"),
        (["dry-run", str(SHIPPED), "--sample", "ARRAY"], "a payload is a JSON object"),
        (
            ["dry-run", str(SHIPPED), "--sample", str(SAMPLE), "--route", "GET /x"],
            "has no such route; it has: POST /sync, PUT /sync",
        ),
        (["dry-run", str(SAMPLE), "--sample", str(SAMPLE)], "'supplier' is a required property"),
        (["diff", str(SHIPPED), "nope.yaml"], "nope.yaml: no such contract file"),
        (["diff", str(SHIPPED), "BAD"], "not valid YAML"),
    ],
)
def test_wrong_input_is_one_plain_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], message: str
) -> None:
    """A wrong file, bad JSON or an unknown route: exit code 2 and a plain message on stderr,
    no traceback and no output."""
    bad = tmp_path / "bad.json"
    bad.write_text('{"leerlingen": [')
    array = tmp_path / "array.json"
    array.write_text("[1, 2]")
    argv = [str(bad) if a == "BAD" else str(array) if a == "ARRAY" else a for a in argv]
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.startswith("poortwachter: ") and message in err and "Traceback" not in err
