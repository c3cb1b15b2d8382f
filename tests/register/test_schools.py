"""Unit tests for gateway.schools: school codes and which schools a scope covers."""

from __future__ import annotations

import pytest

from gateway.register.schools import School, SchoolCodeError, SchoolScope


def test_parse_brin_only() -> None:
    """A four-character BRIN code parses to a school without dependance."""
    assert School.parse("99XX") == School("99XX", None)


def test_parse_brin_with_dependance() -> None:
    """A BRIN code with two more digits parses to that dependance."""
    assert School.parse("99XX01") == School("99XX", "01")


def test_parse_ignores_surrounding_whitespace() -> None:
    """Whitespace around the code is ignored."""
    assert School.parse(" 99XX01\n") == School("99XX", "01")


@pytest.mark.parametrize(
    "code",
    ["", "99xx", "9XX", "99X1", "XX99", "99XXX", "99XX1", "99XX012", "99XXab", "99 XX", "99XX-01"],
)
def test_parse_rejects_invalid_codes(code: str) -> None:
    """Anything but two digits, two capitals and an optional two-digit dependance raises."""
    with pytest.raises(SchoolCodeError):
        School.parse(code)


def test_school_code_error_is_a_value_error() -> None:
    """SchoolCodeError is a ValueError that quotes the bad code."""
    with pytest.raises(ValueError, match="'99xx'"):
        School.parse("99xx")


def test_str_round_trips() -> None:
    """str() gives back the code that was parsed."""
    assert str(School.parse("99XX")) == "99XX"
    assert str(School.parse("99XX01")) == "99XX01"


def test_brin_scope_covers_the_school_and_every_dependance() -> None:
    """`99XX` covers the school itself and each of its dependances."""
    scope = SchoolScope.of(["99XX"])
    assert scope.covers(School.parse("99XX"))
    assert scope.covers(School.parse("99XX01"))
    assert scope.covers(School.parse("99XX02"))


def test_brin_scope_does_not_cover_other_schools() -> None:
    """`99XX` does not cover another BRIN or its dependances."""
    scope = SchoolScope.of(["99XX"])
    assert not scope.covers(School.parse("99YY"))
    assert not scope.covers(School.parse("98XX01"))


def test_dependance_scope_covers_only_that_dependance() -> None:
    """`99XX01` covers `99XX01` but neither the whole school `99XX` nor `99XX02`."""
    scope = SchoolScope.of(["99XX01"])
    assert scope.covers(School.parse("99XX01"))
    assert not scope.covers(School.parse("99XX"))
    assert not scope.covers(School.parse("99XX02"))


def test_scope_of_several_codes() -> None:
    """A scope of several codes covers the union of what each covers."""
    scope = SchoolScope.of(["99XX01", "98YY"])
    assert scope.covers(School.parse("99XX01"))
    assert scope.covers(School.parse("98YY03"))
    assert not scope.covers(School.parse("99XX03"))


def test_all_covers_everything() -> None:
    """The scope `all` covers every school and dependance."""
    scope = SchoolScope.of("all")
    assert scope.every_school
    assert scope.covers(School.parse("99XX"))
    assert scope.covers(School.parse("12AB34"))


def test_empty_scope_covers_nothing() -> None:
    """An empty list of codes covers no school."""
    assert not SchoolScope.of([]).covers(School.parse("99XX"))


def test_scope_rejects_invalid_codes() -> None:
    """A scope with an invalid code raises SchoolCodeError."""
    with pytest.raises(SchoolCodeError):
        SchoolScope.of(["99XX", "bad"])


def test_as_list() -> None:
    """as_list gives the sorted codes, or ["all"] for every school."""
    assert SchoolScope.of(["99XX01", "98YY", "99XX"]).as_list() == ["98YY", "99XX", "99XX01"]
    assert SchoolScope.of("all").as_list() == ["all"]
