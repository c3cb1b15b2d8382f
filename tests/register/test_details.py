"""The register's facts in contract files: recorded, not yet recorded (a warning), or wrong."""

from __future__ import annotations

import hashlib
from datetime import date, time
from pathlib import Path

import pytest

from gateway.formats import payload_schema
from gateway.formats.payload_schema import PayloadSchema
from gateway.register import contract_files
from gateway.register.agreements import Status
from tests.register import contracts

SCHEMAS = contracts.ROOT / "schemas"


@pytest.fixture(scope="module")
def schemas() -> dict[str, PayloadSchema]:
    return {name: payload_schema.load(SCHEMAS, name) for name in payload_schema.PAYLOAD_FORMATS}


def load(
    tmp_path: Path, schemas: dict[str, PayloadSchema], **files: str
) -> contract_files.ContractSet:
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    return contract_files.load(tmp_path, SCHEMAS, schemas, ("basispoort",))


def test_every_fact_recorded_loads_without_notices(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """A contract recording every fact loads with no problem and no warning, facts intact."""
    found = load(tmp_path, schemas, **{"b.yaml": contracts.text()})
    assert found.problems == () and found.notices == ()
    [agreement] = found.agreements
    d = agreement.details
    assert (d.model_version, d.privacyconvenant, d.security_annex) == (
        "4.0", "joined", "Bijlage 2, beveiligingsbijlage v1",
    )  # fmt: skip
    assert d.review is not None and d.review.next_review == date(2027, 6, 30)
    assert d.storage is not None and d.storage.countries == ("NL",)
    assert [str(p) for p in agreement.processors] == ["Hosting B.V. (NL): hosting"]
    assert agreement.sha256 == hashlib.sha256(contracts.text().encode()).hexdigest()


def test_the_shipped_contract_warns_for_each_fact_not_yet_recorded(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """The shipped Basispoort contract loads (the gateway starts) and names each null fact."""
    found = contract_files.load(contracts.ROOT / "contracts", SCHEMAS, schemas, ("basispoort",))
    assert found.problems == ()
    where = {n.location for n in found.notices}
    assert where == {
        "supplier.contact", "supplier.bijsluiter_url", "agreement.model_version",
        "agreement.privacyconvenant", "agreement.signed_by", "agreement.document_sha256",
        "agreement.security_annex", "agreement.review", "storage", "sub_processors",
    }  # fmt: skip
    assert all(n.message.startswith("not yet recorded: ") for n in found.notices)
    assert all(n.line is not None for n in found.notices)


def test_a_missing_register_key_is_a_problem(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """Leaving a fact out (rather than null) is refused: the file must say it is not known."""
    found = load(tmp_path, schemas, **{"b.yaml": contracts.text(security_annex=None)})
    assert [p.message for p in found.problems] == ["'security_annex' is a required property"]


def test_a_wrong_model_version_is_a_problem(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """The model agreement's version is 3.0 or 4.0, nothing else."""
    found = load(tmp_path, schemas, **{"b.yaml": contracts.text(model_version="5")})
    assert found.agreements == () and found.problems[0].location == "agreement.model_version"


def test_the_signed_document_beside_the_contract_is_hashed(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """With document_sha256 null and b.pdf beside b.yaml, the register holds the pdf's hash."""
    (tmp_path / "b.pdf").write_bytes(b"%PDF-1.7 signed")
    found = load(tmp_path, schemas, **{"b.yaml": contracts.text(nulls=("document_sha256",))})
    assert found.problems == ()
    [agreement] = found.agreements
    assert agreement.details.document_sha256 == hashlib.sha256(b"%PDF-1.7 signed").hexdigest()
    assert agreement.details.document_file == "b.pdf"


def test_a_document_that_does_not_match_its_hash_is_a_problem(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """A document beside the contract whose SHA-256 differs from the one given is refused."""
    (tmp_path / "b.pdf").write_bytes(b"%PDF-1.7 another")
    found = load(tmp_path, schemas, **{"b.yaml": contracts.text()})
    assert found.agreements == ()
    assert "has another SHA-256" in found.problems[0].message


def test_a_draft_and_a_moment_of_expiry_are_read(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """draft: true and a valid_until with a time are read into the agreement."""
    found = load(
        tmp_path, schemas,
        **{"b.yaml": contracts.text(draft=True, valid_until="2026-12-06T05:30:00")},
    )  # fmt: skip
    assert found.problems == ()
    [agreement] = found.agreements
    assert agreement.draft and agreement.status_on(date(2026, 1, 1)) is Status.DRAFT
    assert (agreement.valid_until, agreement.until_time) == (date(2026, 12, 6), time(5, 30))


def test_a_draft_does_not_overlap_the_version_in_force(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """A draft of the next version beside the version in force is not an overlap."""
    found = load(
        tmp_path, schemas,
        **{"a.yaml": contracts.text(), "b.yaml": contracts.text(version="2026.1", draft=True)},
    )  # fmt: skip
    assert found.problems == () and len(found.agreements) == 2


def test_deletion_confirmed_only_after_termination(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """A suspension cannot record a confirmed deletion; a termination can."""
    suspended = {"status": "suspended", "since": "2026-01-01", "reason": "datalek",
                 "deletion_confirmed": "2026-02-01"}  # fmt: skip
    found = load(tmp_path, schemas, **{"b.yaml": contracts.text(lifecycle=suspended)})
    assert "only after a termination" in found.problems[0].message
    terminated = {**suspended, "status": "terminated"}
    found = load(tmp_path, schemas, **{"b.yaml": contracts.text(lifecycle=terminated)})
    assert found.problems == ()
    lifecycle = found.agreements[0].lifecycle
    assert lifecycle is not None and lifecycle.deletion_confirmed == date(2026, 2, 1)


def test_an_impossible_moment_of_expiry_is_a_problem(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """valid_until 30 February is refused in plain words, not a traceback."""
    found = load(tmp_path, schemas, **{"b.yaml": contracts.text(valid_until="2026-02-30T10:00")})
    assert found.agreements == ()
    assert "is not a date (2027-07-31) or a local time" in found.problems[0].message
