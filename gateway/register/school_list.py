"""The school group's schools: ``config/schools.yaml``, and each school's withdrawals.

Every school is listed by name and town; its BRIN code (and dependance) is what the gateway
matches ``X-School`` against, and stays empty (``null``) until the administrator fills it in.
A school can withdraw its permission for one supplier without touching the agreement, as
schools do per publisher in Basispoort: from ``since`` on, that school's transfers to that
supplier are blocked (``permission-withdrawn``), every other school's go on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker

from gateway.register import yamlfiles
from gateway.register.schools import School, SchoolScope
from gateway.register.yamlfiles import Problem


@dataclass(frozen=True, slots=True)
class Withdrawal:
    supplier: str
    since: date
    reason: str


@dataclass(frozen=True, slots=True)
class ConfiguredSchool:
    name: str
    town: str
    code: School | None  # None: the BRIN is not yet filled in
    withdrawn: tuple[Withdrawal, ...] = ()


@dataclass(frozen=True)
class SchoolList:
    """The schools of ``config/schools.yaml``; empty when there is no such file."""

    schools: tuple[ConfiguredSchool, ...] = ()
    configured: bool = False  # the file exists: codes it does not list are worth a warning

    def knows(self, school: School) -> bool:
        """Whether ``school`` (or the BRIN it is a dependance of) is listed with its code."""
        return any(
            c.code is not None and SchoolScope(False, frozenset({c.code})).covers(school)
            for c in self.schools
        )

    def withdrawal(self, supplier: str, school: School, day: date) -> Withdrawal | None:
        """The withdrawal in force for ``school``'s transfers to ``supplier`` on ``day``."""
        for configured in self.schools:
            if configured.code is None:
                continue
            if not SchoolScope(False, frozenset({configured.code})).covers(school):
                continue
            for withdrawal in configured.withdrawn:
                if withdrawal.supplier == supplier and day >= withdrawal.since:
                    return withdrawal
        return None

    def unknown_codes(self, codes: list[str]) -> list[str]:
        """The codes (BRIN or BRIN with dependance) among ``codes`` the list does not know."""
        if not self.configured:
            return []
        return [c for c in codes if not self.knows(School.parse(c))]


def read(path: Path) -> str | None:
    """The text of ``path``, None when there is no such file."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def load(path: Path, schemas_dir: Path) -> tuple[SchoolList, list[Problem], list[Problem]]:
    """The schools of ``path``: the list, its problems (refusals), and notices (warnings)."""
    try:
        text = read(path)
    except (OSError, UnicodeDecodeError) as error:
        return SchoolList(), [Problem(str(path), "", None, f"cannot read: {error}")], []
    return load_text(text, str(path), schemas_dir)


def load_text(
    text: str | None, name: str, schemas_dir: Path
) -> tuple[SchoolList, list[Problem], list[Problem]]:
    """The schools of ``text`` (None: no school list), read from ``name``."""
    if text is None:
        return SchoolList(), [], []
    try:
        document = yamlfiles.parse(text, name)
    except yamlfiles.YamlFileError as error:
        return SchoolList(), [error.problem], []
    schema = json.loads((schemas_dir / "schools.schema.json").read_text(encoding="utf-8"))
    check = Draft202012Validator(schema, format_checker=FormatChecker())
    errors = sorted(check.iter_errors(document.data), key=lambda e: list(e.path))
    if errors:
        return SchoolList(), [document.problem(list(e.path), e.message) for e in errors], []
    schools: list[ConfiguredSchool] = []
    problems: list[Problem] = []
    notices: list[Problem] = []
    seen: set[School] = set()
    for index, raw in enumerate(document.data["schools"]):
        where: list[str | int] = ["schools", index]
        code = School.parse(raw["brin"]) if raw.get("brin") else None
        if code is None:
            notices.append(
                document.problem(
                    [*where, "brin"],
                    f"not yet recorded: the BRIN code of {raw['name']} ({raw['town']}); "
                    "its transfers cannot be told apart until it is",
                )
            )
        elif code in seen:
            problems.append(document.problem([*where, "brin"], f"{code} is listed twice"))
        else:
            seen.add(code)
        withdrawn = tuple(
            Withdrawal(w["supplier"], date.fromisoformat(w["since"]), w["reason"])
            for w in raw.get("withdrawn", [])
        )
        if withdrawn and code is None:
            problems.append(
                document.problem(
                    [*where, "withdrawn"],
                    "a withdrawal needs the school's BRIN code: without it the gateway cannot "
                    "tell this school's transfers apart",
                )
            )
        schools.append(ConfiguredSchool(raw["name"], raw["town"], code, withdrawn))
    return SchoolList(tuple(schools), configured=True), problems, notices
