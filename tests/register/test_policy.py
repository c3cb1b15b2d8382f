"""Unit tests for gateway.policy: compiling allowed field paths into a FieldPolicy tree."""

from __future__ import annotations

import pytest

from gateway.formats.fieldpaths import FieldPathError
from gateway.register.policy import FieldPolicy, PolicyError


def test_empty_policy_is_an_empty_object_root() -> None:
    """No paths give a root object node that allows no keys."""
    policy = FieldPolicy.from_paths([])
    assert policy.root.kind == "object"
    assert policy.root.path == ""
    assert dict(policy.root.keys) == {}
    assert policy.allowed == frozenset()


def test_scalar_at_top_level() -> None:
    """A bare key becomes a scalar node under the root, with its own path."""
    node = FieldPolicy.from_paths(["notities"]).root.keys["notities"]
    assert node.kind == "scalar"
    assert node.path == "notities"
    assert dict(node.keys) == {}
    assert node.items is None


def test_nested_object_collects_sibling_keys() -> None:
    """Paths sharing a prefix build one object node that lists every allowed key."""
    policy = FieldPolicy.from_paths(["school.brin", "school.dependance"])
    school = policy.root.keys["school"]
    assert school.kind == "object"
    assert school.path == "school"
    assert set(school.keys) == {"brin", "dependance"}
    assert school.keys["brin"].kind == "scalar"
    assert school.keys["brin"].path == "school.brin"


def test_array_of_objects() -> None:
    """`x[].y` makes `x` an array node whose items are an object node allowing `y`."""
    policy = FieldPolicy.from_paths(["leerlingen[].voornaam", "leerlingen[].adres.postcode"])
    pupils = policy.root.keys["leerlingen"]
    assert pupils.kind == "array"
    assert pupils.path == "leerlingen"
    assert pupils.items is not None
    assert pupils.items.kind == "object"
    assert pupils.items.path == "leerlingen[]"
    assert set(pupils.items.keys) == {"voornaam", "adres"}
    assert pupils.items.keys["voornaam"].path == "leerlingen[].voornaam"
    postcode = pupils.items.keys["adres"].keys["postcode"]
    assert postcode.kind == "scalar"
    assert postcode.path == "leerlingen[].adres.postcode"


def test_array_of_scalars() -> None:
    """`x[]` makes `x` an array node whose items are scalars named `x[]`."""
    tags = FieldPolicy.from_paths(["school.tags[]"]).root.keys["school"].keys["tags"]
    assert tags.kind == "array"
    assert tags.items is not None
    assert tags.items.kind == "scalar"
    assert tags.items.path == "school.tags[]"


def test_nested_arrays() -> None:
    """Arrays inside array items nest: `leerlingen[].ouders[].iban` has two array levels."""
    policy = FieldPolicy.from_paths(["leerlingen[].ouders[].iban"])
    pupils = policy.root.keys["leerlingen"]
    assert pupils.items is not None
    parents = pupils.items.keys["ouders"]
    assert parents.kind == "array"
    assert parents.items is not None
    assert parents.items.path == "leerlingen[].ouders[]"
    assert parents.items.keys["iban"].path == "leerlingen[].ouders[].iban"


def test_allowed_is_the_set_of_given_paths() -> None:
    """`allowed` holds exactly the paths given, duplicates collapsed."""
    paths = ["school.brin", "leerlingen[].voornaam", "school.tags[]", "school.brin"]
    assert FieldPolicy.from_paths(paths).allowed == frozenset(
        {"school.brin", "leerlingen[].voornaam", "school.tags[]"}
    )


def test_policy_tree_is_read_only() -> None:
    """The compiled node keys cannot be changed after the fact."""
    policy = FieldPolicy.from_paths(["school.brin"])
    with pytest.raises(TypeError):
        policy.root.keys["bsn"] = policy.root.keys["school"]  # type: ignore[index]


@pytest.mark.parametrize(
    "paths",
    [
        ["a", "a.b"],
        ["a.b", "a"],
        ["a[]", "a"],
        ["a", "a[]"],
        ["a[]", "a[].b"],
        ["a[].b", "a[]"],
        ["a.b", "a[].b"],
        ["a[].b", "a.b"],
        ["a.b", "a.b.c"],
        ["a[].b[]", "a[].b.c"],
    ],
)
def test_conflicting_paths_raise(paths: list[str]) -> None:
    """A path used both as a value and as an object or array (in either order) raises."""
    with pytest.raises(PolicyError):
        FieldPolicy.from_paths(paths)


def test_bad_path_raises_field_path_error() -> None:
    """A path that is not in the dotted notation is refused while building the policy."""
    with pytest.raises(FieldPathError):
        FieldPolicy.from_paths(["leerlingen[].Voornaam"])
