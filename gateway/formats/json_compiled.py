"""The filter's fast path: a policy compiled into msgspec types, applied column by column.

The reference filter (``gateway.formats.json_reference``) decodes the whole body into Python
objects and walks it. Here the body is decoded once straight into generated structs that know
every field the payload schema knows at each level: allowed fields typed (scalars, nested
structs, lists), stripped fields as ``msgspec.Raw`` (scanned, never built). The decoded records
are then cut into columns, one per field across all records (``astuple`` and list slicing, in
C), and the accounting and the output are made a column at a time (``list.count``, ``map``),
never per value in Python.

It only takes bodies it can account for exactly: an unknown key, a value of the wrong type or an
integer beyond 64 bits fails the typed decode, and the caller falls back to the reference
filter, which strips and counts such things one by one. Both must give the same answer; the
property tests hold them to it.
"""

from __future__ import annotations

import codecs
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, UnsetType

from gateway.formats import fieldpaths
from gateway.formats.filtered import Filtered, NamedSchool, named_school
from gateway.formats.payload_schema import KnownField, PayloadSchema
from gateway.register.policy import FieldPolicy, Node

# Integers beyond signed 64 bits fail the decode, so the reference filter strips them.
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
Scalar = str | Int64 | float | bool | None


class NotCompilable(Exception):
    """The body needs the reference filter (unknown keys, unexpected types)."""


@dataclass(frozen=True)
class _Field:
    key: str
    path: str
    allowed: Node | None  # None: stripped whenever present
    plan: _ObjectPlan | None  # for allowed objects, and allowed arrays of objects
    decoded: Any  # the type it is decoded as (without ``| UnsetType``)


@dataclass(frozen=True)
class _ObjectPlan:
    """One object node: how it is decoded, and what of it is kept."""

    decode_type: type[msgspec.Struct]
    output_type: type[msgspec.Struct]
    fields: tuple[_Field, ...]


# Above this size the top level's arrays of records are decoded in batches, so that a large
# sync is never fully decoded at once (memory about the body plus what is kept, not the body
# plus its whole decoded form). Below it, one decode is faster.
BATCHED_ABOVE = 16 * 1024 * 1024
BATCH = 2048


class CompiledPolicy:
    def __init__(self, policy: FieldPolicy, schema: PayloadSchema) -> None:
        self._counter = itertools.count()
        self._plan = self._object(policy.root, "", schema)
        self._decoder = msgspec.json.Decoder(self._plan.decode_type)
        # The same top level with its allowed arrays of records left as undecoded items.
        self._batched = {
            f.key: msgspec.json.Decoder(f.plan.decode_type)
            for f in self._plan.fields
            if f.plan is not None and f.allowed is not None and f.allowed.kind == "array"
        }
        batched_top = [
            (f.key, (list[msgspec.Raw] if f.key in self._batched else f.decoded) | UnsetType, UNSET)
            for f in self._plan.fields
        ]
        self._batched_decoder = msgspec.json.Decoder(
            msgspec.defstruct("InBatched", batched_top, forbid_unknown_fields=True, gc=False)
        )

    def filtered(self, raw: bytes | bytearray) -> tuple[Filtered, NamedSchool]:
        """The filtered body and the school it names, or NotCompilable if only the reference
        filter can account for it."""
        try:
            _check_utf8(raw)
            batched = len(raw) > BATCHED_ABOVE and bool(self._batched)
            decoder = self._batched_decoder if batched else self._decoder
            document = decoder.decode(raw)
            stripped: dict[str, int] = {}
            forwarded: set[str] = set()
            items = self._batched if batched else {}
            [kept] = _objects(self._plan, [document], stripped, forwarded, items)
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as error:
            raise NotCompilable(str(error)) from None
        result = Filtered(
            document=kept,
            forwarded=frozenset(forwarded),
            stripped=stripped,
            records=_records(getattr(document, "leerlingen", UNSET)),
        )
        return result, _named_school(document)

    def _object(self, node: Node, path: str, schema: PayloadSchema) -> _ObjectPlan:
        known = _children(schema, path)
        fields: list[_Field] = []
        decode: list[tuple[str, Any, Any]] = []
        output: list[tuple[str, Any, Any]] = []
        for key, info in known.items():
            allowed = node.keys.get(key)
            plan = None
            if allowed is None:
                decoded: Any = msgspec.Raw  # never built; a present Raw is never empty (truthy)
            elif allowed.kind == "scalar":
                decoded = Scalar
            elif allowed.kind == "object":
                plan = self._object(allowed, allowed.path, schema)
                decoded = plan.decode_type
            else:
                assert allowed.items is not None
                if allowed.items.kind == "scalar":
                    decoded = list[Scalar]
                else:
                    plan = self._object(allowed.items, allowed.items.path, schema)
                    decoded = list[plan.decode_type]  # type: ignore[name-defined]
            fields.append(_Field(key, info.path, allowed, plan, decoded))
            decode.append((key, decoded | UnsetType, UNSET))
            if allowed is not None:
                if plan is None:
                    output.append((key, decoded | UnsetType, UNSET))
                elif allowed.kind == "object":
                    output.append((key, plan.output_type | UnsetType, UNSET))
                else:
                    output.append((key, list[plan.output_type] | UnsetType, UNSET))  # type: ignore[name-defined]
        for key in node.keys:
            if key not in known:
                raise ValueError(f"{fieldpaths.child(path, key)!r} is not in the payload schema")
        number = next(self._counter)
        decode_type = msgspec.defstruct(f"In{number}", decode, forbid_unknown_fields=True, gc=False)
        output_type = msgspec.defstruct(f"Out{number}", output, gc=False)
        return _ObjectPlan(decode_type, output_type, tuple(fields))


# Checked a slice at a time: decoding a whole large body to str at once costs several times more
# (a str of the body's length is built only to be thrown away).
_UTF8_SLICE = 64 * 1024


def _check_utf8(raw: bytes | bytearray) -> None:
    """Raise UnicodeDecodeError unless the body is valid UTF-8 (msgspec does not check the text
    inside ``Raw`` fields, so the whole body is checked once)."""
    if raw.isascii():
        return
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(raw)
    for start in range(0, len(view), _UTF8_SLICE):
        decoder.decode(view[start : start + _UTF8_SLICE])
    decoder.decode(b"", final=True)


def _records(pupils: Any) -> int:
    """How many pupil records the body carried, whether or not any were allowed."""
    if isinstance(pupils, list):
        return len(pupils)
    if isinstance(pupils, msgspec.Raw):
        items = msgspec.json.decode(pupils, type=Any)  # a policy that strips every pupil: rare
        return len(items) if isinstance(items, list) else 0
    return 0


def _named_school(document: msgspec.Struct) -> NamedSchool:
    school = getattr(document, "school", UNSET)
    if school is UNSET:
        return None
    if isinstance(school, msgspec.Raw):  # the policy strips school whole: read it anyway
        return named_school({"school": msgspec.json.decode(school)})
    return (_value(getattr(school, "brin", UNSET)), _value(getattr(school, "dependance", UNSET)))


def _value(field: Any) -> Any:
    if field is UNSET:
        return None
    return msgspec.json.decode(field) if isinstance(field, msgspec.Raw) else field


def _children(schema: PayloadSchema, path: str) -> dict[str, KnownField]:
    """The fields the schema knows directly inside the object at ``path``."""
    prefix = f"{path}." if path else ""
    return {
        info.path[len(prefix) :]: info
        for info in schema.fields.values()
        if info.path.startswith(prefix) and "." not in info.path[len(prefix) :]
    }


def _objects(
    plan: _ObjectPlan,
    objects: Sequence[msgspec.Struct],
    stripped: dict[str, int],
    forwarded: set[str],
    undecoded: Mapping[str, msgspec.json.Decoder[Any]] | None = None,
) -> list[msgspec.Struct]:
    """Filter every object of one node at once; returns the kept objects in the same order.

    ``undecoded`` names fields whose lists hold undecoded items, with the decoder for them:
    those are decoded and filtered a batch at a time.
    """
    if not objects:
        return []
    columns = _columns(objects, len(plan.fields))
    out_columns: list[Sequence[Any]] = []
    for field, column in zip(plan.fields, columns, strict=True):
        if field.allowed is None:
            # Absent is UNSET (falsy), present is a non-empty Raw (truthy): counted in C.
            present = len(list(filter(None, column)))
            if present:
                stripped[field.path] = stripped.get(field.path, 0) + present
            continue
        out_columns.append(column)
        if column[0] is UNSET and all(value is UNSET for value in column):
            continue
        if field.plan is None:
            if field.allowed.kind == "scalar":
                forwarded.add(field.allowed.path)
            elif any(value for value in column if value is not UNSET):
                assert field.allowed.items is not None
                forwarded.add(field.allowed.items.path)  # some list had a scalar in it
        elif field.allowed.kind == "object":
            out_columns[-1] = _rebuilt(field.plan, column, stripped, forwarded)
        elif undecoded and field.key in undecoded:
            decoder = undecoded[field.key]
            out_columns[-1] = _rebuilt_in_batches(field.plan, column, decoder, stripped, forwarded)
        else:
            out_columns[-1] = _rebuilt_lists(field.plan, column, stripped, forwarded)
    del columns
    if not out_columns:  # nothing of this object is allowed: empty objects keep the places
        return [plan.output_type() for _ in objects]
    return list(map(plan.output_type, *out_columns))


def _columns(objects: Sequence[msgspec.Struct], width: int) -> list[list[Any]]:
    """The objects' fields as columns: ``columns[i][j]`` is field ``i`` of object ``j`` (UNSET
    where absent). One flat list of every field value, then one slice per field: both in C, and
    several times faster than reading one attribute at a time across the objects."""
    values = list(itertools.chain.from_iterable(map(msgspec.structs.astuple, objects)))
    return [values[index::width] for index in range(width)]


def _rebuilt(
    plan: _ObjectPlan, column: Sequence[Any], stripped: dict[str, int], forwarded: set[str]
) -> list[Any]:
    present = [value for value in column if value is not UNSET]
    kept = iter(_objects(plan, present, stripped, forwarded))
    return [UNSET if value is UNSET else next(kept) for value in column]


def _rebuilt_lists(
    plan: _ObjectPlan, column: Sequence[Any], stripped: dict[str, int], forwarded: set[str]
) -> list[Any]:
    items = [item for value in column if value is not UNSET for item in value]
    kept = iter(_objects(plan, items, stripped, forwarded))
    return [
        UNSET if value is UNSET else list(itertools.islice(kept, len(value))) for value in column
    ]


def _rebuilt_in_batches(
    plan: _ObjectPlan,
    column: Sequence[Any],
    decoder: msgspec.json.Decoder[Any],
    stripped: dict[str, int],
    forwarded: set[str],
) -> list[Any]:
    out: list[Any] = []
    for value in column:
        if value is UNSET:
            out.append(UNSET)
            continue
        kept: list[Any] = []
        for start in range(0, len(value), BATCH):
            batch = [decoder.decode(item) for item in value[start : start + BATCH]]
            kept.extend(_objects(plan, batch, stripped, forwarded))
        out.append(kept)
    return out
