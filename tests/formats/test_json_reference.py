"""The reference JSON filter: keeping what a policy allows and counting what is stripped."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml

from gateway import samples
from gateway.formats import payload_schema
from gateway.formats.json_reference import filtered
from gateway.formats.payload_schema import PayloadSchema
from gateway.register.policy import FieldPolicy

ROOT = Path(__file__).resolve().parents[2]

BASISPOORT_PUPIL_KEYS = {
    "basispoort_id",
    "leerlingkey",
    "voornaam",
    "tussenvoegsel",
    "achternaam",
    "geboortedatum",
    "geslacht",
    "groepskey",
    "groepsnaam",
    "jaargroep",
}


@pytest.fixture(scope="module")
def schema() -> PayloadSchema:
    return payload_schema.load(ROOT / "schemas", "las-sync")


@pytest.fixture(scope="module")
def basispoort() -> FieldPolicy:
    data = yaml.safe_load((ROOT / "contracts" / "basispoort.yaml").read_text(encoding="utf-8"))
    return FieldPolicy.from_paths(data["routes"][0]["fields"])


def policy(*paths: str) -> FieldPolicy:
    return FieldPolicy.from_paths(paths)


def test_only_allowed_scalars_survive_in_nested_objects(schema: PayloadSchema) -> None:
    """Inside a nested object only the allowed keys are kept, with their values unchanged."""
    document = {"school": {"brin": "99XX", "dependance": "00", "naam": "Obs Voorbeeld"}}
    result = filtered(document, policy("school.brin", "school.dependance"), schema)
    assert result.document == {"school": {"brin": "99XX", "dependance": "00"}}
    assert result.stripped == {"school.naam": 1}


def test_only_allowed_keys_survive_in_arrays_of_objects(schema: PayloadSchema) -> None:
    """Each item of an array of objects keeps only its allowed keys, in order, at any depth."""
    document = {
        "leerlingen": [
            {"leerlingkey": "LL-1", "voornaam": "Sanne", "adres": {"postcode": "9645 HC"}},
            {"leerlingkey": "LL-2", "voornaam": "Daan", "adres": {"straat": "Kerkstraat"}},
        ]
    }
    result = filtered(
        document, policy("leerlingen[].leerlingkey", "leerlingen[].adres.straat"), schema
    )
    assert result.document == {
        "leerlingen": [
            {"leerlingkey": "LL-1", "adres": {}},
            {"leerlingkey": "LL-2", "adres": {"straat": "Kerkstraat"}},
        ]
    }
    assert result.stripped == {"leerlingen[].voornaam": 2, "leerlingen[].adres.postcode": 1}


def test_arrays_of_scalars_keep_scalar_items(schema: PayloadSchema) -> None:
    """An allowed array of scalars keeps its scalar items (null and booleans included)."""
    document = {"school": {"tags": ["a", 1, 2.5, True, None]}}
    result = filtered(document, policy("school.tags[]"), schema)
    assert result.document == {"school": {"tags": ["a", 1, 2.5, True, None]}}
    assert result.stripped == {}


def test_nested_arrays_of_objects(schema: PayloadSchema) -> None:
    """Arrays of objects inside array items are filtered too (pupils' parents)."""
    document = {
        "leerlingen": [
            {"ouders": [{"iban": "NL00BANK0123", "voornaam": "Anna"}, {"voornaam": "Jan"}]},
            {"ouders": []},
        ]
    }
    result = filtered(document, policy("leerlingen[].ouders[].voornaam"), schema)
    assert result.document == {
        "leerlingen": [{"ouders": [{"voornaam": "Anna"}, {"voornaam": "Jan"}]}, {"ouders": []}]
    }
    assert result.stripped == {"leerlingen[].ouders[].iban": 1}


def test_disallowed_key_is_stripped_whole_and_counted_once_per_occurrence(
    schema: PayloadSchema,
) -> None:
    """A disallowed subtree goes whole and counts once per pupil at its top-most path only."""
    document = {
        "leerlingen": [
            {"leerlingkey": "LL-1", "ouders": [{"iban": "NL01", "adres": {"postcode": "1"}}]},
            {"leerlingkey": "LL-2", "ouders": [{"iban": "NL02"}, {"iban": "NL03"}]},
            {"leerlingkey": "LL-3", "ouders": []},
        ]
    }
    result = filtered(document, policy("leerlingen[].leerlingkey"), schema)
    assert result.document == {
        "leerlingen": [{"leerlingkey": "LL-1"}, {"leerlingkey": "LL-2"}, {"leerlingkey": "LL-3"}]
    }
    assert result.stripped == {"leerlingen[].ouders": 3}


def test_top_level_disallowed_keys_are_counted_by_path(schema: PayloadSchema) -> None:
    """Known top-level keys that the policy does not name are counted under their own path."""
    document = {"school": {"brin": "99XX"}, "groepen": [{"groepskey": "G-1"}], "leerlingen": []}
    result = filtered(document, policy("school.brin"), schema)
    assert result.document == {"school": {"brin": "99XX"}}
    assert result.stripped == {"groepen": 1, "leerlingen": 1}


@pytest.mark.parametrize("value", [{"nested": "x"}, ["x"], [], {}])
def test_container_where_scalar_allowed_is_stripped(schema: PayloadSchema, value: Any) -> None:
    """An object or array where a scalar is allowed is stripped and counted under that path."""
    document = {"leerlingen": [{"leerlingkey": "LL-1", "voornaam": value}]}
    result = filtered(document, policy("leerlingen[].leerlingkey", "leerlingen[].voornaam"), schema)
    assert result.document == {"leerlingen": [{"leerlingkey": "LL-1"}]}
    assert result.stripped == {"leerlingen[].voornaam": 1}
    assert "leerlingen[].voornaam" not in result.forwarded


@pytest.mark.parametrize("value", ["9645 HC", 3, None, True, ["9645 HC"]])
def test_wrong_type_where_object_allowed_is_stripped(schema: PayloadSchema, value: Any) -> None:
    """A scalar or array where an object is allowed is stripped and counted under that path."""
    document = {"leerlingen": [{"adres": value}]}
    result = filtered(document, policy("leerlingen[].adres.postcode"), schema)
    assert result.document == {"leerlingen": [{}]}
    assert result.stripped == {"leerlingen[].adres": 1}


@pytest.mark.parametrize("value", ["LL-1", 7, None, {"leerlingkey": "LL-1"}])
def test_non_array_where_array_allowed_is_stripped(schema: PayloadSchema, value: Any) -> None:
    """A scalar or object where an array is allowed is stripped and counted under that path."""
    result = filtered({"leerlingen": value}, policy("leerlingen[].leerlingkey"), schema)
    assert result.document == {}
    assert result.stripped == {"leerlingen": 1}
    assert result.forwarded == frozenset()


def test_non_object_items_in_array_of_objects_are_stripped(schema: PayloadSchema) -> None:
    """Items of an array of objects that are not objects are dropped and counted under `path[]`."""
    document = {"leerlingen": [{"leerlingkey": "LL-1"}, "LL-2", 3, None, ["LL-4"]]}
    result = filtered(document, policy("leerlingen[].leerlingkey"), schema)
    assert result.document == {"leerlingen": [{"leerlingkey": "LL-1"}]}
    assert result.stripped == {"leerlingen[]": 4}


def test_container_items_in_array_of_scalars_are_stripped(schema: PayloadSchema) -> None:
    """Object or array items of an array of scalars are dropped and counted under `path[]`."""
    document = {"school": {"tags": ["a", {"b": 1}, ["c"], "d"]}}
    result = filtered(document, policy("school.tags[]"), schema)
    assert result.document == {"school": {"tags": ["a", "d"]}}
    assert result.stripped == {"school.tags[]": 2}


def test_unknown_keys_are_counted_as_parent_star(schema: PayloadSchema) -> None:
    """Keys the payload schema does not know count as `<parent>.*`, per occurrence."""
    document = {
        "geheim_veld": 1,
        "school": {"brin": "99XX", "extra": "x"},
        "leerlingen": [
            {"leerlingkey": "LL-1", "Sanne van der Berg": "BSN 123456782"},
            {"leerlingkey": "LL-2", "Daan de Vries": "x", "adres": {"verdieping": "2"}},
        ],
    }
    allowed = policy("school.brin", "leerlingen[].leerlingkey", "leerlingen[].adres.postcode")
    result = filtered(document, allowed, schema)
    assert result.stripped == {
        "*": 1,
        "school.*": 1,
        "leerlingen[].*": 2,
        "leerlingen[].adres.*": 1,
    }


def test_unknown_key_names_never_reach_the_stripped_account(schema: PayloadSchema) -> None:
    """A key chosen by the sender (which may hold pupil data) appears in no stripped path."""
    secret = "Sanne_van_der_Berg_123456782"
    document = {"leerlingen": [{"leerlingkey": "LL-1", secret: "x", "adres": {secret: "y"}}]}
    result = filtered(document, policy("leerlingen[].leerlingkey"), schema)
    assert result.stripped == {"leerlingen[].*": 1, "leerlingen[].adres": 1}
    assert all(secret not in path for path in result.stripped)
    assert secret not in msgspec.json.encode(result.document).decode()


def test_forwarded_lists_exactly_the_leaf_paths_that_carried_values(
    schema: PayloadSchema,
) -> None:
    """`forwarded` names each allowed leaf that was present with a scalar value, and no other."""
    document = {
        "school": {"brin": "99XX", "tags": ["a"]},
        "groepen": [],
        "leerlingen": [{"voornaam": "Sanne", "adres": {}}, {"voornaam": "Daan"}],
    }
    allowed = policy(
        "school.brin",
        "school.dependance",
        "school.tags[]",
        "groepen[].naam",
        "leerlingen[].voornaam",
        "leerlingen[].achternaam",
        "leerlingen[].adres.postcode",
    )
    result = filtered(document, allowed, schema)
    assert result.forwarded == frozenset({"school.brin", "school.tags[]", "leerlingen[].voornaam"})
    assert result.stripped == {}


@pytest.mark.parametrize(
    ("document", "records"),
    [
        ({"leerlingen": [{}, {}, {}]}, 3),
        ({"leerlingen": []}, 0),
        ({"school": {"brin": "99XX"}}, 0),
        ({"leerlingen": "not a list"}, 0),
    ],
)
def test_records_is_the_number_of_pupils(
    schema: PayloadSchema, document: dict[str, Any], records: int
) -> None:
    """`records` counts the pupils in the input, whether or not they were forwarded."""
    assert filtered(document, policy("school.brin"), schema).records == records


def test_filtering_does_not_change_the_input(schema: PayloadSchema) -> None:
    """The input document is left exactly as it was."""
    document = samples.sync(3)
    before = copy.deepcopy(document)
    filtered(document, policy("leerlingen[].voornaam"), schema)
    assert document == before


def test_basispoort_policy_on_sample_sync(schema: PayloadSchema, basispoort: FieldPolicy) -> None:
    """The shipped Basispoort contract forwards exactly the Basispoort set and nothing sensitive."""
    document = samples.sync(30)
    result = filtered(document, basispoort, schema)

    assert result.records == 30
    assert set(result.document) == {"school", "groepen", "leerlingen"}
    assert result.document["school"] == {
        "brin": "99XX",
        "dependance": "00",
        "basispoort_id": "BPS-0001",
    }
    assert result.document["groepen"] == document["groepen"]
    assert len(result.document["leerlingen"]) == 30
    for sent, original in zip(result.document["leerlingen"], document["leerlingen"], strict=True):
        assert set(sent) == BASISPOORT_PUPIL_KEYS
        assert sent == {key: original[key] for key in BASISPOORT_PUPIL_KEYS}

    assert result.forwarded == basispoort.allowed
    assert result.stripped["leerlingen[].bsn"] == 30
    assert result.stripped["leerlingen[].ouders"] == 30
    assert result.stripped["leerlingen[].medisch"] == 30
    assert result.stripped["school.naam"] == 1
    assert not any(path.startswith("leerlingen[].ouders[]") for path in result.stripped)

    encoded = msgspec.json.encode(result.document).decode()
    pupils = document["leerlingen"]
    sensitive: set[str] = set()
    for pupil in pupils:
        sensitive.add(pupil["bsn"])
        sensitive.add(pupil["adres"]["postcode"])
        sensitive.add(pupil["adres"]["straat"])
        sensitive.add(pupil["zorgverzekering"]["polisnummer"])
        sensitive.add(pupil["eckid"])
        sensitive.add(pupil["email"])
        for parent in pupil["ouders"]:
            sensitive.add(parent["iban"])
            sensitive.add(parent["beroep"])
        if pupil["medisch"]["notitie"]:
            sensitive.add(pupil["medisch"]["notitie"])
        if pupil["godsdienst"] != "geen":
            sensitive.add(pupil["godsdienst"])
    assert {"protestants", "katholiek", "islamitisch"} & sensitive
    for value in sensitive:
        assert value not in encoded, value
    for key in ("bsn", "godsdienst", "medisch", "ouders", "adres", "nationaliteit", "iban"):
        assert f'"{key}"' not in encoded
