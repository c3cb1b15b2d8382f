"""Transformations a contract can ask for instead of letting a field's value through as it is.

- ``pseudonym``: a keyed HMAC-SHA256 of the value under the supplier's own key (derived from the
  gateway's pseudonym key and the supplier's slug), as 32 lowercase hexadecimal characters: the
  same pupil gets the same pseudonym at one supplier every time, and another at every other
  supplier, so two suppliers cannot link their records. Strings only.
- ``birth_year``: a date (``YYYY-MM-DD``) to its year, an integer.
- ``age_years``: a date of birth to the age in whole years on the transfer's day (in
  ``GATEWAY_TIMEZONE``), an integer. A birthday on 29 February comes on 1 March in other years.
- ``postcode_digits``: a Dutch postcode to its four digits, a string.

A transformation runs on a value that passed its field's rule; null stays null and is not
counted. What a transformation makes is the gateway's own (hex, a number, four digits), so it is
not content-inspected. A value a transformation cannot take (a postcode that does not start with
four digits where the schema allows that) is invalid, counted as ``transform``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from gateway.access import key_files
from gateway.formats.values import ValueRule

PSEUDONYM_LENGTH = 32  # hex characters: 128 bits
_DERIVATION = b"poortwachter pseudonym v1\x00"
KEY_BYTES = 32


class KeyFileError(ValueError):
    """The pseudonym key file cannot be used (one plain line for the command line)."""


@dataclass(frozen=True, slots=True)
class Transforms:
    """What a transfer's transformations need: the supplier's pseudonym key and its day."""

    pseudonym_key: bytes
    today: date

    @classmethod
    def for_supplier(cls, master: bytes, supplier: str, today: date) -> Transforms:
        return cls(supplier_key(master, supplier), today)


def supplier_key(master: bytes, supplier: str) -> bytes:
    """The supplier's own pseudonym key: one HMAC of its slug under the gateway's key."""
    return hmac.new(master, _DERIVATION + supplier.encode(), hashlib.sha256).digest()


def _pseudonym(value: str, context: Transforms) -> str:
    digest = hmac.new(context.pseudonym_key, value.encode(), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_LENGTH]


def _birth(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def _birth_year(value: str, context: Transforms) -> int | None:
    born = _birth(value)
    return None if born is None else born.year


def age_on(born: date, today: date) -> int:
    """Whole years from ``born`` to ``today`` (29 February's birthday is 1 March elsewhen)."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _age_years(value: str, context: Transforms) -> int | None:
    born = _birth(value)
    return None if born is None else age_on(born, context.today)


def _postcode_digits(value: str, context: Transforms) -> str | None:
    digits = value[:4]
    return digits if len(digits) == 4 and digits.isascii() and digits.isdigit() else None


_FUNCTIONS: dict[str, Callable[[str, Transforms], Any]] = {
    "pseudonym": _pseudonym,
    "birth_year": _birth_year,
    "age_years": _age_years,
    "postcode_digits": _postcode_digits,
}
NAMES = frozenset(_FUNCTIONS)
CANNOT = object()  # what ``apply`` gives for a value the transformation cannot take


def apply(name: str, value: Any, context: Transforms | None) -> Any:
    """``value`` transformed, None for null, or ``CANNOT``."""
    if value is None:
        return None
    if context is None:
        raise ValueError("a policy with transformations needs a Transforms context")
    if value.__class__ is not str:
        return CANNOT
    result = _FUNCTIONS[name](value, context)
    return CANNOT if result is None else result


def unfit(name: str, rule: ValueRule | None) -> str | None:
    """Why transformation ``name`` cannot apply to a field with ``rule``, or None."""
    if name not in _FUNCTIONS:
        return f"transform {name!r} is not one of {sorted(NAMES)}"
    if rule is None or not rule.types <= {"string", "null"} or "string" not in rule.types:
        return f"transform {name!r} takes a string field, and this field is not one"
    if name in ("birth_year", "age_years") and rule.format != "date":
        return f"transform {name!r} takes a date (format: date), and this field is not one"
    return None


# -- the key file ------------------------------------------------------------------------


def read_key(path: Path, create: bool = True) -> bytes:
    """The gateway's pseudonym key from ``path``, made (0600) first if missing and ``create``."""
    if not path.exists():
        if not create:
            raise KeyFileError(f"{path}: no pseudonym key (poortwachter keys init-pseudonyms)")
        init_key(path)
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{path}: the pseudonym key must be readable by its owner only (0600)")
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (ValueError, UnicodeDecodeError):
        raise KeyFileError(f"{path}: not a pseudonym key (64 hexadecimal characters)") from None
    if len(key) != KEY_BYTES:
        raise KeyFileError(f"{path}: not a pseudonym key (64 hexadecimal characters)")
    return key


def init_key(path: Path) -> None:
    """Write a new random key to ``path`` (0600); KeyFileError if one is there already."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        key_files.write_new(path, os.urandom(KEY_BYTES).hex() + "\n")
    except FileExistsError:
        raise KeyFileError(
            f"{path}: a pseudonym key is there already; replacing it changes every pseudonym"
        ) from None
