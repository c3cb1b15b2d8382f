"""The reference JSON filter: keeping what a policy allows, valid and clean, and counting what
is stripped, invalid or inspected."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml

from gateway import samples
from gateway.formats import payload_schema
from gateway.formats.filtered import Filtered
from gateway.formats.json_reference import filtered
from gateway.formats.payload_schema import PayloadSchema
from gateway.register.policy import FieldPolicy

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = payload_schema.load(ROOT / "schemas", "las-sync")

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
    return SCHEMA


@pytest.fixture(scope="module")
def basispoort() -> FieldPolicy:
    data = yaml.safe_load((ROOT / "contracts" / "basispoort.yaml").read_text(encoding="utf-8"))
    return FieldPolicy.from_paths(data["routes"][0]["fields"], SCHEMA)


def policy(*paths: str, narrowing: dict[str, Any] | None = None) -> FieldPolicy:
    return FieldPolicy.from_paths(paths, SCHEMA, narrowing)


def sent(result: Filtered) -> Any:
    """What would reach the supplier."""
    return msgspec.json.decode(result.body)


def test_only_allowed_scalars_survive_in_nested_objects(schema: PayloadSchema) -> None:
    """Inside a nested object only the allowed keys are kept, with their values unchanged."""
    document = {"school": {"brin": "99XX", "dependance": "00", "naam": "Obs Voorbeeld"}}
    result = filtered(document, policy("school.brin", "school.dependance"), schema)
    assert sent(result) == {"school": {"brin": "99XX", "dependance": "00"}}
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
    assert sent(result) == {
        "leerlingen": [
            {"leerlingkey": "LL-1", "adres": {}},
            {"leerlingkey": "LL-2", "adres": {"straat": "Kerkstraat"}},
        ]
    }
    assert result.stripped == {"leerlingen[].voornaam": 2, "leerlingen[].adres.postcode": 1}


def test_arrays_of_scalars_keep_scalar_items(schema: PayloadSchema) -> None:
    """An allowed array of scalars keeps its scalar items (null and booleans included)."""
    document = {"school": {"tags": ["a", 1, 2.5, True, None]}}
    result = filtered(document, policy("school.tags[]"), schema)  # no rule: any scalar
    assert sent(result) == {"school": {"tags": ["a", 1, 2.5, True, None]}}
    assert result.stripped == {}


def test_nested_arrays_of_objects(schema: PayloadSchema) -> None:
    """Arrays of objects inside array items are filtered too (pupils' parents)."""
    document = {
        "leerlingen": [
            {
                "leerlingkey": "LL-1",
                "ouders": [{"iban": "NL00BANK0123", "voornaam": "Anna"}, {"voornaam": "Jan"}],
            },
            {"leerlingkey": "LL-2", "ouders": []},
        ]
    }
    result = filtered(document, policy("leerlingen[].ouders[].voornaam"), schema)
    assert sent(result) == {
        "leerlingen": [{"ouders": [{"voornaam": "Anna"}, {"voornaam": "Jan"}]}, {"ouders": []}]
    }
    assert result.stripped == {"leerlingen[].ouders[].iban": 1, "leerlingen[].leerlingkey": 2}


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
    assert sent(result) == {
        "leerlingen": [{"leerlingkey": "LL-1"}, {"leerlingkey": "LL-2"}, {"leerlingkey": "LL-3"}]
    }
    assert result.stripped == {"leerlingen[].ouders": 3}


def test_top_level_disallowed_keys_are_counted_by_path(schema: PayloadSchema) -> None:
    """Known top-level keys that the policy does not name are counted under their own path."""
    document = {"school": {"brin": "99XX"}, "groepen": [{"groepskey": "G-1"}], "leerlingen": []}
    result = filtered(document, policy("school.brin"), schema)
    assert sent(result) == {"school": {"brin": "99XX"}}
    assert result.stripped == {"groepen": 1, "leerlingen": 1}


@pytest.mark.parametrize("value", [{"nested": "x"}, ["x"], [], {}])
def test_container_where_scalar_allowed_is_invalid(schema: PayloadSchema, value: Any) -> None:
    """An object or array where a scalar is allowed is left out, counted as a type error."""
    document = {"leerlingen": [{"leerlingkey": "LL-1", "voornaam": value}]}
    result = filtered(document, policy("leerlingen[].leerlingkey", "leerlingen[].voornaam"), schema)
    assert sent(result) == {"leerlingen": [{"leerlingkey": "LL-1"}]}
    assert result.stripped == {}
    assert result.invalid == {"leerlingen[].voornaam": {"type": 1}}
    assert "leerlingen[].voornaam" not in result.forwarded


@pytest.mark.parametrize("value", ["9645 HC", 3, None, True, ["9645 HC"]])
def test_wrong_type_where_object_allowed_is_invalid(schema: PayloadSchema, value: Any) -> None:
    """A scalar or array where an object is allowed is left out, counted as a type error."""
    document = {"leerlingen": [{"leerlingkey": "LL-1", "adres": value}]}
    result = filtered(document, policy("leerlingen[].adres.postcode"), schema)
    assert sent(result) == {"leerlingen": [{}]}
    assert result.invalid == {"leerlingen[].adres": {"type": 1}}


@pytest.mark.parametrize("value", ["LL-1", 7, None, {"leerlingkey": "LL-1"}])
def test_non_array_where_array_allowed_is_invalid(schema: PayloadSchema, value: Any) -> None:
    """A scalar or object where an array is allowed is left out, counted as a type error."""
    result = filtered({"leerlingen": value}, policy("leerlingen[].leerlingkey"), schema)
    assert sent(result) == {}
    assert result.invalid == {"leerlingen": {"type": 1}}
    assert result.forwarded == frozenset()


def test_non_object_items_in_array_of_objects_are_no_records(schema: PayloadSchema) -> None:
    """Items of an array of objects that are not objects are left out, counted under `path[]`,
    and are no records."""
    document = {"leerlingen": [{"leerlingkey": "LL-1"}, "LL-2", 3, None, ["LL-4"]]}
    result = filtered(document, policy("leerlingen[].leerlingkey"), schema)
    assert sent(result) == {"leerlingen": [{"leerlingkey": "LL-1"}]}
    assert result.invalid == {"leerlingen[]": {"type": 4}}
    assert result.records == 1


def test_container_items_in_array_of_scalars_are_invalid(schema: PayloadSchema) -> None:
    """Object or array items of an array of scalars are left out, counted under `path[]`."""
    document = {"school": {"tags": ["a", {"b": 1}, ["c"], "d"]}}
    result = filtered(document, policy("school.tags[]"), schema)
    assert sent(result) == {"school": {"tags": ["a", "d"]}}
    assert result.invalid == {"school.tags[]": {"type": 2}}


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
    assert secret not in msgspec.json.encode(sent(result)).decode()


def test_forwarded_lists_exactly_the_leaf_paths_that_carried_values(
    schema: PayloadSchema,
) -> None:
    """`forwarded` names each allowed leaf that was present with a scalar value, and no other."""
    document = {
        "school": {"brin": "99XX", "tags": ["a"]},
        "groepen": [],
        "leerlingen": [
            {"leerlingkey": "LL-1", "voornaam": "Sanne", "adres": {}},
            {"leerlingkey": "LL-2", "voornaam": "Daan"},
        ],
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
    assert result.stripped == {"leerlingen[].leerlingkey": 2}


@pytest.mark.parametrize(
    ("document", "paths", "records"),
    [
        ({"leerlingen": [{"leerlingkey": "a"}, {"leerlingkey": "b"}]}, ["school.brin"], 0),
        (
            {"leerlingen": [{"leerlingkey": "a"}, {"leerlingkey": "b"}]},
            ["leerlingen[].jaargroep"],
            2,
        ),
        ({"leerlingen": [{}, {}, {"leerlingkey": "c"}]}, ["leerlingen[].leerlingkey"], 1),
        ({"leerlingen": ["x", 123, None, {"leerlingkey": "d"}]}, ["leerlingen[].leerlingkey"], 1),
        ({"leerlingen": []}, ["leerlingen[].leerlingkey"], 0),
        ({"leerlingen": "not a list"}, ["leerlingen[].leerlingkey"], 0),
    ],
)
def test_records_is_the_number_of_pupils_forwarded(
    schema: PayloadSchema, document: dict[str, Any], paths: list[str], records: int
) -> None:
    """`records` counts the pupil records that leave: objects with a valid leerlingkey, under a
    policy that lets pupils through at all."""
    assert filtered(document, policy(*paths), schema).records == records


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
    assert set(sent(result)) == {"school", "groepen", "leerlingen"}
    assert sent(result)["school"] == {
        "brin": "99XX",
        "dependance": "00",
        "basispoort_id": "BPS-0001",
    }
    assert sent(result)["groepen"] == document["groepen"]
    assert len(sent(result)["leerlingen"]) == 30
    for pupil, original in zip(sent(result)["leerlingen"], document["leerlingen"], strict=True):
        assert set(pupil) == BASISPOORT_PUPIL_KEYS
        assert pupil == {key: original[key] for key in BASISPOORT_PUPIL_KEYS}

    assert result.forwarded == basispoort.allowed
    assert result.stripped["leerlingen[].bsn"] == 30
    assert result.stripped["leerlingen[].ouders"] == 30
    assert result.stripped["leerlingen[].medisch"] == 30
    assert result.stripped["school.naam"] == 1
    assert not any(path.startswith("leerlingen[].ouders[]") for path in result.stripped)

    encoded = msgspec.json.encode(sent(result)).decode()
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


# --- values -------------------------------------------------------------------------------------

BASISPOORT_PATHS = yaml.safe_load((ROOT / "contracts" / "basispoort.yaml").read_text())["routes"][
    0
]["fields"]
A_RECORD = '{"bsn": "123456782", "godsdienst": "islamitisch", "medisch": {"notitie": "ADHD"}}'


@pytest.mark.parametrize(
    ("path", "value", "counted"),
    [
        ("leerlingen[].groepsnaam", "Groep 3a 123456782", ("inspected", "bsn")),
        ("leerlingen[].tussenvoegsel", A_RECORD, ("invalid", "length")),
        ("leerlingen[].tussenvoegsel", '{"bsn":1}', ("invalid", "pattern")),
        ("leerlingen[].jaargroep", "NL91ABNA0417164300", ("invalid", "type")),
        ("leerlingen[].jaargroep", 9, ("invalid", "range")),
        ("leerlingen[].geslacht", "Kerkstraat 12", ("invalid", "enum")),
        ("leerlingen[].geboortedatum", "Anna de Vries", ("invalid", "format")),
        ("leerlingen[].geboortedatum", "2018-02-30", ("invalid", "format")),
        ("school.dependance", "https://ketenid.nl/201703/" + "0" * 128, ("invalid", "pattern")),
        ("groepen[].naam", "x" * 4_000_000, ("invalid", "length")),
        ("leerlingen[].voornaam", "anna@example.nl", ("invalid", "pattern")),
        ("leerlingen[].achternaam", "Berg\u0000", ("invalid", "pattern")),
        ("groepen[].naam", "Groep NL91 ABNA 0417 1643 00", ("inspected", "iban")),
        ("groepen[].naam", "Groep https://ketenid.nl/201703/abc", ("inspected", "eckid")),
        ("groepen[].naam", "Groep van ouder@example.nl", ("invalid", "pattern")),
        ("groepen[].naam", "Bel 06-12345678", ("inspected", "phone")),
    ],
)
def test_a_value_that_breaks_its_field_does_not_leave(
    path: str, value: Any, counted: tuple[str, str]
) -> None:
    """Each value the attacker and the careless export sent is left out, counted by path and kind,
    and the rest of the sync still leaves."""
    document = samples.sync(3)
    where, _, key = path.rpartition(".")
    target = document[where.removesuffix("[]")] if where.endswith("[]") else document[where]
    (target[1] if isinstance(target, list) else target)[key] = (
        value.replace("\\u0000", "\u0000") if isinstance(value, str) else value
    )
    result = filtered(document, policy(*BASISPOORT_PATHS), SCHEMA)
    account, kind = counted
    assert getattr(result, account) == {path: {kind: 1}}
    assert result.records == 3
    if isinstance(value, str):
        assert value not in result.body.decode()
    other = "invalid" if account == "inspected" else "inspected"
    assert getattr(result, other) == {}


def test_one_bad_birth_date_in_three_thousand_leaves_the_rest() -> None:
    """A sync with one impossible birth date still delivers the other 2,999 pupils whole."""
    document = samples.sync(3000)
    document["leerlingen"][1234]["geboortedatum"] = "2017-13-01"
    result = filtered(document, policy(*BASISPOORT_PATHS), SCHEMA)
    assert result.records == 3000
    assert result.invalid == {"leerlingen[].geboortedatum": {"format": 1}}
    pupils = sent(result)["leerlingen"]
    assert sum("geboortedatum" in p for p in pupils) == 2999


@pytest.mark.parametrize(
    ("record", "kind"),
    [
        ({"voornaam": "Sanne"}, "required"),
        ({"leerlingkey": "", "voornaam": "Sanne"}, "length"),
        ({"leerlingkey": "LL 1; DROP", "voornaam": "Sanne"}, "pattern"),
        ({"leerlingkey": 123, "voornaam": "Sanne"}, "type"),
    ],
)
def test_a_record_without_a_valid_leerlingkey_is_no_record(
    record: dict[str, Any], kind: str
) -> None:
    """A pupil without a valid leerlingkey is left out whole, counted once at the key, and
    nothing inside it is counted."""
    document = {"leerlingen": [{"leerlingkey": "LL-1", "voornaam": "Daan"}, record]}
    result = filtered(document, policy(*BASISPOORT_PATHS), SCHEMA)
    assert sent(result) == {"leerlingen": [{"leerlingkey": "LL-1", "voornaam": "Daan"}]}
    assert result.records == 1
    assert result.invalid == {"leerlingen[].leerlingkey": {kind: 1}}
    assert result.stripped == {}


def test_a_leerlingkey_holding_a_bsn_takes_its_record_with_it() -> None:
    """A leerlingkey that is a BSN is inspected out, and with it the record it keys."""
    document = {"leerlingen": [{"leerlingkey": "123456782", "voornaam": "Daan"}]}
    result = filtered(document, policy(*BASISPOORT_PATHS), SCHEMA)
    assert sent(result) == {"leerlingen": []}
    assert result.inspected == {"leerlingen[].leerlingkey": {"bsn": 1}}
    assert result.records == 0


@pytest.mark.parametrize(
    "text", ["Groep 123456789", "Groep 3a", "Unit 7-8 B", "Combinatiegroep 5/6", "Groep 2018-03-01"]
)
def test_numbers_failing_the_eleven_test_and_ordinary_text_pass(text: str) -> None:
    """Nine digits that fail the eleven-test, dates and ordinary group names leave untouched."""
    document = {"groepen": [{"groepskey": "G-1", "naam": text}]}
    result = filtered(document, policy(*BASISPOORT_PATHS), SCHEMA)
    assert sent(result) == document
    assert result.inspected == {} and result.invalid == {}


def test_a_field_declared_to_hold_an_identifier_keeps_it() -> None:
    """An e-mail address in ``email`` and a phone number in ``telefoonnummer`` are what those
    fields are for: not inspected out."""
    pupil = {"leerlingkey": "LL-1", "email": "ouder@example.nl", "telefoonnummer": "06-12345678"}
    allowed = policy(
        "leerlingen[].leerlingkey", "leerlingen[].email", "leerlingen[].telefoonnummer"
    )
    result = filtered({"leerlingen": [pupil]}, allowed, SCHEMA)
    assert sent(result) == {"leerlingen": [pupil]}
    assert result.inspected == {}


def test_a_contract_narrowing_applies_on_top_of_the_schema() -> None:
    """A contract's narrower maxLength and enum take out what the schema alone would allow."""
    allowed = policy(
        "leerlingen[].leerlingkey",
        "leerlingen[].voornaam",
        "leerlingen[].geslacht",
        narrowing={
            "leerlingen[].voornaam": {"maxLength": 5},
            "leerlingen[].geslacht": {"enum": ["M", "V"]},
        },
    )
    document = {
        "leerlingen": [
            {"leerlingkey": "a", "voornaam": "Anna", "geslacht": "M"},
            {"leerlingkey": "b", "voornaam": "Annabel", "geslacht": "X"},
        ]
    }
    result = filtered(document, allowed, SCHEMA)
    assert sent(result)["leerlingen"] == [
        {"leerlingkey": "a", "voornaam": "Anna", "geslacht": "M"},
        {"leerlingkey": "b"},
    ]
    assert result.invalid == {
        "leerlingen[].voornaam": {"length": 1},
        "leerlingen[].geslacht": {"enum": 1},
    }


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("bel 06-12345678 of mail ouder@example.nl", {"phone": 1, "email": 1}),
        ("bsn 1234.56.782", {"bsn": 1}),
        ("rekening NL91ABNA0417164300", {"iban": 1}),
        ("gesprek met ouders gepland", None),
    ],
)
def test_free_text_is_inspected_for_every_kind(text: str, kinds: dict[str, int] | None) -> None:
    """In free text every kind of identifier is found, each counted; ordinary text leaves."""
    document = {"leerlingen": [{"leerlingkey": "LL-1", "notities": text}]}
    result = filtered(document, policy("leerlingen[].leerlingkey", "leerlingen[].notities"), SCHEMA)
    if kinds is None:
        assert sent(result) == document and result.inspected == {}
    else:
        assert sent(result) == {"leerlingen": [{"leerlingkey": "LL-1"}]}
        assert result.inspected == {"leerlingen[].notities": kinds}
