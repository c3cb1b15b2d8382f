"""Tests of gateway.formats.inspection: what each kind is, what is not, and the column form.

Expectations are computed here, not taken from the implementation: BSNs get their check digit
from the eleven-test below, IBANs their check digits from mod-97 below and the shape of their
national part from python-stdnum's copy of the SWIFT IBAN registry. Surrounding text is drawn
from an alphabet that cannot form any kind by itself (no digits, no ``@``, no ``/``, no
``+``), joined to the value by something that is not a letter or a digit.
"""

from __future__ import annotations

import itertools
import json
import logging
import random
import re
import string
from collections.abc import Callable
from functools import cache

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum import numdb

from gateway import samples
from gateway.formats import inspection
from gateway.formats.inspection import Kind, inspect, inspect_column
from tests.formats import dutch

ALL = frozenset(Kind)
NOTHING: frozenset[Kind] = frozenset()

# -- independent reference computations ---------------------------------------------------


def eleven_test_sum(digits: str) -> int:
    return sum((9 - i) * int(d) for i, d in enumerate(digits[:8])) - int(digits[8])


def is_bsn(digits: str) -> bool:
    return eleven_test_sum(digits) % 11 == 0 and digits != "000000000"


def with_check_digit(first_eight: str) -> str | None:
    """The BSN that starts with ``first_eight``, or None when no check digit makes one."""
    check = sum((9 - i) * int(d) for i, d in enumerate(first_eight)) % 11
    digits = first_eight + str(check)
    return digits if check < 10 and is_bsn(digits) else None


def iban_check_digits(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    number = int("".join(str(int(c, 36)) for c in rearranged))
    return f"{98 - number % 97:02d}"


@cache
def registry() -> dict[str, str]:
    """The BBAN structure of every country, as python-stdnum ships the SWIFT registry."""
    db = numdb.get("iban")
    found = {}
    for a, b in itertools.product(string.ascii_uppercase, repeat=2):
        props = db.info(a + b + "00")[0][1]
        if props:
            found[a + b] = props["bban"]
    return found


def printed(compact: str) -> str:
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


# -- strategies ---------------------------------------------------------------------------

SAFE_ALPHABET = string.ascii_letters + "ëéèïöüçñßÉ " + ",;:!?'\"()[]{}<>=_&*#.-\n\t"
safe_text = st.text(alphabet=SAFE_ALPHABET, max_size=30)
joint = st.sampled_from([" ", ", ", ": ", "\n", "(", ")", "; ", '"', "'", "=", "_", " - ", "\t"])
BSN_GROUPINGS = [(9,), (4, 2, 3), (3, 3, 3), (3, 2, 4)]
SEPARATORS = [" ", ".", "-"]


def grouped(digits: str, sizes: tuple[int, ...], separator: str) -> str:
    parts, at = [], 0
    for size in sizes:
        parts.append(digits[at : at + size])
        at += size
    return separator.join(parts)


valid_bsns = (
    st.text(alphabet=string.digits, min_size=8, max_size=8)
    .map(with_check_digit)
    .filter(lambda d: d is not None)
    .map(str)
)
failing_nines = st.text(alphabet=string.digits, min_size=9, max_size=9).filter(
    lambda d: not is_bsn(d)
)
bsn_writings = st.tuples(st.sampled_from(BSN_GROUPINGS), st.sampled_from(SEPARATORS))


@st.composite
def embedded(draw: st.DrawFn, value: st.SearchStrategy[str]) -> str:
    return draw(safe_text) + draw(joint) + draw(value) + draw(joint) + draw(safe_text)


@st.composite
def ibans(draw: st.DrawFn) -> str:
    """A valid IBAN of any registry country, in capitals, without spaces."""
    country = draw(st.sampled_from(sorted(registry())))
    classes = {
        "n": string.digits,
        "a": string.ascii_uppercase,
        "c": string.digits + string.ascii_uppercase,
    }
    bban = "".join(
        draw(st.text(alphabet=classes[kind], min_size=int(n), max_size=int(n)))
        for n, kind in re.findall(r"(\d+)!([nac])", registry()[country])
    )
    return country + iban_check_digits(country, bban) + bban


def written(iban: str, spaced: bool, case: str) -> str:
    text = printed(iban) if spaced else iban
    return {"upper": text, "lower": text.lower(), "title": text.title()}[case]


# -- what each kind is --------------------------------------------------------------------

FOUND = [
    ("123456782", {Kind.BSN}),
    ("1234.56.782", {Kind.BSN}),
    ("123 456 782", {Kind.BSN}),
    ("123-45-6782", {Kind.BSN}),
    ("bsn: 123456782", {Kind.BSN}),
    ('{"bsn":"111222333"}', {Kind.BSN}),
    ("111222333,123456782", {Kind.BSN}),
    ("bsn_123456782", {Kind.BSN}),
    ("\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff12", {Kind.BSN}),  # full-width
    ("NL91ABNA0417164300", {Kind.IBAN}),
    ("NL91 ABNA 0417 1643 00", {Kind.IBAN}),
    ("nl91 abna 0417 1643 00", {Kind.IBAN}),
    ("rekening NL91ABNA0417164300.", {Kind.IBAN}),
    ("BE68 5390 0754 7034", {Kind.IBAN}),
    ("BE68 5390 0754 7034 1234", {Kind.IBAN}),  # printed groups that carry on
    ("DE89 3704 0044 0532 0130 00", {Kind.IBAN}),
    ("GB29 NWBK 6016 1331 9268 19", {Kind.IBAN}),
    ("NO9386011117947", {Kind.IBAN}),
    ("https://ketenid.nl/201703/" + "0123456789abcdef" * 8, {Kind.ECKID}),
    ("http://ketenid.nl/201703/abc", {Kind.ECKID}),
    ("ketenid.nl/201703/abc", {Kind.ECKID}),
    ("KetenID.NL/201703/ABC", {Kind.ECKID}),
    ("jan.de.vries@example.nl", {Kind.EMAIL}),
    ("ouder1@example.invalid", {Kind.EMAIL}),
    ("mail: j+school@sub.domain.co.uk.", {Kind.EMAIL}),
    ("jörg@bücher.de", {Kind.EMAIL}),
    ("06-12345678", {Kind.PHONE}),
    ("06 12345678", {Kind.PHONE}),
    ("06 1234 5678", {Kind.PHONE}),
    ("06-12 34 56 78", {Kind.PHONE}),
    ("0612345678", {Kind.PHONE}),
    ("+31 6 12345678", {Kind.PHONE}),
    ("+31612345678", {Kind.PHONE}),
    ("+31 (0)6 1234 5678", {Kind.PHONE}),
    ("0031 6 12345678", {Kind.PHONE}),
    ("0031612345678", {Kind.PHONE}),
    ("050-1234567", {Kind.PHONE}),
    ("050 123 4567", {Kind.PHONE}),
    ("(050) 123 45 67", {Kind.PHONE}),
    ("0598 123456", {Kind.PHONE}),
    ("0598-12 34 56", {Kind.PHONE}),
    ("0599-123456", {Kind.PHONE}),
    ("+31 50 123 4567", {Kind.PHONE}),
    ("+49 30 12345678", {Kind.PHONE}),
    ("+44 (0)20 7946 0958", {Kind.PHONE}),
    ("0049 30 12345678", {Kind.PHONE}),
    ("tel. 06-12345678 (moeder)", {Kind.PHONE}),
]


@pytest.mark.parametrize(("value", "kinds"), FOUND)
def test_documented_forms_are_found(value: str, kinds: set[Kind]) -> None:
    """Each form the module documents is found as exactly its kind."""
    assert inspect(value) == kinds


NOT_FOUND = [
    "123456789",  # fails the eleven-test
    "000000000",  # passes it, but all zeros
    "1234567820",  # ten digits
    "9123456782",  # ten digits (with a leading 0 they would be a phone number)
    "123456782123",  # twelve digits: nine-digit windows inside do not count
    "123 456 782 123",  # groups that carry on
    "1234.56.782.1",
    "1234.56 782",  # two different separators
    "08:30:00.123456782",  # a decimal fraction
    "12345678",  # eight digits (an old sofinummer without its zero)
    "bsn123456782",  # touches letters
    "NL91ABNA0417164301",  # wrong check digits
    "NL91ABNA041716430",  # too short for NL
    "NL91ABNA04171643001",  # too long for NL
    "XX91ABNA0417164300",  # no such country
    "NL91ABNA0417164300XYZ",  # part of a longer token
    "https://ketenid.nl/",  # no path
    "ketenid.nl",
    "@school",
    "jan@localhost",
    "2018-03-01",
    "01-03-2018",
    "06-12-2018",
    "06-12-2018 12:30",
    "06-03-2018 10:00",
    "2018-06-12 12:34:56",
    "01/03/2018",
    "9645 HC",
    "9645HC",
    "LL-000123",
    "BP-000123",
    "BPS-0001",
    "G-3A",
    "Groep 3a",
    "Combinatiegroep 5/6",
    "Unit 7-8 B",
    "Kerkstraat 12",
    "Dorpsstraat 118-2",
    "2018",
    "42",
    "87/100",
    "06 12 34 56 78 90",  # a row of pairs, not one number
    "06",
    "0800-1234",  # not read (documented)
    "+31 6 1234567",  # too short for a Dutch number
    "+1234567",  # too short for E.164
    "tel06-12345678",  # touches letters
    "550e8400-e29b-41d4-a716-446655440000",
]


@pytest.mark.parametrize("value", NOT_FOUND)
def test_lookalikes_are_not_found(value: str) -> None:
    """Values that resemble a kind but are documented not to be one hold no kind."""
    assert inspect(value) == NOTHING


def test_a_serialised_record_shows_every_kind() -> None:
    """A whole pupil record pasted into one field shows each kind it holds."""
    record = samples.pupil(random.Random(1), 7)
    record["bsn"] = "111222333"
    record["ouders"][0]["iban"] = "NL91ABNA0417164300"
    assert inspect(json.dumps(record)) == ALL
    assert inspect(json.dumps(record), skip=ALL - {Kind.BSN}) == {Kind.BSN}


# -- properties ---------------------------------------------------------------------------


@given(valid_bsns, bsn_writings, safe_text, joint, joint, safe_text)
def test_every_valid_bsn_is_found(
    digits: str,
    writing: tuple[tuple[int, ...], str],
    left: str,
    before: str,
    after: str,
    right: str,
) -> None:
    """A BSN with a correct check digit, in every grouping, inside any text, is found."""
    value = left + before + grouped(digits, *writing) + after + right
    assert inspect(value) == {Kind.BSN}
    assert inspect_column(["Sanne", value, "Groep 3a"]) == {1: {Kind.BSN}}


@given(failing_nines, bsn_writings, safe_text, joint, joint, safe_text)
def test_nine_digits_failing_the_eleven_test_are_left_alone(
    digits: str,
    writing: tuple[tuple[int, ...], str],
    left: str,
    before: str,
    after: str,
    right: str,
) -> None:
    """Nine digits that fail the eleven-test, in every grouping, inside any text, hold no kind."""
    assert inspect(left + before + grouped(digits, *writing) + after + right) == NOTHING


@given(valid_bsns, st.text(string.digits, min_size=1, max_size=6), st.booleans())
def test_a_bsn_inside_a_longer_digit_run_is_not_a_bsn(
    digits: str, extra: str, in_front: bool
) -> None:
    """Nine valid digits with more digits before or after them are not a BSN."""
    run = extra + digits if in_front else digits + extra
    assert Kind.BSN not in inspect(f"nummer {run} gezien")


@given(
    ibans(),
    st.booleans(),
    st.sampled_from(["upper", "lower", "title"]),
    safe_text,
    joint,
    joint,
    safe_text,
)
def test_every_valid_iban_is_found(
    iban: str, spaced: bool, case: str, left: str, before: str, after: str, right: str
) -> None:
    """An IBAN with correct check digits, electronic or printed, in any case, is found."""
    assert inspect(written(iban, spaced, case)) == {Kind.IBAN}
    assert inspect(left + before + written(iban, spaced, case) + after + right) == {Kind.IBAN}


@given(ibans(), st.booleans(), st.data())
def test_an_iban_with_one_digit_changed_is_not_found(
    iban: str, spaced: bool, data: st.DataObject
) -> None:
    """Changing any one digit of a valid IBAN to another digit makes it no IBAN."""
    at = data.draw(st.sampled_from([i for i, c in enumerate(iban) if c.isdigit()]))
    new = data.draw(st.sampled_from([d for d in string.digits if d != iban[at]]))
    changed = iban[:at] + new + iban[at + 1 :]
    assert Kind.IBAN not in inspect(written(changed, spaced, "upper"))
    assert Kind.IBAN not in inspect(f"rekening {written(changed, spaced, 'upper')} ouder")


def dutch_numbers() -> st.SearchStrategy[str]:
    """Dutch phone numbers in every documented way of writing them."""
    subscriber_groups = {
        8: [(8,), (4, 4), (2, 2, 2, 2), (3, 3, 2), (2, 3, 3)],
        7: [(7,), (3, 4), (4, 3), (3, 2, 2), (2, 2, 3)],
        6: [(6,), (3, 3), (2, 2, 2)],
    }

    @st.composite
    def number(draw: st.DrawFn) -> str:
        area = draw(
            st.one_of(
                st.just("6"),
                st.integers(10, 99).map(str),
                st.integers(100, 999).map(str),
            )
        )
        length = 9 - len(area)
        digits = draw(st.text(string.digits, min_size=length, max_size=length))
        sizes = draw(st.sampled_from(subscriber_groups[length]))
        subscriber = grouped(digits, sizes, draw(st.sampled_from([" ", "-"])))
        style = draw(st.sampled_from(["national", "parentheses", "+31", "0031", "+31 (0)"]))
        if style == "national":
            return f"0{area}{draw(st.sampled_from(['', ' ', '-', '/', ' - ']))}{subscriber}"
        if style == "parentheses":
            return f"(0{area}){draw(st.sampled_from(['', ' ']))}{subscriber}"
        gap = draw(st.sampled_from(["", " ", "-"]))
        prefix = {"+31": "+31", "0031": "0031", "+31 (0)": "+31 (0)"}[style]
        return f"{prefix}{gap}{area}{draw(st.sampled_from(['', ' ', '-']))}{subscriber}"

    return number()


@given(embedded(dutch_numbers()))
def test_every_dutch_phone_number_is_found(value: str) -> None:
    """A Dutch phone number in every documented form, inside any text, is found."""
    assert Kind.PHONE in inspect(value)


@given(
    st.integers(1, 999).filter(lambda c: c != 31),
    st.text(string.digits, min_size=6, max_size=14),
    st.sampled_from(["", " ", "-", "."]),
    st.sampled_from(["+", "00"]),
)
def test_international_numbers_are_found(
    country: int, national: str, separator: str, prefix: str
) -> None:
    """``+`` and 9 to 15 digits, or ``00`` and 10 to 15, with separators, are a phone number."""
    digits = len(str(country)) + len(national)
    value = f"{prefix}{country}{separator}{national[:3]}{separator}{national[3:]}"
    assume(not value.removeprefix(prefix).startswith("31"))  # that is a Dutch number
    found = Kind.PHONE in inspect(f"bel {value} of mail")
    assert found == (9 <= digits <= 15 if prefix == "+" else 10 <= digits <= 15)


# -- declared kinds and the reading order -------------------------------------------------


def test_declared_kinds_are_not_reported() -> None:
    """A kind in ``skip`` is not reported, while the others still are."""
    value = "jan@example.nl, 06-12345678"
    assert inspect(value) == {Kind.EMAIL, Kind.PHONE}
    assert inspect(value, {Kind.EMAIL}) == {Kind.PHONE}
    assert inspect(value, frozenset({"email", "phone"})) == NOTHING  # type: ignore[arg-type]


@given(valid_bsns.filter(lambda d: d[0] != "0"))
def test_the_national_number_of_a_phone_number_is_no_bsn(digits: str) -> None:
    """Nine digits after +31 are a Dutch phone number, declared or not, and not a BSN."""
    assert inspect(f"+31 {digits}") == {Kind.PHONE}
    assert inspect(f"+31 {digits}", {Kind.PHONE}) == NOTHING


@given(valid_bsns)
def test_a_bsn_as_the_local_part_of_an_address_is_that_address(digits: str) -> None:
    """In a field declared for e-mail addresses, digits that are part of one are not a BSN."""
    assert inspect(f"{digits}@school.example.nl") == {Kind.EMAIL}
    assert inspect(f"{digits}@school.example.nl", {Kind.EMAIL}) == NOTHING
    assert inspect(f"{digits}@school.example.nl {digits}", {Kind.EMAIL}) == {Kind.BSN}


def test_an_iban_is_read_before_the_phone_number_in_it() -> None:
    """A printed IBAN whose groups look like a phone number is an IBAN, declared or not."""
    assert inspect("0044 0532 0130 00") == {Kind.PHONE}
    assert inspect("DE89 3704 0044 0532 0130 00") == {Kind.IBAN}
    assert inspect("DE89 3704 0044 0532 0130 00", {Kind.IBAN}) == NOTHING


@given(st.text("0123456789abcdef", min_size=128, max_size=128))
def test_the_hex_of_an_eckid_is_not_read(hex_part: str) -> None:
    """Whatever digits an ECK iD's hex holds, a declared ECK iD reports nothing."""
    eckid = f"https://ketenid.nl/201703/{hex_part}"
    assert inspect(eckid, {Kind.ECKID}) == NOTHING
    assert inspect(eckid.upper(), {Kind.ECKID}) == NOTHING
    assert inspect_column([eckid, eckid], {Kind.ECKID}) == {}


def test_a_column_of_declared_eckids_still_shows_what_else_it_holds() -> None:
    """Recognising a column of canonical ECK iDs at once does not hide text beside them."""
    eckids = [samples.pupil(random.Random(n), n)["eckid"] for n in range(50)]
    assert inspect_column(eckids, {Kind.ECKID}) == {}
    for extra in (" 111222333", " jan@example.nl", "\u00a0111222333", ":111222333"):
        column = [*eckids[:7], eckids[7] + extra, *eckids[8:]]
        assert set(inspect_column(column, {Kind.ECKID})) == {7}
    assert set(inspect_column(["111222333 " + eckids[0], *eckids[1:]], {Kind.ECKID})) == {0}


def test_a_column_of_undeclared_eckids_shows_one_in_every_value() -> None:
    """A column of canonical ECK iDs reports each as an ECK iD, and a bare prefix as nothing."""
    eckids = [samples.pupil(random.Random(n), n)["eckid"] for n in range(20)]
    assert inspect_column(eckids) == {i: {Kind.ECKID} for i in range(20)}
    column = [*eckids[:3], "https://ketenid.nl/", *eckids[4:]]
    assert inspect_column(column) == {i: {Kind.ECKID} for i in range(20) if i != 3}
    last_bare = [*eckids[:19], "https://ketenid.nl/"]
    assert inspect_column(last_bare) == {i: {Kind.ECKID} for i in range(19)}


def test_the_scheme_is_part_of_the_eckid() -> None:
    """Text that touches the scheme of an ECK iD touches the ECK iD, not a letter."""
    assert inspect("111222333https://ketenid.nl/201703/abc") == {Kind.ECKID, Kind.BSN}
    assert inspect("111222333HTTP://KETENID.NL/201703/abc", {Kind.ECKID}) == {Kind.BSN}
    assert inspect("111222333xhttps://ketenid.nl/201703/abc", {Kind.ECKID}) == NOTHING


# -- the column form ----------------------------------------------------------------------

values = st.one_of(
    safe_text,
    embedded(valid_bsns),
    embedded(failing_nines),
    embedded(dutch_numbers()),
    ibans(),
    ibans().map(printed),
    st.sampled_from([v for v, _ in FOUND] + NOT_FOUND),
    st.text(max_size=20),  # anything, NULs and other control characters included
    st.lists(st.sampled_from([v for v, _ in FOUND]), max_size=3).map("\x00".join),
)


@given(st.lists(values, max_size=40), st.frozensets(st.sampled_from(list(Kind))))
def test_the_column_form_answers_as_value_by_value(
    column: list[str], skip: frozenset[Kind]
) -> None:
    """inspect_column gives for every value what inspect gives it, and nothing for the rest."""
    expected = {i: kinds for i, value in enumerate(column) if (kinds := inspect(value, skip))}
    assert inspect_column(column, skip) == expected


def test_an_empty_column_holds_nothing() -> None:
    """An empty column and a column of empty strings report nothing."""
    assert inspect_column([]) == {}
    assert inspect_column(["", "", ""]) == {}


# -- false positives ----------------------------------------------------------------------

DECLARED = {
    "leerlingen[].eckid": Kind.ECKID,
    "leerlingen[].email": Kind.EMAIL,
    "leerlingen[].ouders[].email": Kind.EMAIL,
    "leerlingen[].telefoonnummer": Kind.PHONE,
    "leerlingen[].ouders[].telefoonnummer": Kind.PHONE,
    "leerlingen[].bsn": Kind.BSN,
    "leerlingen[].ouders[].iban": Kind.IBAN,
}


def columns(document: object, path: str = "") -> dict[str, list[str]]:
    """Every string of ``document`` by its field path, as the gateway's columns are."""
    found: dict[str, list[str]] = {}

    def walk(node: object, at: str) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                walk(child, f"{at}.{key}" if at else key)
        elif isinstance(node, list):
            for child in node:
                walk(child, f"{at}[]")
        elif isinstance(node, str):
            found.setdefault(at, []).append(node)

    walk(document, path)
    return found


def test_the_sample_sync_shows_only_what_its_fields_are() -> None:
    """In the shipped sample sync only the personal-data fields hit, each only as its kind."""
    by_path = columns(samples.sync(1000))
    hits = {path: inspect_column(column) for path, column in by_path.items()}
    assert {path for path, found in hits.items() if found} == set(DECLARED)
    for path, kind in DECLARED.items():
        assert {k for kinds in hits[path].values() for k in kinds} == {kind}, path
    # Counts computed here: the sample's BSNs and IBANs are random, so only some are valid.
    bsns = by_path["leerlingen[].bsn"]
    assert len(hits["leerlingen[].bsn"]) == sum(map(is_bsn, bsns))
    ibans_ = by_path["leerlingen[].ouders[].iban"]
    valid = [i for i in ibans_ if iban_check_digits(i[:2], i[4:]) == i[2:4]]
    assert len(hits["leerlingen[].ouders[].iban"]) == len(valid) > 0
    assert all(
        len(hits[p]) == len(by_path[p]) for p in DECLARED if "bsn" not in p and "iban" not in p
    )


corpus = cache(dutch.corpus)


@pytest.mark.parametrize("category", sorted(dutch.corpus(1)))
def test_generated_school_data_holds_no_kind(category: str) -> None:
    """Generated names, groups, streets, schools, keys, dates and identifiers hold no kind."""
    column = corpus(3000)[category]
    assert {column[i]: sorted(kinds) for i, kinds in inspect_column(column).items()} == {}


# -- what the module promises about itself ------------------------------------------------


def test_the_iban_table_is_the_swift_registry() -> None:
    """The module's IBAN table is exactly the registry python-stdnum ships."""
    assert registry() == inspection.IBAN_REGISTRY
    sepa = {"AD", "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB"}
    sepa |= {"GI", "GR", "HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MC", "MT", "NL"}
    sepa |= {"NO", "PL", "PT", "RO", "SE", "SI", "SK", "SM", "VA", "AL", "MD", "ME", "MK"}
    assert sepa <= set(inspection.IBAN_REGISTRY)


def test_the_public_surface() -> None:
    """The module exports the kinds and the two functions, and kinds are plain strings."""
    assert inspection.__all__ == ["Kind", "inspect", "inspect_column"]
    assert [k.value for k in Kind] == ["eckid", "email", "iban", "phone", "bsn"]
    assert Kind("bsn") is Kind.BSN


def test_answers_are_kinds_only_and_nothing_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    """What comes back is kinds, never text, and inspecting writes no log record."""
    caplog.set_level(logging.DEBUG)
    value = "bsn 111222333, NL91ABNA0417164300, jan@example.nl, 06-12345678"
    answers: list[Callable[[], object]] = [
        lambda: inspect(value),
        lambda: inspect_column([value, "Sanne"])[0],
    ]
    for answer in answers:
        kinds = answer()
        assert isinstance(kinds, frozenset)
        assert all(type(k) is Kind for k in kinds)
    assert caplog.records == []
