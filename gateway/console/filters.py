"""What the FG asks of the transfer log, read from the page's address.

The same parameters select the page, its CSV and its JSON, so that what the FG sees, exports
and scripts agree. A parameter that cannot be used is a Dutch message, never a guess; messages
name the parameter, not what was typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from zoneinfo import ZoneInfo

from gateway.console.dutch import day_range
from gateway.console.sql import Sql
from gateway.register.schools import School, SchoolCodeError
from gateway.transfer.state import OUTCOMES

PARAMETERS = ("leverancier", "school", "uitkomst", "van", "tot", "veld", "rol", "pagina")
ROLE_COLUMNS = {
    "forwarded": "fields_forwarded",
    "stripped": "fields_stripped",
    "invalid": "fields_invalid",
    "inspected": "fields_inspected",
}
# A field path as the log writes them (``leerlingen[].voornaam``, ``school.*``, ``?*``).
_PATH = re.compile(r"[A-Za-z0-9_\-.\[\]*?]{1,300}")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
MAX_PAGE = 100_000


class FilterError(ValueError):
    """Parameters the console cannot use; ``messages`` says which, in Dutch."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class TransferFilter:
    supplier: str | None = None
    school: str | None = None
    outcome: str | None = None
    first_day: date | None = None
    last_day: date | None = None
    field: str | None = None
    role: str | None = None  # one of ROLE_COLUMNS; None: in any of them
    page: int = 1

    def query(self, **changes: object) -> dict[str, str]:
        """The address parameters of this filter, with ``changes`` (None drops one)."""
        values: dict[str, object] = {
            "leverancier": self.supplier,
            "school": self.school,
            "uitkomst": self.outcome,
            "van": self.first_day.isoformat() if self.first_day else None,
            "tot": self.last_day.isoformat() if self.last_day else None,
            "veld": self.field,
            "rol": self.role if self.field else None,
            "pagina": self.page if self.page != 1 else None,
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v is not None}

    def first_page(self) -> TransferFilter:
        return replace(self, page=1)

    def where(self, sql: Sql, zone: ZoneInfo, alias: str = "t") -> str:
        """The SQL condition selecting this filter's entries (``TRUE`` for none)."""
        terms = []
        if self.supplier:
            terms.append(f"{alias}.supplier = {sql.p(self.supplier)}")
        if self.school:
            terms.append(f"{alias}.school = {sql.p(self.school)}")
        if self.outcome:
            terms.append(f"{alias}.outcome = {sql.p(self.outcome)}")
        if self.first_day or self.last_day:
            start, end = day_range(
                self.first_day or date(1970, 1, 1), self.last_day or date(9998, 12, 30), zone
            )
            if self.first_day:
                terms.append(f"{alias}.started_at >= {sql.time(start)}")
            if self.last_day:
                terms.append(f"{alias}.started_at < {sql.time(end)}")
        if self.field:
            roles = [self.role] if self.role else list(ROLE_COLUMNS)
            found = [sql.has_path(f"{alias}.{ROLE_COLUMNS[r]}", self.field) for r in roles]
            terms.append("(" + " OR ".join(found) + ")")
        return " AND ".join(terms) or "1 = 1"


def parse(params: Mapping[str, str]) -> TransferFilter:
    """The filter the parameters ask for, or FilterError listing every problem."""
    problems: list[str] = []
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        problems.append(f"Onbekende parameter: {', '.join(unknown)}.")

    def text(name: str) -> str | None:
        value = params.get(name, "").strip()
        return value or None

    supplier = text("leverancier")
    if supplier is not None and not _SLUG.fullmatch(supplier):
        problems.append("Leverancier: dit is geen naam van een leverancier.")
    school = text("school")
    if school is not None:
        try:
            school = str(School.parse(school.upper()))
        except SchoolCodeError:
            problems.append("School: vul een BRIN-code in, zoals 99XX of 99XX01.")
    outcome = text("uitkomst")
    if outcome is not None and outcome not in OUTCOMES:
        problems.append("Uitkomst: kies een van de uitkomsten uit de lijst.")
    first_day = _day(text("van"), "Van", problems)
    last_day = _day(text("tot"), "Tot en met", problems)
    if first_day and last_day and first_day > last_day:
        problems.append("De periode eindigt voordat zij begint.")
    field = text("veld")
    if field is not None and not _PATH.fullmatch(field):
        problems.append("Veld: dit is geen veldpad, zoals leerlingen[].geboortedatum.")
    role = text("rol")
    if role is not None and role not in ROLE_COLUMNS:
        problems.append("Wat met het veld gebeurde: kies uit de lijst.")
    page = 1
    if text("pagina") is not None:
        raw = params["pagina"].strip()
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_PAGE):
            problems.append("Pagina: een paginanummer vanaf 1.")
        else:
            page = int(raw)
    if problems:
        raise FilterError(problems)
    return TransferFilter(supplier, school, outcome, first_day, last_day, field, role, page)


def _day(value: str | None, label: str, problems: list[str]) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"{label}: een datum als 2025-05-03.")
        return None
