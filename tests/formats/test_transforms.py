"""Transformations: exact generalisations, per-supplier pseudonyms, and the key file."""

from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path

import pytest

from gateway.formats import transforms
from gateway.formats.payload_schema import load
from gateway.formats.transforms import CANNOT, KeyFileError, Transforms, age_on, apply

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = load(ROOT / "schemas", "las-sync")
MASTER = bytes(range(32))


@pytest.mark.parametrize(
    ("born", "today", "age"),
    [
        ("2015-06-10", "2025-06-09", 9),  # the day before the birthday
        ("2015-06-10", "2025-06-10", 10),  # on the birthday
        ("2015-06-10", "2025-06-11", 10),
        ("2016-02-29", "2025-02-28", 8),  # no 29 February: the birthday comes on 1 March
        ("2016-02-29", "2025-03-01", 9),
        ("2016-02-29", "2024-02-28", 7),
        ("2016-02-29", "2024-02-29", 8),  # a leap year: on the day itself
        ("2015-12-31", "2025-01-01", 9),
        ("2025-01-01", "2025-01-01", 0),
    ],
)
def test_age_in_whole_years_is_exact_around_birthdays(born: str, today: str, age: int) -> None:
    """Age turns on the birthday itself, and on 1 March for a 29 February in other years."""
    context = Transforms(b"k" * 32, date.fromisoformat(today))
    assert apply("age_years", born, context) == age
    assert age_on(date.fromisoformat(born), date.fromisoformat(today)) == age


def test_birth_year_and_postcode_digits() -> None:
    """A date of birth gives its year as an integer, a postcode its four digits."""
    context = Transforms(b"k" * 32, date(2026, 1, 1))
    assert apply("birth_year", "2016-02-29", context) == 2016
    assert apply("postcode_digits", "1234 AB", context) == "1234"
    assert apply("postcode_digits", "1234AB", context) == "1234"
    assert apply("postcode_digits", "12AB", context) is CANNOT
    wide = "\uff11\uff12\uff13\uff14AB"  # digits, but not ASCII ones
    assert apply("postcode_digits", wide, context) is CANNOT
    assert apply("birth_year", None, context) is None  # null stays null


def test_pseudonyms_are_stable_per_supplier_and_differ_between_suppliers() -> None:
    """The same key gives the same pseudonym at one supplier, another at the next, and
    neither is the key; the format is 32 lowercase hexadecimal characters."""
    day = date(2026, 1, 1)
    one = Transforms.for_supplier(MASTER, "basispoort", day)
    again = Transforms.for_supplier(MASTER, "basispoort", date(2027, 5, 5))
    other = Transforms.for_supplier(MASTER, "malmberg", day)
    first = apply("pseudonym", "LL-000123", one)
    assert first == apply("pseudonym", "LL-000123", again)
    assert first != apply("pseudonym", "LL-000123", other)
    assert first != apply("pseudonym", "LL-000124", one)
    assert len(first) == 32 and set(first) <= set("0123456789abcdef")
    another_gateway = Transforms.for_supplier(bytes(32), "basispoort", day)
    assert first != apply("pseudonym", "LL-000123", another_gateway)
    # and it fits the field it replaces
    assert SCHEMA.rules["leerlingen[].leerlingkey"].violation(first) is None


def test_a_transformation_says_which_fields_it_fits() -> None:
    """Dates for the date transformations, strings for all of them; anything else is refused."""
    rules = SCHEMA.rules
    assert transforms.unfit("age_years", rules["leerlingen[].geboortedatum"]) is None
    assert "date" in str(transforms.unfit("age_years", rules["leerlingen[].voornaam"]))
    assert "string" in str(transforms.unfit("pseudonym", rules["leerlingen[].jaargroep"]))
    assert "not one of" in str(transforms.unfit("hash", rules["leerlingen[].voornaam"]))


def test_the_key_file_is_made_once_owner_only(tmp_path: Path) -> None:
    """The key is made 0600 on first use, read back the same, never replaced, and refused when
    others can read it or it is not a key."""
    path = tmp_path / "var" / "pseudonym.key"
    with pytest.raises(KeyFileError, match="init-pseudonyms"):
        transforms.read_key(path, create=False)
    key = transforms.read_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert transforms.read_key(path) == key and len(key) == 32
    with pytest.raises(KeyFileError, match="already"):
        transforms.init_key(path)
    os.chmod(path, 0o644)
    with pytest.raises(KeyFileError, match="0600"):
        transforms.read_key(path)
    os.chmod(path, 0o600)
    path.write_text("not hex\n")
    with pytest.raises(KeyFileError, match="not a pseudonym key"):
        transforms.read_key(path)
