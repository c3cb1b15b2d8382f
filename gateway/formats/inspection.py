"""Inspection: which kinds of personal data a string carries, never what it says.

The gateway forwards only the fields an agreement allows, but a value that passes its schema
can still carry what it must not: a BSN typed into a group name, an IBAN in a note, a whole
pupil record pasted into ``tussenvoegsel``. Every forwarded string is inspected for the kinds of
:class:`Kind`. Callers learn which kinds occur in which value and nothing else (no matched
text, no offsets), so nothing found here can reach a log, an error or a problem body.

A caller passes as ``skip`` the kinds a field *declares* (an e-mail field may carry an e-mail
address): those are not reported, but they are still read (see "Reading order").

What counts
-----------
``eckid``
    ``ketenid.nl/`` followed by a path (letters, digits, ``._~%/-``), any case, with or without
    ``http://`` or ``https://``. The real shape is ``https://ketenid.nl/201703/`` + 128 hex.
``email``
    ``local@domain.tld``: a local part of letters, digits and ``._%+-``, domain labels, and a
    top-level domain of two or more letters.
``iban``
    Two letters, two check digits and the national part, written together or in groups of four
    with single spaces, any case. Valid when the length and the shape of the national part are
    those the SWIFT IBAN registry gives its country (all 89 countries of release 101, SEPA
    among them; NL is 18) and the ISO 7064 mod-97 check holds.
``phone``
    A Dutch number: ``0``, an area code of one digit (only ``6``, mobile, then 8 digits), two
    digits (then 7) or three digits (then 6). The area code may be in parentheses and followed
    by a space, a dash, a ``/`` or `` - ``; the subscriber digits come together, in two groups
    or in pairs (one group of three allowed), split by single spaces or dashes: ``06-12345678``,
    ``06 1234 5678``, ``050-1234567``, ``(050) 123 45 67``, ``0598 123456``. The same after
    ``+31`` or ``0031`` without the leading 0, optionally with ``(0)``: ``+31 6 12345678``,
    ``+31 (0)50 123 4567``. Other countries (E.164): ``+`` and 9 to 15 digits, or ``00`` and 10
    to 15, with single spaces, dots or dashes between them and an optional ``(0)`` after the
    country code. A Dutch number must not touch another number through a space, dot or dash
    (nor may a number starting with ``00`` follow one so), and no number is joined to a word by
    a dash (``0025-518192951987`` inside a GUID). Dates (``01-03-2018``, ``2018-03-01``, also
    with a time), postcodes, keys and scores have none of these shapes. Not read: 0800 and 0900
    numbers, numbers written with parentheses elsewhere (``+1 (212) ...``).
``bsn``
    Nine digits passing the eleven-test (9*d1 + 8*d2 + ... + 2*d8 - d9 divisible by 11, not all
    zeros), written together (``123456782``) or grouped 4-2-3 (``1234.56.782``, the notation on
    Dutch documents), 3-3-3 (``123 456 782``) or 3-2-4 (``123-45-6782``), both separators the
    same space, dot or dash. Nine digits inside a longer run of digits are no BSN, nor are
    groups that carry on in another group with the same separator (``123 456 782 123``), nor
    nine digits after or before a decimal point (``08:30:00.123456782``). Eight-digit numbers
    padded with a zero (old sofinummers) are not read: one date or phone number in eleven
    would pass.

Phone numbers, IBANs and BSNs must stand apart: they touch no letter or digit of any script.
So an account number inside an IBAN is no phone number, and nine digits inside a GUID or a
hash are no BSN (about one 64-hex hash in a hundred holds nine digits that pass the
eleven-test between two letters); the price is that ``bsn123456782`` is not read, while
``bsn 123456782``, ``bsn:123456782`` and ``"bsn":"123456782"`` are.

Reading order
-------------
A string is read for one kind after the other in the order of :class:`Kind` (eckid, email,
iban, phone, bsn), and text that is a valid instance of a kind is taken out before the next
kind is read: the hex of an ECK iD is not read for BSNs, the national number in
``+31 612345678`` is no BSN, the account number in an IBAN is no phone number. Declared kinds
are read the same way, so in a field declared for e-mail addresses nine digits that are the
local part of an address are that address, not a BSN.

Non-ASCII text is read in its NFKC form (full-width digits are digits). Digits of other
scripts and invisible characters between digits are not read.

Speed
-----
The gateway filters a column (one field across all records) at a time, and so does
:func:`inspect_column`: it joins the column with NUL and asks the joined text a few questions
answered in C (any digit; nine digits in a row once separators are deleted; two letters and
two digits followed by eleven letters or digits; ``@``; ``.nl/``). Only the kinds a column
could hold are read with regular expressions, and each match is numbered by the NULs before
it. Every pattern starts with a character, not a lookbehind, so that the engine skips ahead
to where a match can start. A column of nothing but canonical ECK iDs (the shape the gateway
forwards) is recognised without a regular expression. Measurements: docs/inspection.md and
``bench/inspection.py``.
"""

from __future__ import annotations

import enum
import re
import string
import unicodedata
from collections.abc import Sequence, Set

__all__ = ["Kind", "inspect", "inspect_column"]


class Kind(enum.StrEnum):
    """A kind of personal data; the order of definition is the reading order."""

    ECKID = "eckid"
    EMAIL = "email"
    IBAN = "iban"
    PHONE = "phone"
    BSN = "bsn"


_ORDER = tuple(Kind)
_NOTHING: frozenset[Kind] = frozenset()

# Between the values of a column. No pattern reads it, so no match spans two values.
_SEP = "\x00"
# Stands in for text already read as one kind. No pattern reads it either.
_TAKEN = "\x01"


# Phone numbers, IBANs and BSNs must stand apart: touch no letter or digit of any script.
# Every pattern starts with a character rather than a lookbehind, so that the engine can skip
# ahead to where a match may start; _APART_BEFORE_FIRST looks behind that first character.
_APART_BEFORE_FIRST = r"(?<![^\W_].)"
_APART_AFTER = r"(?![^\W_])"


# eckid ------------------------------------------------------------------------------------

_PATH = "0-9A-Za-z._~%/-"
# Spelled out case by case, and without the scheme in front, so that the engine skips ahead to
# a k: with IGNORECASE or an optional scheme first, reading a column takes 4 to 7 times longer.
_ECKID = re.compile(rf"[kK][eE][tT][eE][nN][iI][dD]\.[nN][lL]/[{_PATH}]+")
# The scheme in front of an ECK iD that was taken out, to be taken out with it.
_SCHEME_BEFORE_TAKEN = re.compile(r"[hH][tT][tT][pP][sS]?://\x01")
_ECKID_PREFIX = b"https://ketenid.nl/"
_PATH_BYTES = (string.digits + string.ascii_letters + "._~%/-").encode()


def _all_canonical_eckids(raw: bytes, parts: int) -> bool:
    """Whether ``raw`` is ``parts`` parts joined by NUL, each ``https://ketenid.nl/`` and a path.

    Answered without a regular expression: every NUL is followed by the prefix, no prefix
    stands without a path, and once every path character is deleted, all that is left is the
    colon of each "https:" and the NULs between them.
    """
    return (
        raw.startswith(_ECKID_PREFIX)
        and raw.count(b"\x00" + _ECKID_PREFIX) == parts - 1
        and raw.translate(None, _PATH_BYTES) == b":\x00" * (parts - 1) + b":"
        and _ECKID_PREFIX + b"\x00" not in raw
        and not raw.endswith(_ECKID_PREFIX)
    )


# email ------------------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]++@[^\W_][\w-]*+(?:\.[\w-]++)*\.[^\W\d_]{2,}(?![\w-])")


# iban -------------------------------------------------------------------------------------

# The national part (BBAN) of each country's IBAN, from the SWIFT IBAN registry release 101
# as python-stdnum ships it: n digits, a capitals, c either. tests/formats pins it to that.
IBAN_REGISTRY = {
    "AD": "4!n4!n12!c", "AE": "3!n16!n", "AL": "8!n16!c", "AT": "5!n11!n", "AZ": "4!a20!c",
    "BA": "3!n3!n8!n2!n", "BE": "3!n7!n2!n", "BG": "4!a4!n2!n8!c", "BH": "4!a14!c",
    "BI": "5!n5!n11!n2!n", "BR": "8!n5!n10!n1!a1!c", "BY": "4!c4!n16!c", "CH": "5!n12!c",
    "CR": "4!n14!n", "CY": "3!n5!n16!c", "CZ": "4!n16!n", "DE": "8!n10!n",
    "DJ": "5!n5!n11!n2!n", "DK": "4!n9!n1!n", "DO": "4!c20!n", "EE": "2!n14!n",
    "EG": "4!n4!n17!n", "ES": "4!n4!n1!n1!n10!n", "FI": "3!n11!n", "FK": "2!a12!n",
    "FO": "4!n9!n1!n", "FR": "5!n5!n11!c2!n", "GB": "4!a6!n8!n", "GE": "2!a16!n",
    "GI": "4!a15!c", "GL": "4!n9!n1!n", "GR": "3!n4!n16!c", "GT": "4!c20!c", "HN": "4!a20!n",
    "HR": "7!n10!n", "HU": "3!n4!n1!n15!n1!n", "IE": "4!a6!n8!n", "IL": "3!n3!n13!n",
    "IQ": "4!a3!n12!n", "IS": "4!n2!n6!n10!n", "IT": "1!a5!n5!n12!c", "JO": "4!a4!n18!c",
    "KW": "4!a22!c", "KZ": "3!n13!c", "LB": "4!n20!c", "LC": "4!a24!c", "LI": "5!n12!c",
    "LT": "5!n11!n", "LU": "3!n13!c", "LV": "4!a13!c", "LY": "3!n3!n15!n", "MC": "5!n5!n11!c2!n",
    "MD": "2!c18!c", "ME": "3!n13!n2!n", "MK": "3!n10!c2!n", "MN": "4!n12!n",
    "MR": "5!n5!n11!n2!n", "MT": "4!a5!n18!c", "MU": "4!a2!n2!n12!n3!n3!a", "NI": "4!a20!n",
    "NL": "4!a10!n", "NO": "4!n6!n1!n", "OM": "3!n16!c", "PK": "4!a16!c", "PL": "8!n16!n",
    "PS": "4!a21!c", "PT": "4!n4!n11!n2!n", "QA": "4!a21!c", "RO": "4!a16!c", "RS": "3!n13!n2!n",
    "RU": "9!n5!n15!c", "SA": "2!n18!c", "SC": "4!a2!n2!n16!n3!a", "SD": "2!n12!n",
    "SE": "3!n16!n1!n", "SI": "5!n8!n2!n", "SK": "4!n6!n10!n", "SM": "1!a5!n5!n12!c",
    "SO": "4!n3!n12!n", "ST": "4!n4!n11!n2!n", "SV": "4!a20!n", "TL": "3!n14!n2!n",
    "TN": "2!n3!n13!n2!n", "TR": "5!n1!n16!c", "UA": "6!n19!c", "VA": "3!n15!n",
    "VG": "4!a16!n", "XK": "4!n10!n2!n", "YE": "4!a4!n18!c",
}  # fmt: skip

_BBAN_CLASS = {"n": "[0-9]", "a": "[A-Z]", "c": "[0-9A-Z]"}


def _iban_format(bban: str) -> tuple[int, re.Pattern[str]]:
    parts = [(int(n), _BBAN_CLASS[t]) for n, t in re.findall(r"(\d+)!([nac])", bban)]
    return 4 + sum(n for n, _ in parts), re.compile("".join(f"{c}{{{n}}}" for n, c in parts))


_IBAN_FORMATS = {country: _iban_format(bban) for country, bban in IBAN_REGISTRY.items()}
_ALNUM = "[0-9A-Za-z]"
_IBAN = re.compile(
    rf"[A-Za-z]{_APART_BEFORE_FIRST}[A-Za-z][0-9]{{2}}"
    rf"(?:{_ALNUM}{{11,30}}|(?: {_ALNUM}{{4}}){{2,7}}(?: {_ALNUM}{{1,3}})?){_APART_AFTER}"
)
# A to 10, ..., Z to 35, for the mod-97 check (a list: str.translate is faster with one).
_LETTER_VALUES = [chr(c) if c < 65 or c > 90 else str(c - 55) for c in range(128)]


def _iban_end(match: re.Match[str]) -> int:
    """Where the valid IBAN that ``match`` starts with ends, or 0 when it starts with none."""
    written = match.group()
    iban = written.replace(" ", "").upper()
    length, bban = _IBAN_FORMATS.get(iban[:2], (0, None))
    if bban is None or len(iban) < length:
        return 0
    end = match.end()
    if len(iban) > length:
        # Printed groups that carry on past the country's length: the IBAN ends where the
        # length says, if that is the end of a group.
        if " " not in written or length % 4:
            return 0
        iban = iban[:length]
        end = match.start() + length + length // 4 - 1
    if not bban.fullmatch(iban, 4):
        return 0
    return end if int((iban[4:] + iban[:4]).translate(_LETTER_VALUES)) % 97 == 1 else 0


# phone ------------------------------------------------------------------------------------


def _digit_groups(sizes: tuple[int, ...], separator: str) -> str:
    return separator.join(f"[0-9]{{{n}}}" for n in sizes)


# How the subscriber digits after an area code are written, by their number.
_SUBSCRIBER_GROUPS = {
    8: ((8,), (4, 4), (2, 2, 2, 2), (3, 3, 2), (2, 3, 3)),
    7: ((7,), (3, 4), (4, 3), (3, 2, 2), (2, 2, 3)),
    6: ((6,), (3, 3), (2, 2, 2)),
}
_SUBSCRIBER = {
    n: "(?:" + "|".join(_digit_groups(sizes, "[ -]") for sizes in groupings) + ")"
    for n, groupings in _SUBSCRIBER_GROUPS.items()
}
# Area codes without the trunk 0, and how many subscriber digits follow each.
_AREAS = (("6", 8), ("[1-9][0-9]", 7), ("[1-9][0-9]{2}", 6))

_NL_AFTER_0 = "|".join(f"{area}(?:[ /-]| - )?{_SUBSCRIBER[n]}" for area, n in _AREAS)
_NL_IN_PARENTHESES = "|".join(f"0{area}\\) ?{_SUBSCRIBER[n]}" for area, n in _AREAS)
_NL_AFTER_31 = "|".join(f"{area}[ -]?{_SUBSCRIBER[n]}" for area, n in _AREAS)
_NL_AFTER_COUNTRY = rf"31[ -]?(?:\(0\)[ -]?)?(?:{_NL_AFTER_31})"
# After the first character of a Dutch number or one that starts with 00: no digit and a space,
# dot or dash before it; and after the last of a Dutch number, no space, dot or dash and a digit.
_NL_BEFORE = r"(?<![0-9][ .-].)"
_NL_AFTER = r"(?![ .-][0-9])"


def _international(least: int) -> str:
    """After ``+`` or ``00``: ``least`` to 15 digits for a country but 31, maybe with ``(0)``."""
    with_trunk = "|".join(
        rf"[1-9][0-9]{{{k - 1}}}[ .-]?\(0\)(?:[ .-]?[0-9]){{{least - k},{15 - k}}}"
        for k in (1, 2, 3)  # the country code's length
    )
    return rf"(?!31)(?:{with_trunk}|[1-9](?:[ .-]?[0-9]){{{least - 1},14}})"


# Apart, not after a +, nor joined to a word by a dash (0025-518192951987 in a GUID). Written
# as three branches on the first character, 0, ( or +, so that the engine skips to those.
_PHONE_BEFORE = rf"{_APART_BEFORE_FIRST}(?<!\+.)(?<![^\W_]-.)"
_PHONE = re.compile(
    rf"(?:0{_PHONE_BEFORE}{_NL_BEFORE}(?:(?:{_NL_AFTER_0}){_NL_AFTER}"
    rf"|0{_NL_AFTER_COUNTRY}{_NL_AFTER}|0{_international(10)})"
    rf"|\({_PHONE_BEFORE}{_NL_BEFORE}(?:{_NL_IN_PARENTHESES}){_NL_AFTER}"
    rf"|\+{_PHONE_BEFORE}(?:{_NL_AFTER_COUNTRY}{_NL_AFTER}|{_international(9)})"
    rf"){_APART_AFTER}(?!-[^\W_])"
)


# bsn --------------------------------------------------------------------------------------


def _bsn_after_three_digits() -> str:
    # Each form once its first three digits are read, with what may not stand before those:
    # a decimal point (12:30:00.123456782), or a digit and the form's own separator.
    forms = [rf"(?<![0-9]\.[0-9]{{3}})[0-9]{{6}}{_APART_AFTER}(?!\.[0-9])"]
    for s in (" ", r"\.", "-"):
        rests = [rf"[0-9]{s}[0-9]{{2}}{s}[0-9]{{3}}", rf"{s}[0-9]{{3}}{s}[0-9]{{3}}"]
        rests.append(rf"{s}[0-9]{{2}}{s}[0-9]{{4}}")
        forms.append(rf"(?<![0-9]{s}[0-9]{{3}})(?:{'|'.join(rests)}){_APART_AFTER}(?!{s}[0-9])")
    return "|".join(forms)


# Starts with a digit, so that the engine skips to digits.
_BSN = re.compile(rf"[0-9]{_APART_BEFORE_FIRST}[0-9]{{2}}(?:{_bsn_after_three_digits()})")
_BSN_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def _passes_eleven_test(written: str) -> bool:
    digits = written.replace(" ", "").replace(".", "").replace("-", "")
    total = sum(w * int(d) for w, d in zip(_BSN_WEIGHTS, digits, strict=True))
    return total % 11 == 0 and digits != "000000000"


# reading ----------------------------------------------------------------------------------

_DIGITS = tuple(string.digits)
# The shape of a text for the questions below: digits become 9, ASCII letters a, NUL stays,
# anything else becomes -, and every separator a BSN, a phone number or an IBAN may have
# between its digits is deleted.
_SHAPE = (
    bytes(
        0x39 if chr(b).isdigit() else 0x61 if chr(b).isalpha() else b if b == 0 else 0x2D
        for b in range(128)
    )
    + b"-" * 128
)
_SHAPE_GAPS = b" .-/()+"
_NINE_DIGITS = b"9" * 9
# With only spaces deleted (an IBAN has no other gaps), so that keys such as LL-000123 do not
# look like the start of one.
_IBAN_LIKE = re.compile(rb"aa99[a9]{11}")
_ECKID_HINTS = (".nl/", ".NL/", ".nL/", ".Nl/")


def _eckid_hint(text: str) -> bool:
    return "/" in text and any(map(text.__contains__, _ECKID_HINTS))


def _possible(text: str) -> frozenset[Kind]:
    """The kinds ``text`` could hold, from questions cheap enough to ask of every column."""
    possible = set()
    if _eckid_hint(text):
        possible.add(Kind.ECKID)
    if "@" in text:
        possible.add(Kind.EMAIL)
    if any(map(text.__contains__, _DIGITS)):
        raw = text.encode()
        shape = raw.translate(_SHAPE, _SHAPE_GAPS)
        if _NINE_DIGITS in shape:
            possible |= {Kind.PHONE, Kind.BSN}
        if b"aa99" in shape and _IBAN_LIKE.search(raw.translate(_SHAPE, b" ")):
            possible.add(Kind.IBAN)
    return frozenset(possible)


_SHAPES = {Kind.ECKID: _ECKID, Kind.EMAIL: _EMAIL, Kind.PHONE: _PHONE}


def _instances(kind: Kind, text: str) -> list[tuple[int, int]]:
    """The spans of the valid instances of ``kind`` in ``text``, in order."""
    if kind is Kind.IBAN:
        return [(m.start(), end) for m in _IBAN.finditer(text) if (end := _iban_end(m))]
    if kind is Kind.BSN:
        return [m.span() for m in _BSN.finditer(text) if _passes_eleven_test(m.group())]
    return [m.span() for m in _SHAPES[kind].finditer(text)]


def _taken_out(text: str, spans: list[tuple[int, int]]) -> str:
    pieces: list[str] = []
    last = 0
    for start, end in spans:
        pieces += (text[last:start], _TAKEN)
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def _read(text: str, parts: int, skip: Set[Kind]) -> list[tuple[int, Kind]]:
    """(part number, kind) for each instance of a kind not in ``skip`` in ``text``.

    ``text`` is ``parts`` parts joined by NUL (the numbers count the NULs before each instance).
    """
    # First, as the other questions would read every character of a column of ECK iDs.
    if _eckid_hint(text) and _all_canonical_eckids(text.encode(), parts):
        # Each part is one ECK iD and nothing else, as reading it would find.
        return [] if Kind.ECKID in skip else [(number, Kind.ECKID) for number in range(parts)]
    possible = _possible(text)
    if not possible - skip:
        return []
    wanted = [kind for kind in _ORDER if kind in possible and kind not in skip]
    found: list[tuple[int, Kind]] = []
    for kind in _ORDER[: _ORDER.index(wanted[-1]) + 1]:
        if kind not in possible:
            continue
        if kind in skip:
            # Read only to be taken out, so that what it holds is not read as a later kind.
            shape = _SHAPES.get(kind)
            text = shape.sub(_TAKEN, text) if shape else _taken_out(text, _instances(kind, text))
        else:
            spans = _instances(kind, text)
            number = last = 0
            for start, _ in spans:
                number += text.count(_SEP, last, start)
                last = start
                found.append((number, kind))
            if not spans or kind is wanted[-1]:
                continue
            text = _taken_out(text, spans)
        if kind is Kind.ECKID:
            text = _SCHEME_BEFORE_TAKEN.sub(_TAKEN, text)
    return found


def _normal(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def inspect(value: str, skip: Set[Kind] = _NOTHING) -> frozenset[Kind]:
    """The kinds not in ``skip`` that occur in ``value``."""
    text = _normal(value)
    return frozenset(kind for _, kind in _read(text, text.count(_SEP) + 1, skip))


def inspect_column(values: Sequence[str], skip: Set[Kind] = _NOTHING) -> dict[int, frozenset[Kind]]:
    """For each value of ``values`` that holds a kind not in ``skip``: its index and the kinds.

    The same answer as :func:`inspect` on every value, at a fraction of the cost.
    """
    if not values:
        return {}
    text = _normal(_SEP.join(values))
    found = _read(text, len(values), skip)
    if not found:
        return {}
    if text.count(_SEP) != len(values) - 1:
        # A value holds a NUL of its own, so the NULs do not number the values. (What is found
        # is the same: no pattern reads a NUL, and to every guard it is like the end of text.)
        return {i: held for i, value in enumerate(values) if (held := inspect(value, skip))}
    kinds: dict[int, set[Kind]] = {}
    for number, kind in found:
        kinds.setdefault(number, set()).add(kind)
    return {number: frozenset(these) for number, these in sorted(kinds.items())}
