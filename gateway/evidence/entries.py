"""The transfer log's entries: what each one says, in the bytes that are hashed into the tree.

An entry is a JSON object in RFC 8785 canonical form (``gateway.evidence.canonical``):

- ``begin``: a transfer's entry before anything is sent upstream (outcome ``pending``);
- ``refused``: a transfer that ended before anything could be sent, written once, whole;
- ``outcome``: how a begun transfer ended, naming the begin entry by its leaf hash (``begin``,
  hex) and its transfer (``id``). The begin entry is never changed.

Besides ``kind`` (and ``begin``) an entry holds the transfer's values for every column of the
``transfer`` table that ``gateway.transfer.record`` gives it, so a column added there is covered
without a change here; keys that are not columns are left out. Times are UTC ISO 8601 with
microseconds and ``Z``, identifiers strings.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from gateway.evidence.canonical import canonical
from gateway.evidence.models import TransferRecord
from gateway.evidence.tree import leaf_hash

BEGIN, OUTCOME, REFUSED = "begin", "outcome", "refused"
KINDS = (BEGIN, OUTCOME, REFUSED)
# Every column of the transfer table an entry may hold (seq is the table's own numbering).
COLUMNS = frozenset(name for name in TransferRecord._meta.db_fields if name != "seq")


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry as it is stored: its transfer, kind, canonical bytes and leaf hash."""

    transfer_id: uuid.UUID
    kind: str
    body: bytes
    leaf_hash: bytes
    written_at: dt.datetime


def make(kind: str, values: dict[str, Any], begin: bytes | None = None) -> Entry:
    """The entry of ``kind`` for a transfer's values (``record.entry`` or ``record.outcome``)."""
    content = content_of(values)
    content["kind"] = kind
    if kind == OUTCOME:
        content["begin"] = begin.hex() if begin is not None else None
    body = canonical(content)
    return Entry(values["id"], kind, body, leaf_hash(body), dt.datetime.now(dt.UTC))


def content_of(values: dict[str, Any]) -> dict[str, Any]:
    """The JSON values of the transfer columns among ``values``."""
    return {name: json_value(value) for name, value in values.items() if name in COLUMNS}


def json_value(value: Any) -> Any:
    """A column's value as an entry holds it."""
    kind = type(value)
    if kind is str or kind is int or value is None or kind is bool or kind is float:
        return value
    if isinstance(value, dt.datetime):
        text = value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
        return text + "Z"
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if all(type(v) is str for v in value):
            return list(value)
        return [json_value(v) for v in value]
    return value
