"""The subject index's values: which pupils a forwarded body held, as keyed hashes only.

A pupil is named in the index by HMAC-SHA256 over one of its identifiers (leerlingkey, ECK iD,
Basispoort id), under a key kept in a file outside the database (``SubjectKey``). Without the
key a row says nothing about whom it is about: a hash of a leerlingkey cannot be looked up in a
table of guesses. With it, the FG finds every transfer that held a pupil from the identifier
a parent gives (``gateway.evidence.subject_index``).

``index(body, key)`` reads the body exactly as it leaves (what the supplier receives), one
record of ``leerlingen`` at a time: each identifier the record carries, normalised (ECK iD in
lower case, every identifier without surrounding spaces), is hashed once, and the field paths
the record carries are kept as a field-set, named by a hash of its paths: a sync's 10,000
pupils mostly share a handful of field-sets, so a row is two short strings. No value of the
body is kept, only the hashes and the paths.
"""

from __future__ import annotations

import hashlib
import secrets
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from gateway.access import key_files

# The identifier fields of a pupil record, by the kind the index names them with.
IDENTIFIERS = {"leerlingkey": "leerlingkey", "eckid": "eckid", "basispoort_id": "basispoort"}
KINDS = tuple(IDENTIFIERS.values())
RECORDS = "leerlingen"
KEY_BYTES = 32
SUBJECT_HEX = 32  # 128 bits of HMAC-SHA256
ECK_ID_PREFIX = "https://ketenid.nl/"


class SubjectKeyError(ValueError):
    """The subject key file is missing, unreadable or not a key; the message says which."""


@dataclass(frozen=True)
class SubjectKey:
    """The HMAC key of the subject index, read from its file."""

    secret: bytes = field(repr=False)
    _inner: Any = field(init=False, repr=False, compare=False)
    _outer: Any = field(init=False, repr=False, compare=False)

    @classmethod
    def read(cls, path: Path) -> SubjectKey:
        try:
            text = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            raise SubjectKeyError(
                f"the subject key file {path} does not exist "
                "(poortwachter keys init-subjects creates it)"
            ) from None
        except (OSError, UnicodeDecodeError) as error:
            raise SubjectKeyError(
                f"the subject key file {path} cannot be read ({type(error).__name__})"
            ) from None
        try:
            secret = bytes.fromhex(text)
        except ValueError:
            secret = b""
        if len(secret) != KEY_BYTES:
            raise SubjectKeyError(f"{path} is not a subject key ({KEY_BYTES * 2} hex digits)")
        return cls(secret)

    @classmethod
    def create(cls, path: Path) -> SubjectKey:
        """A new random key written to ``path`` (mode 0600); refuses to replace an existing one:
        the index made under that key would become unreadable."""
        secret = secrets.token_bytes(KEY_BYTES)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            key_files.write_new(path, secret.hex() + "\n")
        except FileExistsError:
            raise SubjectKeyError(
                f"{path} exists already; replacing it would make the subject index unreadable"
            ) from None
        return cls(secret)

    def __post_init__(self) -> None:
        # HMAC (RFC 2104) with its two padded keys hashed once: a copy of each per identifier
        # costs about 1.2 us, where hmac.digest costs 3 to 5 (tests pin it to hmac's answer).
        block = self.secret.ljust(64, b"\0")
        object.__setattr__(self, "_inner", hashlib.sha256(bytes(b ^ 0x36 for b in block)))
        object.__setattr__(self, "_outer", hashlib.sha256(bytes(b ^ 0x5C for b in block)))

    def subject(self, kind: str, identifier: str) -> str:
        """The index's name for one identifier of ``kind``: HMAC-SHA256, its first 128 bits
        in hex (truncated as RFC 2104 section 5 allows: half the bytes to store and index,
        and no two of a school group's pupils' identifiers will ever share one)."""
        return self._mac(f"{kind}\x00{normalised(kind, identifier)}".encode())

    def _mac(self, message: bytes) -> str:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return str(outer.hexdigest()[:SUBJECT_HEX])

    def subjects_of(self, identifier: str) -> dict[str, str]:
        """Every name ``identifier`` could have in the index, kind by kind (the FG need not
        say which kind of identifier a parent gave)."""
        text = identifier.strip()
        kinds = ("eckid",) if text.lower().startswith(ECK_ID_PREFIX) else KINDS
        return {self.subject(kind, text): kind for kind in kinds}


def loose_mode(path: Path) -> bool:
    """Whether others than the owner may read ``path``."""
    return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))


def normalised(kind: str, identifier: str) -> str:
    """One identifier as the index hashes it: stripped, and an ECK iD in lower case."""
    text = identifier.strip()
    return text.lower() if kind == "eckid" else text


@dataclass(frozen=True, slots=True)
class Subjects:
    """The pupils of one forwarded body: (subject, field-set) rows, the field-sets they name,
    and a SHA-256 over the rows that the transfer's log entry keeps.

    ``packed`` is the rows as the index stores them, one database row per transfer: each
    subject's 16 bytes and its field-set's place in ``order`` (4 bytes, big-endian), in order
    of subject, so that one subject is found by binary search (``place_of``).
    """

    rows: tuple[tuple[str, str], ...]
    fieldsets: dict[str, tuple[str, ...]]
    sha256: str
    packed: bytes = b""
    order: tuple[str, ...] = ()  # the field-set names, as the packed rows number them


class _Top(msgspec.Struct, gc=False):
    leerlingen: list[dict[str, Any]] | None = None


_decoder = msgspec.json.Decoder(_Top)
_FIELDSET_HEX = 32  # 128 bits of SHA-256 name a field-set


def index(body: bytes | bytearray, key: SubjectKey) -> Subjects:
    """The pupils ``body`` holds (the JSON a filter made, as it leaves).

    Column by column, as the compiled filter works: each record's keys and kinds of value are
    read in C (``map``), records alike in both share their field paths, made once, and each
    identifier column is hashed in one loop: about 0.4 ms at 100 pupils and 75 to 120 ms at
    10,000 (``bench/subjects.py``; the filter takes about twice that).
    """
    try:
        decoded = _decoder.decode(body).leerlingen or []
    except msgspec.DecodeError:  # not JSON (another format), or leerlingen is no array
        decoded = []
    records = [r for r in decoded if r.__class__ is dict]
    shapes = zip(map(tuple, records), map(tuple, map(_kinds, records)), strict=True)
    made: dict[tuple[tuple[str, ...], tuple[type, ...]], frozenset[str]] = {}
    paths: list[frozenset[str]] = []
    for record, shape in zip(records, shapes, strict=True):
        known = made.get(shape)
        if known is None:
            known = frozenset(_paths(record, f"{RECORDS}[]"))
            if dict not in shape[1] and list not in shape[1]:
                made[shape] = known  # a record holding objects or arrays is walked alone
        paths.append(known)
    pairs = [
        (subject, held)
        for name, kind in IDENTIFIERS.items()
        for subject, held in zip(_column(records, name, kind, key), paths, strict=True)
        if subject is not None
    ]
    fieldset_of = dict(pairs)
    if len(fieldset_of) < len(pairs):  # an identifier in two records: the union of their paths
        fieldset_of = {}
        for subject, held in pairs:
            before = fieldset_of.get(subject)
            fieldset_of[subject] = held if before is None else before | held
    return _subjects(fieldset_of)


XML_PUPIL = "leerlingen/leerling"  # a pupil's path in a UWLR answer or an EDEXML export


def of_pupil_keys(keys: Iterable[str], forwarded: Iterable[str], key: SubjectKey) -> Subjects:
    """The pupils of an XML document as it leaves (a UWLR answer, an EDEXML export), by the
    ``key`` the filter read of each (an ECK iD where the profile keys pupils by it).

    The XML filter accounts per document, not per pupil, so each pupil is given the pupil
    paths the document forwards: what any pupil of it could have had sent.
    """
    forwarded = frozenset(forwarded)
    held = frozenset(p for p in forwarded if XML_PUPIL in p) or forwarded
    fieldset_of: dict[str, frozenset[str]] = {}
    for identifier in keys:
        text = identifier.strip()
        if text:
            kind = "eckid" if text.lower().startswith(ECK_ID_PREFIX) else "leerlingkey"
            fieldset_of[key.subject(kind, text)] = held
    return _subjects(fieldset_of)


def _kinds(record: dict[str, Any]) -> map[type]:
    return map(type, record.values())


def _column(
    records: list[dict[str, Any]], name: str, kind: str, key: SubjectKey
) -> list[str | None]:
    """The subject of each record's identifier ``name``, None where it has none."""
    mac = key._mac  # the hot loop: one call per identifier
    prefix = f"{kind}\x00"
    lower = kind == "eckid"
    out: list[str | None] = []
    for value in [r.get(name) for r in records]:
        if value.__class__ is not str or not (text := value.strip()):
            out.append(None)
            continue
        out.append(mac((prefix + (text.lower() if lower else text)).encode()))
    return out


def _paths(value: Any, path: str) -> Iterable[str]:
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _paths(item, f"{path}.{name}")
    elif isinstance(value, list):
        if not value:
            yield path
        for item in value:
            yield from _paths(item, f"{path}[]")
    else:
        yield path


def _subjects(fieldset_of: dict[str, frozenset[str]]) -> Subjects:
    names: dict[frozenset[str], str] = {}
    fieldsets: dict[str, tuple[str, ...]] = {}
    for paths in set(fieldset_of.values()):
        listed = tuple(sorted(paths))
        name = hashlib.sha256("\n".join(listed).encode()).hexdigest()[:_FIELDSET_HEX]
        names[paths] = name
        fieldsets[name] = listed
    ordered = sorted(fieldset_of)
    rows = tuple(
        zip(ordered, map(names.__getitem__, map(fieldset_of.__getitem__, ordered)), strict=True)
    )
    order = tuple(sorted(fieldsets))
    return Subjects(rows, fieldsets, rows_sha256(rows), pack(rows, order), order)


def rows_sha256(rows: Iterable[tuple[str, str]]) -> str:
    """What a transfer's ``subjects_sha256`` is: SHA-256 over one line per row, ``"subject
    fieldset\n"`` (hex), in order of subject."""
    lines = "".join(map("{0[0]} {0[1]}\n".format, rows)).encode()
    return hashlib.sha256(lines).hexdigest()


SUBJECT_BYTES = SUBJECT_HEX // 2
PLACE_BYTES = 4
RECORD_BYTES = SUBJECT_BYTES + PLACE_BYTES


def pack(rows: Iterable[tuple[str, str]], order: tuple[str, ...]) -> bytes:
    """``rows`` (in order of subject) as the index stores them: per row the subject's bytes and
    the place of its field-set in ``order``."""
    place = {name: f"{number:08x}" for number, name in enumerate(order)}
    return bytes.fromhex("".join([subject + place[fieldset] for subject, fieldset in rows]))


def unpack(packed: bytes, order: list[str] | tuple[str, ...]) -> list[tuple[str, str]]:
    """The (subject, field-set) rows of ``packed``; the inverse of ``pack``. ValueError if
    ``packed`` is not whole rows, IndexError if a row names a place ``order`` does not have."""
    if len(packed) % RECORD_BYTES:
        raise ValueError(f"{len(packed)} bytes are not whole rows of {RECORD_BYTES}")
    return [
        (
            packed[at : at + SUBJECT_BYTES].hex(),
            order[int.from_bytes(packed[at + SUBJECT_BYTES : at + RECORD_BYTES], "big")],
        )
        for at in range(0, len(packed), RECORD_BYTES)
    ]


def place_of(packed: bytes, subject: str) -> int | None:
    """The field-set place of ``subject`` (hex) in ``packed``, None if it is not there: a
    binary search, since the rows are in order of subject."""
    wanted = bytes.fromhex(subject)
    low, high = 0, len(packed) // RECORD_BYTES
    while low < high:
        middle = (low + high) // 2
        at = middle * RECORD_BYTES
        if packed[at : at + SUBJECT_BYTES] < wanted:
            low = middle + 1
        else:
            high = middle
    at = low * RECORD_BYTES
    if packed[at : at + SUBJECT_BYTES] != wanted:
        return None
    return int.from_bytes(packed[at + SUBJECT_BYTES : at + RECORD_BYTES], "big")
