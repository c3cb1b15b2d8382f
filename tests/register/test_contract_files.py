"""Unit tests for gateway.contract_files: loading and checking contracts/*.yaml."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from gateway.formats import payload_schema
from gateway.formats.payload_schema import PayloadSchema
from gateway.register import contract_files
from gateway.register.agreements import SpecialCategory, Status
from gateway.register.contract_files import ContractSet
from gateway.register.yamlfiles import Problem

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
SHIPPED = (ROOT / "contracts" / "basispoort.yaml").read_text(encoding="utf-8")
# The /sync routes only: the cases below change the Basispoort set on the reference shape.
BASE = SHIPPED[: SHIPPED.index("  # Basispoort's own REST v2 shapes")]
LAST_FIELD = "      - leerlingen[].jaargroep\n"
BSN_BASIS = "Wet op het primair onderwijs art. 178a (onderwijsnummer, BRON)"


@pytest.fixture(scope="module")
def schemas() -> dict[str, PayloadSchema]:
    return {name: payload_schema.load(SCHEMAS, name) for name in payload_schema.PAYLOAD_FORMATS}


def replace(text: str, old: str, new: str) -> str:
    """``text`` with ``old`` replaced; fails loudly if ``old`` is not there."""
    assert old in text, old
    return text.replace(old, new)


def contract(
    *,
    slug: str = "basispoort",
    version: str = "2018.1",
    valid_from: str = "2018-07-03",
    valid_until: str = "null",
    lifecycle: str = "",
    schools: str = "all",
    extra_fields: tuple[str, ...] = (),
) -> str:
    """The shipped Basispoort contract with the given changes."""
    text = replace(BASE, "  slug: basispoort\n", f"  slug: {slug}\n")
    text = replace(text, 'version: "2018.1"', f'version: "{version}"')
    text = replace(
        text,
        "  valid_from: 2018-07-03\n  valid_until: null\n",
        f"  valid_from: {valid_from}\n  valid_until: {valid_until}\n{lifecycle}",
    )
    text = replace(text, "schools: all\n", f"schools: {schools}\n")
    added = "".join(f"      - {path}\n" for path in extra_fields)
    return replace(text, LAST_FIELD, LAST_FIELD + added)


def load(
    directory: Path,
    files: dict[str, str],
    schemas: dict[str, PayloadSchema],
    suppliers: tuple[str, ...] = ("basispoort",),
) -> ContractSet:
    directory.mkdir(exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return contract_files.load(directory, SCHEMAS, schemas, suppliers)


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line of ``text`` that ends with ``needle``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.endswith(needle))


def only(problems: tuple[Problem, ...]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


def test_shipped_contracts_load_without_problems(schemas: dict[str, PayloadSchema]) -> None:
    """contracts/ as shipped, with config/suppliers.yaml's suppliers, loads with no problems."""
    config = yaml.safe_load((ROOT / "config" / "suppliers.yaml").read_text(encoding="utf-8"))
    found = contract_files.load(ROOT / "contracts", SCHEMAS, schemas, config["suppliers"])
    assert found.problems == ()
    assert [a.supplier for a in found.agreements] == ["basispoort"]
    terms = found.agreements[0]
    assert terms.label == "OPRON-BASISPOORT v2018.1"
    assert terms.valid_from == date(2018, 7, 3)
    assert terms.valid_until is None
    assert terms.schools.every_school
    assert [(r.method, r.path) for r in terms.routes] == [
        ("POST", "/sync"),
        ("PUT", "/sync"),
        ("PUT", "/instellingen/{id}/leerlingen"),  # Basispoort's REST shapes (basispoort-rest)
        ("PUT", "/instellingen/{id}/groepen"),
    ]
    assert "leerlingen[].voornaam" in terms.routes[0].policy.allowed
    assert len(terms.routes[0].policy.allowed) == 16
    assert terms.routes[1].policy.allowed == terms.routes[0].policy.allowed
    assert terms.source.endswith("basispoort.yaml")


def test_copy_of_shipped_contract_loads(tmp_path: Path, schemas: dict[str, PayloadSchema]) -> None:
    """The unmodified helper contract loads cleanly, so the failures below come from the edits."""
    found = load(tmp_path / "c", {"a.yaml": contract()}, schemas)
    assert found.problems == ()
    assert len(found.agreements) == 1


def test_empty_directory_is_a_problem(tmp_path: Path, schemas: dict[str, PayloadSchema]) -> None:
    """A contracts directory without any *.yaml is reported rather than loading nothing."""
    found = load(tmp_path / "empty", {}, schemas)
    assert found.agreements == ()
    assert "no contract files" in only(found.problems).message


def test_missing_retention_is_reported(tmp_path: Path, schemas: dict[str, PayloadSchema]) -> None:
    """A contract without `retention` is reported with its file and a line number."""
    text = replace(contract(), "retention: >-", "sub_processor_notes: >-")
    found = load(tmp_path / "c", {"no-retention.yaml": text}, schemas)
    assert found.agreements == ()
    messages = [p.message for p in found.problems]
    assert "'retention' is a required property" in messages
    for problem in found.problems:
        assert problem.file.endswith("no-retention.yaml")
        assert problem.location == ""
        assert problem.line == line_of(text, "supplier:")


def test_bad_date_is_reported_at_its_line(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """`valid_from: 2026-13-01` is reported at agreement.valid_from on its own line."""
    text = contract(valid_from="2026-13-01", valid_until="2026-12-31")
    found = load(tmp_path / "c", {"bad-date.yaml": text}, schemas)
    problem = only(found.problems)
    assert problem.file.endswith("bad-date.yaml")
    assert problem.location == "agreement.valid_from"
    assert problem.line == line_of(text, "  valid_from: 2026-13-01")
    assert "2026-13-01" in problem.message
    assert found.agreements == ()
    assert str(problem).startswith(f"{problem.file}:{problem.line} at agreement.valid_from: ")


def test_unknown_top_level_key_is_reported(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """An unknown top-level key is a schema violation naming the key, with a line number."""
    text = contract() + "colour: blue\n"
    problem = only(load(tmp_path / "c", {"extra.yaml": text}, schemas).problems)
    assert problem.file.endswith("extra.yaml")
    assert "'colour' was unexpected" in problem.message
    assert problem.line is not None


def test_unknown_field_path_is_reported(tmp_path: Path, schemas: dict[str, PayloadSchema]) -> None:
    """A field path that is not in the payload schema is reported at its place in the list."""
    text = contract(extra_fields=("leerlingen[].voornam",))
    found = load(tmp_path / "c", {"typo.yaml": text}, schemas)
    assert found.agreements == ()
    assert found.problems
    for problem in found.problems:
        assert problem.file.endswith("typo.yaml")
        assert "'leerlingen[].voornam' is not a field of the las-sync payload" in problem.message
        assert problem.location.endswith(".fields[16]")
        assert problem.line == line_of(text, "- leerlingen[].voornam")
    assert {p.location for p in found.problems} == {"routes[0].fields[16]", "routes[1].fields[16]"}


def test_conflicting_field_paths_are_reported(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """Paths that contradict each other (`x` and `x.y`) are reported: `x` names an object."""
    text = contract(extra_fields=("leerlingen[].adres", "leerlingen[].adres.postcode"))
    found = load(tmp_path / "c", {"conflict.yaml": text}, schemas)
    assert found.agreements == ()
    assert {"routes[0].fields[16]", "routes[1].fields[16]"} <= {p.location for p in found.problems}
    assert all("leerlingen[].adres" in p.message for p in found.problems)
    assert any("is an object in the las-sync payload" in p.message for p in found.problems)


def test_a_path_of_the_wrong_kind_is_reported(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """A scalar written as an array (`voornaam[]`) is an error, not a field that always strips."""
    text = contract(extra_fields=("leerlingen[].roepnaam[]",))
    found = load(tmp_path / "c", {"kind.yaml": text}, schemas)
    assert found.agreements == ()
    assert all("is a value in the las-sync payload" in p.message for p in found.problems)


def test_special_category_without_legal_basis_is_reported(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """`leerlingen[].bsn` without a special_categories entry is reported as special data."""
    text = contract(extra_fields=("leerlingen[].bsn",))
    found = load(tmp_path / "c", {"bsn.yaml": text}, schemas)
    assert found.agreements == ()
    assert {p.location for p in found.problems} == {"routes[0].fields[16]", "routes[1].fields[16]"}
    for problem in found.problems:
        assert "'leerlingen[].bsn' is special-category data (bsn)" in problem.message
        assert problem.line == line_of(text, "- leerlingen[].bsn")


def test_special_category_below_an_object_needs_a_legal_basis(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """A field below a special-category object (`medisch.dyslexie`) needs a legal basis too."""
    text = contract(extra_fields=("leerlingen[].medisch.dyslexie",))
    found = load(tmp_path / "c", {"health.yaml": text}, schemas)
    assert found.agreements == ()
    assert found.problems
    assert all("special-category data (health)" in p.message for p in found.problems)


def with_special_categories(text: str, field: str, legal_basis: str) -> str:
    """Add a special_categories entry to every route of ``text``."""
    entry = (
        "    payload: las-sync\n"
        "    special_categories:\n"
        f"      - field: {field}\n"
        f"        legal_basis: {legal_basis}\n"
    )
    return replace(text, "    payload: las-sync\n", entry)


def test_special_category_with_legal_basis_loads(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """With a legal basis the contract loads and each route carries the SpecialCategory."""
    text = with_special_categories(
        contract(extra_fields=("leerlingen[].bsn",)), "leerlingen[].bsn", BSN_BASIS
    )
    found = load(tmp_path / "c", {"bsn.yaml": text}, schemas)
    assert found.problems == ()
    (terms,) = found.agreements
    expected = (SpecialCategory("leerlingen[].bsn", "bsn", BSN_BASIS),)
    assert [r.special_categories for r in terms.routes] == [expected, expected]
    assert "leerlingen[].bsn" in terms.routes[0].policy.allowed


def test_short_legal_basis_is_a_schema_violation(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """A special-category legal basis shorter than 10 characters is refused."""
    text = with_special_categories(
        contract(extra_fields=("leerlingen[].bsn",)), "leerlingen[].bsn", "wet"
    )
    found = load(tmp_path / "c", {"bsn.yaml": text}, schemas)
    assert found.agreements == ()
    assert {p.location for p in found.problems} == {
        "routes[0].special_categories[0].legal_basis",
        "routes[1].special_categories[0].legal_basis",
    }


def test_special_category_entry_for_a_field_not_allowed_is_reported(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """A special_categories entry naming a field the route does not list is reported."""
    text = with_special_categories(contract(), "leerlingen[].bsn", BSN_BASIS)
    found = load(tmp_path / "c", {"stray.yaml": text}, schemas)
    assert found.agreements == ()
    assert {p.location for p in found.problems} == {
        "routes[0].special_categories[0].field",
        "routes[1].special_categories[0].field",
    }


def test_unknown_supplier_is_reported(tmp_path: Path, schemas: dict[str, PayloadSchema]) -> None:
    """A supplier slug without an endpoint in the suppliers list is reported at supplier.slug."""
    text = contract(slug="malmberg")
    found = load(tmp_path / "c", {"malmberg.yaml": text}, schemas)
    problem = only(found.problems)
    assert problem.file.endswith("malmberg.yaml")
    assert problem.location == "supplier.slug"
    assert problem.line == line_of(text, "slug: malmberg")
    assert "'malmberg'" in problem.message
    assert found.agreements == ()


def test_valid_until_before_valid_from_is_reported(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """An agreement that ends before it starts is reported at agreement.valid_until."""
    text = contract(valid_from="2026-01-01", valid_until="2025-12-31")
    problem = only(load(tmp_path / "c", {"dates.yaml": text}, schemas).problems)
    assert problem.location == "agreement.valid_until"
    assert problem.message == "valid_until is before valid_from"
    assert problem.line == line_of(text, "valid_until: 2025-12-31")


def test_one_day_agreement_is_fine(tmp_path: Path, schemas: dict[str, PayloadSchema]) -> None:
    """valid_until equal to valid_from (a one-day agreement) is not reported."""
    text = contract(valid_from="2026-01-01", valid_until="2026-01-01")
    assert load(tmp_path / "c", {"day.yaml": text}, schemas).problems == ()


def test_overlapping_versions_are_reported(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """Two versions of one supplier's agreement in force on the same days are reported."""
    files = {
        "v1.yaml": contract(version="2025.1", valid_from="2025-01-01", valid_until="2026-01-01"),
        "v2.yaml": contract(version="2026.1", valid_from="2026-01-01", valid_until="null"),
    }
    found = load(tmp_path / "c", files, schemas)
    problem = only(found.problems)
    assert problem.file.endswith("v2.yaml")
    assert problem.location == "agreement"
    assert "v2025.1" in problem.message
    assert "v2026.1" in problem.message


def test_overlap_is_reported_for_a_shared_dependance(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """A BRIN scope and a scope of one of its dependances overlap."""
    files = {
        "v1.yaml": contract(version="1", schools="[99XX]"),
        "v2.yaml": contract(version="2", schools="[99XX01]"),
    }
    assert len(load(tmp_path / "c", files, schemas).problems) == 1


def test_versions_for_different_schools_do_not_overlap(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """Versions in force on the same days for different dependances are fine."""
    files = {
        "v1.yaml": contract(version="1", schools="[99XX01]"),
        "v2.yaml": contract(version="2", schools="[99XX02, 98YY]"),
    }
    found = load(tmp_path / "c", files, schemas)
    assert found.problems == ()
    assert len(found.agreements) == 2


def test_different_suppliers_do_not_overlap(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """Agreements of two different suppliers may be in force on the same days."""
    files = {"a.yaml": contract(), "b.yaml": contract(slug="malmberg")}
    found = load(tmp_path / "c", files, schemas, suppliers=("basispoort", "malmberg"))
    assert found.problems == ()
    assert sorted(a.supplier for a in found.agreements) == ["basispoort", "malmberg"]


def test_consecutive_versions_are_fine(tmp_path: Path, schemas: dict[str, PayloadSchema]) -> None:
    """A version ending 2025-12-31 and the next starting 2026-01-01 do not overlap."""
    files = {
        "v1.yaml": contract(version="2025.1", valid_from="2025-01-01", valid_until="2025-12-31"),
        "v2.yaml": contract(version="2026.1", valid_from="2026-01-01", valid_until="null"),
    }
    found = load(tmp_path / "c", files, schemas)
    assert found.problems == ()
    assert sorted(a.version for a in found.agreements) == ["2025.1", "2026.1"]


def terminated(since: str) -> str:
    return (
        "  lifecycle:\n"
        "    status: terminated\n"
        f"    since: {since}\n"
        "    reason: Replaced by the 2026 agreement.\n"
    )


def test_terminated_version_does_not_overlap_its_successor(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """An open-ended version terminated since X does not overlap a version starting on X."""
    files = {
        "v1.yaml": contract(
            version="2025.1", valid_from="2025-01-01", lifecycle=terminated("2026-03-01")
        ),
        "v2.yaml": contract(version="2026.1", valid_from="2026-03-01"),
    }
    found = load(tmp_path / "c", files, schemas)
    assert found.problems == ()
    first = next(a for a in found.agreements if a.version == "2025.1")
    assert first.lifecycle is not None
    assert first.lifecycle.status is Status.TERMINATED
    assert first.lifecycle.since == date(2026, 3, 1)
    assert first.status_on(date(2026, 3, 1)) is Status.TERMINATED


def test_terminated_version_still_overlaps_an_earlier_start(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """A version terminated since X still overlaps a successor that starts before X."""
    files = {
        "v1.yaml": contract(
            version="2025.1", valid_from="2025-01-01", lifecycle=terminated("2026-03-01")
        ),
        "v2.yaml": contract(version="2026.1", valid_from="2026-02-28"),
    }
    assert len(load(tmp_path / "c", files, schemas).problems) == 1


def test_invalid_yaml_is_reported_with_its_line(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """A file that is not YAML is reported with its file name and the line of the error."""
    text = "supplier:\n  slug: basispoort\n  name: Basis: poort\n"
    problem = only(load(tmp_path / "c", {"broken.yaml": text}, schemas).problems)
    assert problem.file.endswith("broken.yaml")
    assert problem.line == 3
    assert problem.message.startswith("not valid YAML")


def test_yml_extension_is_read(tmp_path: Path, schemas: dict[str, PayloadSchema]) -> None:
    """Contract files ending in .yml are read as well as .yaml."""
    found = load(tmp_path / "c", {"basispoort.yml": contract()}, schemas)
    assert found.problems == ()
    assert found.agreements[0].source.endswith("basispoort.yml")


def test_all_problems_are_returned_at_once(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """Problems in several files are all reported in one load, and good files still load."""
    files = {
        "a-broken.yaml": "supplier: [\n",
        "b-bad-date.yaml": contract(valid_from="2026-13-01"),
        "c-unknown-supplier.yaml": contract(slug="malmberg"),
        "d-good.yaml": contract(),
    }
    found = load(tmp_path / "c", files, schemas)
    names = {Path(p.file).name for p in found.problems}
    assert names == {"a-broken.yaml", "b-bad-date.yaml", "c-unknown-supplier.yaml"}
    assert [Path(a.source).name for a in found.agreements] == ["d-good.yaml"]


def narrowed(entry: str) -> str:
    """The shipped contract with its last field entry replaced by ``entry`` (YAML, indented)."""
    return replace(BASE, LAST_FIELD, entry)


def test_a_narrowing_entry_loads_and_narrows(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """A field entry with a narrower range loads, and its node carries the narrowed rule."""
    text = narrowed(
        "      - path: leerlingen[].jaargroep\n        minimum: 1\n        maximum: 8\n"
    )
    found = load(tmp_path, {"basispoort.yaml": text}, schemas)
    assert found.problems == ()
    [agreement] = found.agreements
    node = agreement.routes[0].policy.root.keys["leerlingen"].items.keys["jaargroep"]  # type: ignore[union-attr]
    assert node.rule.violation(0) == "range" and node.rule.violation(8) is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("maxLength: 500", "maxLength 500 is wider than the schema's 100"),
        ("enum: [M, V, Q]", "enum adds ['Q']"),
        ("minimum: 1", "minimum/maximum narrow numbers"),
        ("pattern: '[a-z]+'", "must be anchored"),
    ],
)
def test_a_narrowing_that_would_widen_is_refused(
    tmp_path: Path, schemas: dict[str, PayloadSchema], entry: str, message: str
) -> None:
    """A contract may narrow a field's values, never widen them: each widening is named."""
    path = "leerlingen[].geslacht" if "enum" in entry else "leerlingen[].voornaam"
    text = narrowed(f"      - leerlingen[].jaargroep\n      - path: {path}\n        {entry}\n")
    text = replace(text, "      - leerlingen[].voornaam\n", "") if "voornaam" in path else text
    text = replace(text, "      - leerlingen[].geslacht\n", "") if "geslacht" in path else text
    problems = load(tmp_path, {"basispoort.yaml": text}, schemas).problems
    # The shipped file shares one field list between its POST and PUT routes: named for both.
    assert [p.location.split(".")[0] for p in problems] == ["routes[0]", "routes[1]"], problems
    assert all(message in p.message for p in problems), problems


def test_letting_a_field_carry_a_bsn_makes_it_special_category(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """allow_content: [bsn] on a field needs that field under special_categories."""
    text = narrowed(
        "      - path: leerlingen[].jaargroep\n      - path: leerlingen[].groepsnaam\n"
        "        allow_content: [bsn]\n"
    )
    text = replace(text, "      - leerlingen[].groepsnaam\n", "")
    problems = load(tmp_path, {"basispoort.yaml": text}, schemas).problems
    assert len(problems) == 2, problems  # POST and PUT share the list
    for problem in problems:
        assert "special_categories" in problem.message
        assert problem.location.endswith("allow_content")


def test_values_settings_reach_the_route(tmp_path: Path, schemas: dict[str, PayloadSchema]) -> None:
    """on_invalid and inspection actions from the contract's values block reach each route."""
    text = BASE + "values:\n  on_invalid: block\n  inspection:\n    bsn: block\n    email: redact\n"
    [agreement] = load(tmp_path, {"basispoort.yaml": text}, schemas).agreements
    values = agreement.routes[0].values
    assert values.block_invalid and values.block_content == frozenset({"bsn"})


def test_consent_and_transform_entries_load_into_the_policy(
    tmp_path: Path, schemas: dict[str, PayloadSchema]
) -> None:
    """A consent condition and transformations load onto their nodes of the route's policy."""
    text = narrowed(
        "      - leerlingen[].jaargroep\n"
        "      - path: leerlingen[].foto_url\n        requires_consent: toestemmingen.foto_video\n"
        "      - path: leerlingen[].adres.postcode\n        transform: postcode_digits\n"
    )
    text = replace(
        text,
        "      - leerlingen[].leerlingkey\n",
        "      - path: leerlingen[].leerlingkey\n        transform: pseudonym\n",
    )
    found = load(tmp_path, {"basispoort.yaml": text}, schemas)
    assert found.problems == ()
    policy = found.agreements[0].routes[0].policy
    record = policy.root.keys["leerlingen"].items
    assert record is not None
    assert dict(record.consent) == {"foto_url": ("toestemmingen", "foto_video")}
    assert record.keys["leerlingkey"].transform == "pseudonym"
    assert record.keys["adres"].keys["postcode"].transform == "postcode_digits"
    assert policy.transforms == {"pseudonym", "postcode_digits"}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "{path: leerlingen[].foto_url, requires_consent: toestemmingen}",
            "'leerlingen[].toestemmingen' is not a boolean in the payload schema",
        ),
        (
            "{path: leerlingen[].foto_url, requires_consent: voornaam}",
            "'leerlingen[].voornaam' is not a boolean",
        ),
        (
            "{path: leerlingen[].foto_url, requires_consent: toestemmingen.geen}",
            "is not a boolean",
        ),
        (
            "{path: leerlingen[].adres.postcode, requires_consent: toestemmingen.foto_video}",
            "requires_consent is for a field of a record",
        ),
        (
            "{path: school.brin, requires_consent: toestemmingen.foto_video}",
            "requires_consent is for a field of a record",
        ),
        (
            "{path: leerlingen[].leerlingkey, requires_consent: toestemmingen.foto_video}",
            "a key every record must have cannot depend on a consent",
        ),
        ("{path: leerlingen[].voornaam, transform: age_years}", "takes a date"),
        ("{path: leerlingen[].jaargroep, transform: pseudonym}", "takes a string field"),
        (
            "{path: leerlingen[].geslacht, transform: pseudonym}",
            "a pseudonym (32 hexadecimal characters) would break this field's rule",
        ),
    ],
)
def test_unfit_consents_and_transformations_are_refused(
    tmp_path: Path, schemas: dict[str, PayloadSchema], entry: str, message: str
) -> None:
    """A consent must be a boolean of the same record and a transformation must fit its field's
    type and rule: ``check`` names each misfit, for both routes sharing the field list."""
    path = entry.split("path: ")[1].split(",")[0]
    text = replace(BASE, f"      - {path}\n", "") if f"      - {path}\n" in BASE else BASE
    # flow style as the contract may write it, the path quoted: [] is YAML's in a flow
    entry = entry.replace(f"path: {path}", f"path: '{path}'")
    groepsnaam = "      - leerlingen[].groepsnaam\n"
    text = replace(text, groepsnaam, groepsnaam + f"      - {entry}\n")
    problems = load(tmp_path, {"basispoort.yaml": text}, schemas).problems
    assert [p.location.split(".")[0] for p in problems] == ["routes[0]", "routes[1]"], problems
    assert all(message in p.message for p in problems), problems
