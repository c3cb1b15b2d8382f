"""Unit tests for gateway.payload_schema: what the gateway knows of the las-sync payload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.formats import payload_schema
from gateway.formats.payload_schema import PayloadSchema

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def schema() -> PayloadSchema:
    return payload_schema.load(ROOT / "schemas", "las-sync")


def test_schema_is_named_after_its_format(schema: PayloadSchema) -> None:
    """The loaded schema carries the payload format's name."""
    assert schema.name == "las-sync"


@pytest.mark.parametrize(
    "path",
    [
        "school",
        "school.brin",
        "school.basispoort_id",
        "groepen",
        "groepen[].jaargroep",
        "leerlingen",
        "leerlingen[].leerlingkey",
        "leerlingen[].voornaam",
        "leerlingen[].adres",
        "leerlingen[].adres.postcode",
        "leerlingen[].leerresultaten[].score",
        "leerlingen[].medisch.dyslexie",
        "leerlingen[].zorgverzekering.polisnummer",
        "leerlingen[].ouders",
        "leerlingen[].ouders[].iban",
        "leerlingen[].ouders[].adres.postcode",
    ],
)
def test_knows_fields_of_the_payload(schema: PayloadSchema, path: str) -> None:
    """Paths of the reference payload, including through $refs and nested arrays, are known."""
    assert schema.knows(path)


@pytest.mark.parametrize(
    "path",
    [
        "leerlingen[].voornam",
        "leerlingen.voornaam",
        "leerlingen[]",
        "voornaam",
        "school.adres",
        "leerlingen[].ouders.iban",
        "leerlingen[].adres.postcode.extra",
        "leerlingen[].*",
    ],
)
def test_does_not_know_other_paths(schema: PayloadSchema, path: str) -> None:
    """Misspelt paths, paths missing `[]`, and paths below a scalar are unknown."""
    assert not schema.knows(path)


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("school", "object"),
        ("leerlingen", "array"),
        ("leerlingen[].adres", "object"),
        ("leerlingen[].voornaam", "scalar"),
        ("leerlingen[].geslacht", "scalar"),
        ("leerlingen[].nationaliteit", "scalar"),
        ("leerlingen[].ouders", "array"),
        ("leerlingen[].medisch", "object"),
    ],
)
def test_field_kinds(schema: PayloadSchema, path: str, kind: str) -> None:
    """Each known field has the kind its JSON Schema type (or $ref) gives it."""
    assert schema.fields[path].kind == kind


@pytest.mark.parametrize(
    ("path", "category"),
    [
        ("leerlingen[].bsn", "bsn"),
        ("leerlingen[].godsdienst", "religion"),
        ("leerlingen[].medisch", "health"),
        ("leerlingen[].medisch.dyslexie", "health"),
        ("leerlingen[].medisch.notitie", "health"),
        ("leerlingen[].nationaliteit", "nationality"),
        ("leerlingen[].tweede_nationaliteit", "nationality"),
        ("leerlingen[].land_van_herkomst", "nationality"),
        ("leerlingen[].zorgverzekering", "health"),
        ("leerlingen[].zorgverzekering.polisnummer", "health"),
        ("leerlingen[].bsn[]", "bsn"),
    ],
)
def test_special_categories(schema: PayloadSchema, path: str, category: str) -> None:
    """Special-category fields, and every field below one, report their category."""
    assert schema.special_category(path) == category


@pytest.mark.parametrize(
    "path",
    [
        "leerlingen[].voornaam",
        "leerlingen[].adres.postcode",
        "leerlingen[].ouders[].iban",
        "school.brin",
        "leerlingen",
    ],
)
def test_ordinary_fields_have_no_special_category(schema: PayloadSchema, path: str) -> None:
    """Fields that are not special-category data report None."""
    assert schema.special_category(path) is None


def test_children_inherit_category_in_known_fields(schema: PayloadSchema) -> None:
    """The category is recorded on the fields below a special-category object too."""
    assert schema.fields["leerlingen[].medisch.adhd"].special_category == "health"
    assert schema.fields["leerlingen[].voornaam"].special_category is None


def test_load_reads_from_the_given_directory(tmp_path: Path) -> None:
    """A schema in another directory is read from there, with its own fields and categories."""
    document = {
        "type": "object",
        "properties": {
            "a": {"type": "array", "items": {"$ref": "#/$defs/item"}},
            "b": {"type": "string", "x-special-category": "bsn"},
        },
        "$defs": {"item": {"type": "object", "properties": {"c": {"type": "integer"}}}},
    }
    (tmp_path / "las-sync.schema.json").write_text(json.dumps(document), encoding="utf-8")
    loaded = payload_schema.load(tmp_path, "las-sync")
    assert set(loaded.fields) == {"a", "a[].c", "b"}
    assert loaded.special_category("b") == "bsn"
    assert loaded.special_category("a[].c") is None


def test_unsupported_ref_is_refused(tmp_path: Path) -> None:
    """A $ref outside #/$defs is refused rather than silently ignored."""
    document = {"type": "object", "properties": {"a": {"$ref": "other.json#/x"}}}
    (tmp_path / "las-sync.schema.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ValueError, match="unsupported \\$ref"):
        payload_schema.load(tmp_path, "las-sync")
