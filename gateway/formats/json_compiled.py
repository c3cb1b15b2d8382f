"""The filter's fast path: a policy compiled into msgspec types, applied column by column, a batch
of records at a time.

The reference filter (``gateway.formats.json_reference``) decodes the whole body into Python
objects and walks it; it defines what leaves. Here the body's top level is decoded once into a
generated struct whose arrays of records (``leerlingen``, ``groepen``) stay undecoded items
(``msgspec.Raw``, views of the body). The records are then decoded, filtered and encoded a batch
at a time, so that what is in memory at once is the body, one view per record and one batch,
never the whole body decoded. Inside a batch the records are cut into columns, one per field
(``astuple`` and list slicing, in C), and the accounting, the value rules
(``ValueRule.bad_rows``), content inspection (``inspection.inspect_column``) and the output are
made a column at a time, never per value in Python unless a value is at fault.

Consents and transformations are made by column too: a batch's records whose consent is not
true lose the conditioned key (``_withhold``, after the records that are no records are left out,
as the reference filter does), the consents read in one decode where the policy does not let
their object through; a transformed column is transformed after its value checks and is not
inspected.

A record the typed decode cannot take (an unknown key, a value of a type no scalar has, an
integer beyond 64 bits) goes through the reference filter on its own; so does the whole top level
if the typed decode cannot take it. Both filters must give the same answer; the property tests
hold them to it.
"""

from __future__ import annotations

import bisect
import codecs
import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, UnsetType

from gateway.formats import bounds, fieldpaths, inspection, json_reference, transforms
from gateway.formats.bounds import Bounds
from gateway.formats.filtered import Filtered, NamedSchool, count, named_school
from gateway.formats.json_reference import RECORDS, Account
from gateway.formats.payload_schema import KnownField, PayloadSchema
from gateway.formats.transforms import Transforms
from gateway.formats.values import ValueRule
from gateway.register.policy import FieldPolicy, Node

# Integers beyond signed 64 bits fail the decode; the reference filter names them (range).
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
Scalar = str | Int64 | float | bool | None

# A batch of records is this many bytes of the body, or this many records, whichever comes
# first: large enough that the per-batch work of each column is nothing, small enough that a
# batch decoded is a small, fixed amount of memory whatever the records hold.
BATCH_BYTES = 256 * 1024
BATCH_RECORDS = 4096


class NotCompilable(Exception):
    """The body needs the reference filter as a whole (it is not a JSON object)."""


@dataclass(frozen=True)
class _Field:
    key: str
    path: str
    allowed: Node | None  # None: stripped whenever present
    plan: _ObjectPlan | None  # for allowed objects, and allowed arrays of objects
    decoded: Any  # the type it is decoded as (without ``| UnsetType``)
    required: ValueRule | bool | None = False  # False: not required; else the rule it keeps


@dataclass(frozen=True)
class _ObjectPlan:
    """One object node: how it is decoded, and what of it is kept."""

    node: Node
    decode_type: type[msgspec.Struct]
    output_type: type[msgspec.Struct]
    fields: tuple[_Field, ...]
    required: tuple[_Field, ...]  # in the node's order of required keys


_encoder = msgspec.json.Encoder()
_any = msgspec.json.Decoder()


class CompiledPolicy:
    def __init__(self, policy: FieldPolicy, schema: PayloadSchema) -> None:
        self._schema = schema
        self._counter = itertools.count()
        self._plan = self._object(policy.root, "", schema)
        # Allowed arrays of objects at the top level are streamed a batch at a time.
        self._streamed = {
            f.key: msgspec.json.Decoder(f.plan.decode_type)
            for f in self._plan.fields
            if f.plan is not None and f.allowed is not None and f.allowed.kind == "array"
        }
        # Its arrays of records as one view per record, or, for a large body, as one view
        # each (counted before a view per record is made: see ``_records``).
        self._decoder, self._large_decoder = (
            self._top_decoder(t) for t in (list[msgspec.Raw], msgspec.Raw)
        )

    def _top_decoder(self, streamed: Any) -> msgspec.json.Decoder[Any]:
        top = [
            (f.key, (streamed if f.key in self._streamed else f.decoded) | UnsetType, UNSET)
            for f in self._plan.fields
        ]
        return msgspec.json.Decoder(
            msgspec.defstruct("InTop", top, forbid_unknown_fields=True, gc=False)
        )

    def filtered(
        self,
        raw: bytes | bytearray,
        limits: Bounds = bounds.DEFAULT,
        context: Transforms | None = None,
    ) -> tuple[Filtered, NamedSchool]:
        """The filtered body and the school it names (``context``: what the policy's
        transformations need).

        Raises NotCompilable if the body is not a JSON object, ``msgspec.DecodeError`` (or
        UnicodeDecodeError) if it is not JSON the gateway reads at all, and TooComplex if it asks
        for more work than ``limits`` allow.
        """
        bounds.check(raw, limits)
        _check_utf8(raw)
        account = Account(self._schema, limits, transforms=context)
        out = bytearray(b"{")
        decoder = self._large_decoder if len(raw) > bounds.UNCOUNTED_BYTES else self._decoder
        try:
            top = decoder.decode(raw)
        except (msgspec.DecodeError, RecursionError):
            named = self._tolerant(raw, account, out)
        else:
            named = _named_school(top)
            fields = [(f, getattr(top, f.key)) for f in self._plan.fields]
            self._top(fields, account, out)
        out += b"}"
        result = Filtered(
            body=out,
            forwarded=frozenset(account.forwarded),
            stripped=dict(account.stripped),
            records=account.records,
            invalid=account.invalid,
            inspected=account.inspected,
            withheld=dict(account.withheld),
            transformed=account.transformed,
        )
        return result, named

    # -- the top level ---------------------------------------------------------------------

    def _top(self, fields: Sequence[tuple[_Field, Any]], account: Account, out: bytearray) -> None:
        """Each top-level field, written to ``out`` as it is filtered (the arrays of records a
        batch at a time), so that what is sent is in memory once, and never whole as objects."""
        first = True
        for field, value in fields:
            if value is UNSET:
                continue
            if field.allowed is None:
                account.stripped[field.path] += 1
                continue
            mark = len(out)
            if not first:
                out += b","
            out += _encoder.encode(field.key)
            out += b":"
            if self._write_value(field, value, account, out):
                first = False
            else:
                del out[mark:]  # left out: take its key back

    def _write_value(self, field: _Field, value: Any, account: Account, out: bytearray) -> bool:
        """One allowed top-level field's value, written to ``out``; False if it is left out."""
        assert field.allowed is not None
        if isinstance(value, _Reference):  # the tolerant top level: plain Python
            kept = json_reference.kept_value(value.value, field.allowed, account)
            if kept is json_reference.LEFT_OUT:
                return False
            out += _encoder.encode(kept)
            return True
        if field.key in self._streamed:
            items = value if isinstance(value, list) else _records(field, value, account)
            if items is None:
                return False
            self._stream(field, items, account, out)
            return True
        if field.plan is not None and field.allowed.kind == "object":
            [kept] = _objects(field.plan, [value], account)
        else:
            [kept] = _checked(field, [value], account)
        if kept is None or kept is UNSET:
            return False
        out += _encoder.encode(kept)
        return True

    def _stream(
        self, field: _Field, items: list[msgspec.Raw], account: Account, out: bytearray
    ) -> None:
        """``[...]`` of the kept records of a top-level array, written a batch at a time.

        Each record's view is dropped once its batch is done, so memory holds the body, the
        list of views, what has been written and one batch.
        """
        assert field.plan is not None and field.allowed is not None
        decoder = self._streamed[field.key]
        node = field.allowed.items
        assert node is not None
        bounds.check_records(len(items), account.limits)
        out += b"["
        first = True
        ends = list(itertools.accumulate(map(len, items)))  # where each record ends, in bytes
        start = 0
        while start < len(items):
            reach = (ends[start - 1] if start else 0) + BATCH_BYTES
            end = min(bisect.bisect_left(ends, reach, lo=start) + 1, start + BATCH_RECORDS)
            end = min(end, len(items))
            kept = _batch(field.plan, node, decoder, items[start:end], account)
            items[start:end] = itertools.repeat(None, end - start)  # type: ignore[arg-type]
            if field.key == RECORDS:
                account.records += len(kept)
            if kept:
                if not first:
                    out += b","
                first = False
                out += memoryview(_encoder.encode(kept))[1:-1]
            start = end
        out += b"]"

    def _tolerant(self, raw: bytes | bytearray, account: Account, out: bytearray) -> NamedSchool:
        """The top level key by key, for a body whose top level the typed decode cannot take
        (an unknown key, a value of the wrong kind): what is wrong is counted where it is, and
        the arrays of records are still streamed."""
        try:
            members = msgspec.json.decode(raw, type=dict[str, msgspec.Raw])
        except msgspec.ValidationError:
            raise NotCompilable("the body is not a JSON object") from None
        by_key = {f.key: f for f in self._plan.fields}
        named: NamedSchool = None
        if "school" in members:
            named = named_school({"school": _any.decode(members["school"])})
        fields: list[tuple[_Field, Any]] = []
        for key, value in members.items():
            field = by_key.get(key)
            if field is None:
                account.stripped[json_reference.stripped_name("", key, self._schema)] += 1
            elif field.allowed is None:
                fields.append((field, value))
            elif field.key in self._streamed:
                fields.append((field, value))  # a view of the array, made a list in _records
            else:
                fields.append((field, _Reference(_any.decode(value))))
        self._top(fields, account, out)
        return named

    # -- building the plan -----------------------------------------------------------------

    def _object(self, node: Node, path: str, schema: PayloadSchema) -> _ObjectPlan:
        known = _children(schema, path)
        fields: list[_Field] = []
        decode: list[tuple[str, Any, Any]] = []
        output: list[tuple[str, Any, Any]] = []
        for key, info in known.items():
            allowed = node.keys.get(key)
            plan = None
            if key in node.required:
                decoded: Any = Scalar  # checked whether it is let through or not
            elif allowed is None:
                decoded = msgspec.Raw  # never built; a present Raw is never empty (truthy)
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
            required: ValueRule | bool | None = node.required.get(key, False)
            fields.append(_Field(key, info.path, allowed, plan, decoded, required))
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
        by_key = {f.key: f for f in fields}
        needed = tuple(by_key[key] for key in node.required if key in by_key)
        return _ObjectPlan(node, decode_type, output_type, tuple(fields), needed)


class _Probe(msgspec.Struct, gc=False):
    """Any object, its members skipped unread: counts the items of an array of records."""


_probe = msgspec.json.Decoder(list[_Probe | None])
_VIEW_BYTES = 48  # what one item's view costs
_views = msgspec.json.Decoder(list[msgspec.Raw])


def _records(field: _Field, array: msgspec.Raw, account: Account) -> list[msgspec.Raw] | None:
    """The items of a top-level array of records, one view each; None if it is no array
    (counted as invalid).

    A view costs about 48 bytes, more than a tiny item in the body (``0,`` is two): a large
    array is counted first, as objects a few bytes each that are dropped at once, and refused
    if it holds more records than one transfer takes, more items than its size holds records,
    or (over two megabytes) items that are neither objects nor null: a stray null in a large sync
    is left out as it is in a small one, a large array of anything else is no sync.
    """
    first = bytes(memoryview(array)[:1])
    if first != b"[":
        count(account.invalid, field.path, "type")
        return None
    if len(array) > bounds.UNCOUNTED_BYTES:
        try:
            items = len(_probe.decode(array))
        except msgspec.ValidationError:
            raise bounds.TooComplex(
                f"an array of records over 2 MiB ({field.path}) holds items that are neither "
                "objects nor null"
            ) from None
        if items * _VIEW_BYTES > len(array):
            raise bounds.TooComplex(
                f"an array of records ({field.path}) packs more items than records take"
            )
        bounds.check_records(items, account.limits)
    return _views.decode(array)


@dataclass(frozen=True, slots=True)
class _Reference:
    """A top-level value decoded as plain Python, for the reference filter."""

    value: Any


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


def _named_school(document: msgspec.Struct) -> NamedSchool:
    school = getattr(document, "school", UNSET)
    if school is UNSET:
        return None
    if isinstance(school, msgspec.Raw):  # the policy strips school whole: read it anyway
        return named_school({"school": _any.decode(school)})
    return (_value(getattr(school, "brin", UNSET)), _value(getattr(school, "dependance", UNSET)))


def _value(field: Any) -> Any:
    if field is UNSET:
        return None
    return _any.decode(field) if isinstance(field, msgspec.Raw) else field


def _children(schema: PayloadSchema, path: str) -> dict[str, KnownField]:
    """The fields the schema knows directly inside the object at ``path``."""
    prefix = f"{path}." if path else ""
    return {
        info.path[len(prefix) :]: info
        for info in schema.fields.values()
        if info.path.startswith(prefix) and "." not in info.path[len(prefix) :]
    }


def _batch(
    plan: _ObjectPlan,
    node: Node,
    decoder: msgspec.json.Decoder[Any],
    items: Sequence[msgspec.Raw],
    account: Account,
) -> list[Any]:
    """The kept records of one batch, in order: typed where the decode takes them, through the
    reference filter one by one where it does not."""
    try:
        decoded = list(map(decoder.decode, items))
    except (msgspec.DecodeError, RecursionError):
        pass
    else:
        return [kept for kept in _objects(plan, decoded, account) if kept is not None]
    structs: list[msgspec.Struct] = []
    slots: list[Any] = []  # a struct's place (None), or the reference filter's answer
    for item in items:
        try:
            structs.append(decoder.decode(item))
            slots.append(None)
        except (msgspec.DecodeError, RecursionError):
            slots.append(_Reference(json_reference.kept_value(_any.decode(item), node, account)))
    typed = iter(_objects(plan, structs, account))
    out = []
    for slot in slots:
        kept = next(typed) if slot is None else slot.value
        if kept is not None and kept is not json_reference.LEFT_OUT:
            out.append(kept)
    return out


def _objects(plan: _ObjectPlan, objects: Sequence[Any], account: Account) -> list[Any]:
    """Filter every object of one node at once; the kept objects, aligned with ``objects``, with
    None for an object that is not one (a required key missing, invalid or inspected)."""
    if not objects:
        return []
    dropped = _required(plan, objects, account) if plan.required else set()
    if not dropped:
        if plan.node.consent:
            _withhold(plan.node, objects, account)
        return _kept(plan, objects, account)
    survivors = [o for index, o in enumerate(objects) if index not in dropped]
    if plan.node.consent:
        _withhold(plan.node, survivors, account)
    kept = iter(_kept(plan, survivors, account))
    return [None if index in dropped else next(kept) for index in range(len(objects))]


def _required(plan: _ObjectPlan, objects: Sequence[Any], account: Account) -> set[int]:
    """The objects that lack a valid, clean value for a key their node requires (counted)."""
    dropped: set[int] = set()
    for field in plan.required:
        column = [getattr(o, field.key) for o in objects]
        if dropped:
            column = [UNSET if i in dropped else v for i, v in enumerate(column)]
        missing = [i for i, v in enumerate(column) if v is UNSET and i not in dropped]
        if missing:
            count(account.invalid, field.path, "required", len(missing))
            dropped.update(missing)
        rule = field.required if isinstance(field.required, ValueRule) else None
        if rule is not None:
            for index in rule.bad_rows(column):
                broken = rule.violation(column[index])
                assert broken is not None
                count(account.invalid, field.path, broken)
                dropped.add(index)
        if field.allowed is not None and field.allowed.transform is None:
            clean = [UNSET if i in dropped else v for i, v in enumerate(column)]
            for index, kinds in _inspected(clean, rule).items():
                for found in kinds:
                    count(account.inspected, field.path, str(found))
                dropped.add(index)
    return dropped


def _kept(plan: _ObjectPlan, objects: Sequence[Any], account: Account) -> list[Any]:
    columns = _columns(objects, len(plan.fields))
    out_columns: list[Sequence[Any]] = []
    for field, column in zip(plan.fields, columns, strict=True):
        if field.allowed is None:
            # Absent is UNSET (falsy), present is a non-empty Raw (truthy): counted in C. A
            # required key that is not let through is decoded as a value: count what is set.
            present = len(column) - column.count(UNSET)
            if present:
                account.stripped[field.path] += present
            continue
        if column.count(UNSET) == len(column):
            out_columns.append(column)
            continue
        if field.plan is None:
            if field.required is not False and field.allowed.transform is None:
                # checked already: every value here is fine
                account.forwarded.add(field.allowed.path)
                out_columns.append(column)
            else:
                out_columns.append(_checked(field, column, account))
        elif field.allowed.kind == "object":
            out_columns.append(_rebuilt(field.plan, column, account))
        else:
            out_columns.append(_rebuilt_lists(field.plan, column, account))
    del columns
    if not out_columns:  # nothing of this object is allowed: empty objects keep the places
        return [plan.output_type() for _ in objects]
    return list(map(plan.output_type, *out_columns))


def _withhold(node: Node, objects: Sequence[Any], account: Account) -> None:
    """Take out (``UNSET``) the keys of ``objects`` whose consent is not true, counted."""
    for key, steps in node.consent.items():
        holding = [obj for obj in objects if getattr(obj, key) is not UNSET]
        if not holding:
            continue
        withheld = 0
        for obj, consented in zip(holding, _consents(holding, steps), strict=True):
            if not consented:
                setattr(obj, key, UNSET)
                withheld += 1
        if withheld:
            account.withheld[node.keys[key].path] += withheld


def _consents(objects: Sequence[Any], steps: tuple[str, ...]) -> list[bool]:
    """Whether each object's consent at ``steps`` is true. Where the policy does not let the
    consent's object through (``toestemmingen`` undecoded in every record), those parts are
    decoded together, in one call, as a type that reads the consent alone; where that fails (a
    part that is no object), one by one."""
    firsts = [getattr(obj, steps[0]) for obj in objects]
    if len(steps) > 1 and all(value.__class__ is msgspec.Raw for value in firsts):
        try:
            parts = _consent_decoder(steps[1:]).decode(b"[" + b",".join(firsts) + b"]")
        except msgspec.DecodeError:
            pass
        else:
            if len(steps) == 2:
                return [getattr(part, steps[1]) is True for part in parts]
            return [_read(part, steps[1:]) is True for part in parts]
    return [_consented(obj, steps) for obj in objects]


@functools.lru_cache(maxsize=64)
def _consent_decoder(steps: tuple[str, ...]) -> msgspec.json.Decoder[Any]:
    """A decoder of a list of objects that keeps only the value at ``steps`` of each."""
    inner: Any = Any
    for step in reversed(steps):
        inner = msgspec.defstruct("Consent", [(step, inner | UnsetType, UNSET)], gc=False)
    return msgspec.json.Decoder(list[inner])


def _read(part: Any, steps: tuple[str, ...]) -> Any:
    for step in steps:
        part = getattr(part, step)
        if part is UNSET:
            return UNSET
    return part


def _consented(obj: Any, steps: tuple[str, ...]) -> bool:
    """Whether the consent at ``steps`` is ``true``, read from the typed record (where the
    policy lets it through) or from its undecoded part (where it does not)."""
    value = obj
    for index, step in enumerate(steps):
        if isinstance(value, msgspec.Raw):
            rest: Any = _any.decode(value)
            return (
                json_reference.consented(rest, steps[index:]) if isinstance(rest, dict) else False
            )
        if not isinstance(value, msgspec.Struct):
            return False
        value = getattr(value, step, UNSET)
    if isinstance(value, msgspec.Raw):
        value = _any.decode(value)
    return value is True


def _columns(objects: Sequence[msgspec.Struct], width: int) -> list[list[Any]]:
    """The objects' fields as columns: ``columns[i][j]`` is field ``i`` of object ``j`` (UNSET
    where absent). One flat list of every field value, then one slice per field: both in C, and
    several times faster than reading one attribute at a time across the objects."""
    values = list(itertools.chain.from_iterable(map(msgspec.structs.astuple, objects)))
    return [values[index::width] for index in range(width)]


def _checked(field: _Field, column: Sequence[Any], account: Account) -> Sequence[Any]:
    """An allowed scalar column (or a column of lists of scalars) with what breaks its rule or
    holds what its field may not carry taken out (UNSET), counted."""
    assert field.allowed is not None
    if field.allowed.kind == "array":
        assert field.allowed.items is not None
        return _checked_lists(field.allowed.items, column, account)
    return _checked_values(field.allowed, column, account)


def _checked_values(node: Node, column: Sequence[Any], account: Account) -> Sequence[Any]:
    out: Sequence[Any] = column
    rule = node.rule
    bad = rule.bad_rows(column) if rule is not None else []
    if bad:
        assert rule is not None
        out = list(column)
        for index in bad:
            broken = rule.violation(column[index])
            assert broken is not None
            count(account.invalid, node.path, broken)
            out[index] = UNSET
    if node.transform is not None:
        return _transformed(node, node.transform, out, account)
    hits = _inspected(out, rule)
    if hits:
        out = list(out)
        for index, kinds in hits.items():
            for found in kinds:
                count(account.inspected, node.path, str(found))
            out[index] = UNSET
    if out.count(UNSET) != len(out):
        account.forwarded.add(node.path)
    return out


def _transformed(node: Node, name: str, column: Sequence[Any], account: Account) -> list[Any]:
    """A checked column transformed (never content-inspected: what leaves is the gateway's)."""
    out: list[Any] = []
    done = 0
    for value in column:
        if value is UNSET or value is None:
            out.append(value)
            continue
        result = transforms.apply(name, value, account.transforms)
        if result is transforms.CANNOT:
            count(account.invalid, node.path, "transform")
            out.append(UNSET)
            continue
        out.append(result)
        done += 1
    if done:
        count(account.transformed, node.path, name, done)
    if out.count(UNSET) != len(out):
        account.forwarded.add(node.path)
    return out


def _checked_lists(items: Node, column: Sequence[Any], account: Account) -> list[Any]:
    flat = [item for value in column if value is not UNSET for item in value]
    kept = iter(_checked_values(items, flat, account))
    out: list[Any] = []
    for value in column:
        if value is UNSET:
            out.append(UNSET)
            continue
        out.append([v for v in itertools.islice(kept, len(value)) if v is not UNSET])
    return out


def _inspected(
    column: Sequence[Any], rule: ValueRule | None
) -> dict[int, frozenset[inspection.Kind]]:
    """The strings of ``column`` that hold an identifier their field may not carry, by index."""
    kinds = set(map(type, column))
    if str not in kinds:
        return {}
    skip: frozenset[inspection.Kind] = rule.content if rule is not None else frozenset()
    if len(column) <= 2:  # value by value: cheaper than the passes over a column
        found = {}
        for index, value in enumerate(column):
            if value.__class__ is str and (hit := inspection.inspect(value, skip)):
                found[index] = hit
        return found
    if kinds == {str}:
        return inspection.inspect_column(column, skip)
    where = [i for i, v in enumerate(column) if v.__class__ is str]
    found = inspection.inspect_column([column[i] for i in where], skip)
    return {where[i]: kinds_found for i, kinds_found in found.items()}


def _rebuilt(plan: _ObjectPlan, column: Sequence[Any], account: Account) -> list[Any]:
    present = [value for value in column if value is not UNSET]
    kept = iter(_objects(plan, present, account))
    out = []
    for value in column:
        if value is UNSET:
            out.append(UNSET)
            continue
        one = next(kept)
        out.append(UNSET if one is None else one)
    return out


def _rebuilt_lists(plan: _ObjectPlan, column: Sequence[Any], account: Account) -> list[Any]:
    items = [item for value in column if value is not UNSET for item in value]
    kept = iter(_objects(plan, items, account))
    return [
        UNSET
        if value is UNSET
        else [one for one in itertools.islice(kept, len(value)) if one is not None]
        for value in column
    ]
