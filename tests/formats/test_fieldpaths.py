"""Unit tests for gateway.fieldpaths: the dotted field-path notation."""

from __future__ import annotations

import pytest

from gateway.formats.fieldpaths import FieldPathError, Step, child, items, parse, unknown


def test_parse_single_key() -> None:
    """A bare key parses to one non-array step."""
    assert parse("voornaam") == (Step("voornaam", False),)


def test_parse_nested_path_with_arrays() -> None:
    """Each dotted segment becomes a step, and `[]` marks that step as an array."""
    assert parse("leerlingen[].ouders[].adres.postcode") == (
        Step("leerlingen", True),
        Step("ouders", True),
        Step("adres", False),
        Step("postcode", False),
    )


def test_parse_array_of_scalars_ends_in_array_step() -> None:
    """A path ending in `[]` ends in an array step (an array of scalars)."""
    assert parse("school.tags[]") == (Step("school", False), Step("tags", True))


def test_parse_accepts_digits_and_underscores() -> None:
    """Digits after the first character and underscores are part of a field name."""
    assert parse("_x.veld_2") == (Step("_x", False), Step("veld_2", False))


@pytest.mark.parametrize(
    "path",
    [
        "",
        "Voornaam",
        "leerlingen.",
        ".voornaam",
        "leerlingen..voornaam",
        "leerlingen[][]",
        "leerlingen[]x",
        "leerlingen[0]",
        "1a",
        "veld-naam",
        "leerlingen[].voor naam",
        "leerlingen.*",
        "adres/postcode",
    ],
)
def test_parse_rejects_bad_segments(path: str) -> None:
    """A path with any segment that is not a lower-case field name raises FieldPathError."""
    with pytest.raises(FieldPathError):
        parse(path)


@pytest.mark.parametrize("path", ["voornaam\n", "leerlingen[]\n.voornaam"])
def test_parse_rejects_trailing_newline_in_segment(path: str) -> None:
    """A segment with a trailing newline is not a field name and raises (it is not silently cut)."""
    with pytest.raises(FieldPathError):
        parse(path)


def test_field_path_error_is_a_value_error() -> None:
    """FieldPathError can be caught as ValueError and names the offending segment."""
    with pytest.raises(ValueError, match="'Bad'"):
        parse("school.Bad")


def test_child_of_document_is_the_key() -> None:
    """The child of the document ("") is the key itself, without a leading dot."""
    assert child("", "school") == "school"


def test_child_joins_with_a_dot() -> None:
    """The child of a non-empty parent is joined with a dot, also below array items."""
    assert child("school", "brin") == "school.brin"
    assert child("leerlingen[]", "voornaam") == "leerlingen[].voornaam"


def test_items_appends_brackets() -> None:
    """The items of the array at a path are named by appending `[]`."""
    assert items("leerlingen") == "leerlingen[]"
    assert items("leerlingen[].ouders") == "leerlingen[].ouders[]"


def test_unknown_names_the_parent_with_a_star() -> None:
    """An unknown key is named `<parent>.*`, and a top-level unknown key just `*`."""
    assert unknown("leerlingen[]") == "leerlingen[].*"
    assert unknown("school") == "school.*"
    assert unknown("") == "*"
