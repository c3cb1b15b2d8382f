"""gateway.evidence.canonical: RFC 8785 byte for byte, on the RFC's own examples."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.evidence.canonical import NotCanonicalisable, canonical, number

# RFC 8785 appendix B: IEEE 754 bit patterns and their JSON text.
APPENDIX_B = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "text"), APPENDIX_B)
def test_numbers_are_written_as_ecmascript_writes_them(bits: str, text: str) -> None:
    assert number(struct.unpack(">d", bytes.fromhex(bits))[0]) == text


def test_the_rfcs_example_of_section_3_2_2() -> None:
    """RFC 8785 section 3.2.2's input gives exactly its section 3.2.3 output."""
    value = {
        "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
        "literals": [None, True, False],
    }
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical(value) == expected.encode("utf-8")


def test_keys_are_sorted_by_utf16_code_units() -> None:
    """RFC 8785 section 3.2.3's sorting example: UTF-16 order, not code point order (the
    emoji's surrogates sort before U+FB33)."""
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    import json

    order = list(json.loads(canonical(value)))  # json keeps the text's key order
    assert order == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 2**53, {1: "x"}, "\ud800", object()])
def test_what_json_cannot_hold_exactly_is_refused(value: object) -> None:
    with pytest.raises(NotCanonicalisable):
        canonical(value)


def test_an_entry_is_compact_sorted_utf8() -> None:
    """The shape of a log entry: nested objects sorted too, no whitespace, integers plain."""
    entry = {"kind": "begin", "fields_stripped": {"b": 1, "a": 2}, "duration_ms": 12.5, "x": None}
    assert canonical(entry) == (
        b'{"duration_ms":12.5,"fields_stripped":{"a":2,"b":1},"kind":"begin","x":null}'
    )


def test_the_fast_path_writes_what_the_spelled_out_path_writes() -> None:
    """``canonical`` hands values it can prove plain to msgspec's encoder; on 20,000
    random values (floats, non-ASCII and astral keys, escapes, nesting) both give the same
    bytes."""
    import random

    from gateway.evidence import canonical as module

    rng = random.Random(8785)
    scalars = [None, True, False, 'a"\\\x01é€😀', "x", 3.0, 0.0, -0.0]

    def value(depth: int = 0) -> object:
        r = rng.random()
        if depth > 2 or r < 0.3:
            return rng.choice(
                [*scalars, rng.randint(-(2**53) + 1, 2**53 - 1), rng.uniform(-1e30, 1e30),
                 rng.random() * 1e-8]
            )  # fmt: skip
        if r < 0.65:
            return [value(depth + 1) for _ in range(rng.randint(0, 4))]
        keys = ["a", "b", "é", "😀", "\r", "1", "ab", "\ufb33"]
        return {rng.choice(keys): value(depth + 1) for _ in range(rng.randint(0, 4))}

    for _ in range(20_000):
        item = value()
        parts: list[str] = []
        module._write(item, parts)
        assert canonical(item) == "".join(parts).encode("utf-8"), item


_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([1e21, 1e-7, 123456789012345.6, 0.0001, 5e-324, 1.7976931348623157e308])
    | st.text()
)
_VALUES = st.recursive(
    _LEAVES, lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=20
)


@settings(max_examples=3000, deadline=None)
@given(_VALUES)
def test_every_value_either_path_takes_gives_the_rfcs_bytes(value: object) -> None:
    """Whatever hypothesis finds (any float, any text, any nesting): the bytes ``canonical``
    gives are those of the spelled-out RFC 8785 writer. msgspec writes 1e21 as ``1e21`` where
    the RFC wants ``1e+21``: such floats must take the spelled-out path."""
    from gateway.evidence import canonical as module

    parts: list[str] = []
    try:
        module._write(value, parts)
        expected = "".join(parts).encode("utf-8")
    except (NotCanonicalisable, UnicodeEncodeError):
        with pytest.raises(NotCanonicalisable):
            canonical(value)
        return
    assert canonical(value) == expected
