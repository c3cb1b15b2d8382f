"""RFC 8785 JSON canonicalisation (JCS) for the values log entries hold: strings, integers,
floats, null, booleans, lists and objects with string keys.

Objects are written with their keys sorted by UTF-16 code units, no whitespace; strings with
only ``"``, ``\\`` and the control characters escaped (RFC 8785 section 3.2.2.2, which is what
the json module's ``encode_basestring`` does for ``json.dumps(ensure_ascii=False)``); numbers
as ECMAScript's Number.prototype.toString writes them (section 3.2.2.3), which differs from
Python's ``repr`` in where it switches to an exponent and how it writes one. Integers must be
exactly representable as IEEE 754 doubles (I-JSON, RFC 7493); NaN, the infinities and lone
surrogates are refused. Pinned by known-answer vectors from RFC 8785 in
tests/evidence/test_canonical.py.
"""

from __future__ import annotations

import math
from json.encoder import encode_basestring
from typing import Any

import msgspec

MAX_SAFE_INTEGER = 2**53 - 1


class NotCanonicalisable(ValueError):
    """A value that RFC 8785 (or this subset of it) cannot encode."""


# msgspec writes exactly RFC 8785's form for values with ASCII keys (sorted by code point, which
# for ASCII is the UTF-16 order), integers within 2**53 and floats in fixed notation that
# ECMAScript writes as repr does; ``_plain`` checks that (a quick walk), else ``_write`` spells
# every value out itself. msgspec took 2.7 us for a transfer's entry, the json module 15 us and
# ``_write`` 28 us; tests/evidence/test_canonical.py holds the two paths to the same bytes.
_FAST = msgspec.json.Encoder(order="sorted")


def canonical(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``value``."""
    try:
        if _plain(value):
            return _FAST.encode(value)
        parts: list[str] = []
        _write(value, parts)
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError:
        raise NotCanonicalisable("a string holds a lone surrogate") from None


def _plain(value: Any) -> bool:
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        return bool(-MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER)
    if kind is dict:
        return all(type(k) is str and k.isascii() for k in value) and all(
            _plain(v) for v in value.values()
        )
    if kind is list:
        return all(type(v) is str for v in value) or all(_plain(v) for v in value)
    if kind is float:  # in fixed notation, where msgspec, repr and ECMAScript agree
        if not math.isfinite(value) or value == 0:
            return False
        text = repr(value)
        return "e" not in text and text == number(value)
    return False


def _write(value: Any, out: list[str]) -> None:
    kind = type(value)  # exact types first: this runs for every value of every entry
    if kind is str:
        out.append(encode_basestring(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif kind is int:
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            out.append(str(value))
        else:
            raise NotCanonicalisable("an integer beyond 2**53 - 1 is not exact in I-JSON")
    elif kind is dict:
        _object(value, out)
    elif kind is list or kind is tuple:
        if all(type(item) is str for item in value):  # field paths: the common case
            out.append("[" + ",".join(map(encode_basestring, value)) + "]")
            return
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    elif kind is float:
        out.append(number(value))
    elif isinstance(value, str | int | float | dict | list | tuple):  # subclasses
        base: Any = next(t for t in (str, int, float, dict, list, tuple) if isinstance(value, t))
        _write(base(value), out)
    else:
        raise NotCanonicalisable(f"a {kind.__name__} has no JSON form")


def _object(value: dict[Any, Any], out: list[str]) -> None:
    if not all(type(key) is str for key in value):
        raise NotCanonicalisable("object keys are strings")
    # ASCII keys sort the same by code point as by UTF-16 code unit, and faster.
    ascii_keys = all(key.isascii() for key in value)
    out.append("{")
    for i, key in enumerate(sorted(value) if ascii_keys else sorted(value, key=_utf16)):
        if i:
            out.append(",")
        out.append(encode_basestring(key))
        out.append(":")
        _write(value[key], out)
    out.append("}")


def _utf16(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def number(value: float) -> str:
    """ECMAScript Number::toString(value) (ECMA-262 section 7.1.12.1), as RFC 8785 requires."""
    if math.isnan(value) or math.isinf(value):
        raise NotCanonicalisable("NaN and the infinities have no JSON form")
    if value == 0:
        return "0"  # also -0
    if value < 0:
        return "-" + number(-value)
    # repr gives the shortest digits that round-trip, as ECMAScript requires; only the layout
    # differs. Split it into digits and n, with value = 0.digits * 10**n.
    mantissa, _, exponent = repr(value).partition("e")
    whole, _, fraction = mantissa.partition(".")
    fraction = fraction.rstrip("0") if fraction != "0" else ""
    digits = (whole + fraction).lstrip("0")
    n = len(whole) + int(exponent or 0) if whole != "0" else int(exponent or 0)
    if whole == "0":  # 0.000123: leading zeros of the fraction move into n
        stripped = fraction.lstrip("0")
        n -= len(fraction) - len(stripped)
        digits = stripped
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    e = n - 1
    sign = "+" if e >= 0 else "-"
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{head}e{sign}{abs(e)}"
