"""config/schools.yaml: the 17 schools, identifiers left for the administrator, withdrawals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from gateway.register import school_list
from gateway.register.schools import School
from tests.register.contracts import ROOT

SCHEMAS = ROOT / "schemas"
WITHDRAWN = """schools:
  - name: Obs De Mieden
    town: Meeden
    brin: 99XX
    withdrawn:
      - supplier: basispoort
        since: 2026-09-01
        reason: school stopped using it
  - name: Obs De Tandem
    town: Zuidbroek
    brin: 98YY
"""


def test_the_shipped_list_has_the_17_schools_of_the_privacy_statement() -> None:
    """Every school of the statement with its town; no BRIN is invented, each is a warning."""
    schools, problems, notices = school_list.load(ROOT / "config" / "schools.yaml", SCHEMAS)
    assert problems == []
    assert len(schools.schools) == 17
    assert ("Obs De Braskörf", "Veendam") in {(s.name, s.town) for s in schools.schools}
    assert all(s.code is None for s in schools.schools)
    assert len(notices) == 17 and "BRIN code of Obs De Mieden (Meeden)" in notices[0].message


def test_a_withdrawal_holds_for_that_school_and_supplier_from_its_day(tmp_path: Path) -> None:
    """99XX withdrew basispoort from 1 September: not before, not 98YY, not another supplier;
    a dependance of 99XX is covered too."""
    (tmp_path / "schools.yaml").write_text(WITHDRAWN)
    schools, problems, _ = school_list.load(tmp_path / "schools.yaml", SCHEMAS)
    assert problems == []
    sept = date(2026, 9, 1)
    assert schools.withdrawal("basispoort", School.parse("99XX"), sept) is not None
    assert schools.withdrawal("basispoort", School.parse("99XX01"), sept) is not None
    assert schools.withdrawal("basispoort", School.parse("99XX"), date(2026, 8, 31)) is None
    assert schools.withdrawal("basispoort", School.parse("98YY"), sept) is None
    assert schools.withdrawal("malmberg", School.parse("99XX"), sept) is None


def test_codes_not_listed_are_named(tmp_path: Path) -> None:
    """With a school list, a code it does not hold is unknown; without one, nothing is."""
    (tmp_path / "schools.yaml").write_text(WITHDRAWN)
    schools, _, _ = school_list.load(tmp_path / "schools.yaml", SCHEMAS)
    assert schools.unknown_codes(["99XX", "99XX02", "97ZZ"]) == ["97ZZ"]
    nothing, _, _ = school_list.load(tmp_path / "absent.yaml", SCHEMAS)
    assert nothing.unknown_codes(["97ZZ"]) == []


def test_a_withdrawal_without_a_brin_is_a_problem(tmp_path: Path) -> None:
    """A withdrawal the gateway could not apply (no BRIN) is refused, not silently ignored."""
    (tmp_path / "schools.yaml").write_text(WITHDRAWN.replace("brin: 99XX", "brin: null"))
    _, problems, _ = school_list.load(tmp_path / "schools.yaml", SCHEMAS)
    assert len(problems) == 1 and "needs the school's BRIN code" in problems[0].message


def test_a_school_listed_twice_is_a_problem(tmp_path: Path) -> None:
    """Two schools with one BRIN code cannot be told apart."""
    (tmp_path / "schools.yaml").write_text(WITHDRAWN.replace("brin: 98YY", "brin: 99XX"))
    _, problems, _ = school_list.load(tmp_path / "schools.yaml", SCHEMAS)
    assert [p.message for p in problems] == ["99XX is listed twice"]
