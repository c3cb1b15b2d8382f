"""The record of processing activities: CSV a spreadsheet opens, and JSON, every agreement."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from gateway.formats import payload_schema
from gateway.formats.payload_schema import PayloadSchema
from gateway.register import article30, contract_files, warnings
from gateway.register.agreements import Agreement
from tests.register import contracts

SCHEMAS = contracts.ROOT / "schemas"
ABROAD = [
    {"name": "Hosting B.V.", "country": "NL", "purpose": "hosting"},
    {"name": "Mail Inc.", "country": "US", "purpose": "=sending e-mail"},
]


@pytest.fixture(scope="module")
def schemas() -> dict[str, PayloadSchema]:
    return {name: payload_schema.load(SCHEMAS, name) for name in payload_schema.PAYLOAD_FORMATS}


def agreements(tmp_path: Path, schemas: dict[str, PayloadSchema], **files: str) -> list[Agreement]:
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    found = contract_files.load(tmp_path, SCHEMAS, schemas, ("basispoort", "voorbeeld"))
    assert found.problems == ()
    return list(found.agreements)


def two(tmp_path: Path, schemas: dict[str, PayloadSchema]) -> list[Agreement]:
    """Basispoort as shipped, and a second supplier with a sub-processor in the US."""
    other = contracts.text(sub_processors=ABROAD, purposes=["Oefenen", "Toetsen"])
    other = other.replace("slug: basispoort", "slug: voorbeeld").replace(
        "name: Basispoort", "name: Voorbeeld Leermiddelen"
    )
    shipped = (contracts.ROOT / "contracts" / "basispoort.yaml").read_text(encoding="utf-8")
    return agreements(tmp_path, schemas, **{"basispoort.yaml": shipped, "voorbeeld.yaml": other})


def test_the_csv_parses_and_holds_every_agreement_and_purpose(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """UTF-8 with a BOM and a header row; one row per agreement and purpose; the US
    sub-processor is a transfer outside the EU; a cell that looks like a formula is text."""
    body = article30.to_csv(article30.rows(two(tmp_path, schemas), date(2026, 12, 6)))
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert tuple(rows[0]) == article30.COLUMNS
    assert [(r["supplier"], r["purpose"]) for r in rows] == [
        ("basispoort", "Pupils' access to the school's digital learning material "
                       "(single sign-on, class lists for teachers)."),
        ("voorbeeld", "Oefenen"),
        ("voorbeeld", "Toetsen"),
    ]  # fmt: skip
    basispoort, voorbeeld = rows[0], rows[1]
    assert basispoort["transfers_outside_eu"] == "not yet recorded"
    assert "leerlingen[].voornaam" in basispoort["data_categories"]
    assert voorbeeld["transfers_outside_eu"] == "yes: US"
    assert "Mail Inc. (US): =sending e-mail" in voorbeeld["sub_processors"]
    assert voorbeeld["retention"] and voorbeeld["recipients"] == "Voorbeeld Leermiddelen"


def test_the_json_holds_the_same_rows(tmp_path: Path, schemas: dict[str, PayloadSchema]) -> None:
    """The JSON export is the CSV's rows as objects."""
    rows = article30.rows(two(tmp_path, schemas), date(2026, 12, 6))
    assert json.loads(article30.to_json(rows))["activities"] == rows


def test_a_formula_is_written_as_text() -> None:
    """A value starting with = is written with a quote before it, so a spreadsheet shows it."""
    body = article30.to_csv([dict.fromkeys(article30.COLUMNS, "=1+1")])
    row = next(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert row["purpose"] == "'=1+1"


def test_warnings_name_what_the_fg_should_look_at(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """Expiring within 30 days, review overdue, outside the EU; the shipped contract: facts not
    recorded; a termination without confirmed deletion."""
    [abroad] = agreements(
        tmp_path, schemas,
        **{"a.yaml": contracts.text(sub_processors=ABROAD, valid_until="2026-12-31")},
    )  # fmt: skip
    today = date(2027, 7, 1)
    late = {w.code for w in warnings.of_agreement(abroad, date(2026, 12, 6))}
    assert late == {"expires-within-30-days", "outside-eu"}
    soon = {w.code for w in warnings.of_agreement(abroad, date(2026, 10, 6))}
    assert "expires-within-90-days" in soon and "expires-within-30-days" not in soon
    (tmp_path / "a.yaml").unlink()
    [open_ended] = agreements(tmp_path, schemas, **{"b.yaml": contracts.text()})
    assert {w.code for w in warnings.of_agreement(open_ended, today)} == {"review-overdue"}
    terminated = {"status": "terminated", "since": "2027-01-01", "reason": "opgezegd"}
    (tmp_path / "b.yaml").write_text(contracts.text(lifecycle=terminated))
    [ended] = agreements(tmp_path, schemas)
    codes = [w.code for w in warnings.of_agreement(ended, today)]
    assert codes == ["deletion-not-confirmed"]
