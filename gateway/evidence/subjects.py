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
import hmac
import os
import secrets
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

# The identifier fields of a pupil record, by the kind the index names them with.
IDENTIFIERS = {"leerlingkey": "leerlingkey", "eckid": "eckid", "basispoort_id": "basispoort"}
KINDS = tuple(IDENTIFIERS.values())
RECORDS = "leerlingen"
KEY_BYTES = 32
ECK_ID_PREFIX = "https://ketenid.nl/"


class SubjectKeyError(Exception):
    """The subject key file is missing, unreadable or not a key; the message says which."""


@dataclass(frozen=True)
class SubjectKey:
    """The HMAC key of the subject index, read from its file."""

    secret: bytes = field(repr=False)

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
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise SubjectKeyError(
                f"{path} exists already; replacing it would make the subject index unreadable"
            ) from None
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(secret.hex() + "\n")
            file.flush()
            os.fsync(file.fileno())
        return cls(secret)

    def subject(self, kind: str, identifier: str) -> str:
        """The index's name for one identifier of ``kind`` (hex HMAC-SHA256)."""
        message = f"{kind}\x00{normalised(kind, identifier)}".encode()
        return hmac.digest(self.secret, message, "sha256").hex()

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
    and a SHA-256 over the rows that the transfer's log entry keeps."""

    rows: tuple[tuple[str, str], ...]
    fieldsets: dict[str, tuple[str, ...]]
    sha256: str


class _Top(msgspec.Struct, gc=False):
    leerlingen: list[dict[str, Any]] | None = None


_decoder = msgspec.json.Decoder(_Top)
_FIELDSET_HEX = 32  # 128 bits of SHA-256 name a field-set


def index(body: bytes | bytearray, key: SubjectKey) -> Subjects:
    """The pupils ``body`` holds (the JSON a filter made, as it leaves)."""
    try:
        records = _decoder.decode(body).leerlingen or []
    except msgspec.ValidationError:
        records = []  # a body a filter made always decodes; without leerlingen it has no pupils
    paths_by_subject: dict[str, set[str]] = {}
    shapes: dict[tuple[str, ...], frozenset[str]] = {}
    prefix = f"{RECORDS}[]"
    for record in records:
        if not isinstance(record, dict):
            continue
        # Records of scalars only are named by their keys: their paths are made once.
        flat = not any(isinstance(v, dict | list) for v in record.values())
        paths = shapes.get(tuple(record)) if flat else None
        if paths is None:
            paths = frozenset(_paths(record, prefix))
            if flat:
                shapes[tuple(record)] = paths
        for name, kind in IDENTIFIERS.items():
            value = record.get(name)
            if isinstance(value, str) and value.strip():
                paths_by_subject.setdefault(key.subject(kind, value), set()).update(paths)
    return _subjects(paths_by_subject)


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


def _subjects(paths_by_subject: dict[str, set[str]]) -> Subjects:
    fieldsets: dict[frozenset[str], tuple[str, tuple[str, ...]]] = {}
    rows = []
    for subject, paths in paths_by_subject.items():
        frozen = frozenset(paths)
        named = fieldsets.get(frozen)
        if named is None:
            ordered = tuple(sorted(frozen))
            digest = hashlib.sha256("\n".join(ordered).encode()).hexdigest()[:_FIELDSET_HEX]
            named = fieldsets[frozen] = (digest, ordered)
        rows.append((subject, named[0]))
    rows.sort()
    over_rows = hashlib.sha256()
    for subject, fieldset in rows:
        over_rows.update(f"{subject} {fieldset}\n".encode())
    return Subjects(tuple(rows), dict(fieldsets.values()), over_rows.hexdigest())
