"""The reference filter for JSON payloads: keep what the policy allows, valid and clean; count
the rest.

``filtered(document, policy, schema)`` is a pure function, the definition of what leaves. For
every key of every object, in order:

- a key the policy does not name is *stripped* whole, counted per path (a key the payload
  schema does not know as ``<parent>.*``, so that no key chosen by the sender reaches the log);
- an allowed value of the wrong kind (an object where a scalar is allowed, say) or breaking its
  value rule is *invalid*: left out, counted per path and kind (``type``, ``enum``, ...);
- an allowed, valid string holding an identifier its field is not declared to hold (a BSN in a
  group name) is *inspected*: left out, counted per path and kind (``bsn``, ``iban``, ...);
- an allowed key whose consent (``requires_consent``: a boolean elsewhere in the same object,
  the pupil's record) is not ``true`` is *withheld*: left out, counted per path, whatever its
  value;
- an allowed, valid value of a field with a transformation (``transform``) is forwarded
  transformed, counted per path and transformation, and not content-inspected (what leaves is
  the gateway's own); one the transformation cannot take is invalid (``transform``);
- everything else is forwarded.

An object that lacks a key its schema requires, or whose required key is invalid or inspected,
is not one (a pupil record without a valid leerlingkey): it is left out whole, counted once at
that key, and nothing inside it is counted. Counts are per occurrence.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import msgspec

from gateway.formats import fieldpaths, inspection, transforms
from gateway.formats.bounds import DEFAULT, Bounds
from gateway.formats.filtered import Counts, Filtered, count
from gateway.formats.payload_schema import PayloadSchema
from gateway.formats.transforms import Transforms
from gateway.formats.values import ValueRule
from gateway.register.policy import FieldPolicy, Node

LEFT_OUT = object()
_encoder = msgspec.json.Encoder()
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1  # signed 64 bits, as most JSON parsers read them
RECORDS = "leerlingen"  # the top-level array whose items are the pupil records


@dataclass
class Account:
    """What a filter counts while it works (both filters use it)."""

    schema: PayloadSchema
    limits: Bounds = DEFAULT
    stripped: Counter[str] = field(default_factory=Counter)
    forwarded: set[str] = field(default_factory=set)
    invalid: Counts = field(default_factory=dict)
    inspected: Counts = field(default_factory=dict)
    records: int = 0
    transforms: Transforms | None = None
    withheld: Counter[str] = field(default_factory=Counter)
    transformed: Counts = field(default_factory=dict)


def filtered(
    document: dict[str, Any],
    policy: FieldPolicy,
    schema: PayloadSchema,
    context: Transforms | None = None,
) -> Filtered:
    """``document`` with only what ``policy`` allows, and an account of what was left out;
    ``context`` is what the policy's transformations need (its supplier's key, its day)."""
    account = Account(schema, transforms=context)
    kept = _object(document, policy.root, account)
    if kept is LEFT_OUT:  # the document itself lacks what it must have
        kept = {}
    pupils = kept.get(RECORDS)
    return Filtered(
        body=_encoder.encode(kept),
        forwarded=frozenset(account.forwarded),
        stripped=dict(account.stripped),
        records=len(pupils) if isinstance(pupils, list) else 0,
        invalid=account.invalid,
        inspected=account.inspected,
        withheld=dict(account.withheld),
        transformed=account.transformed,
    )


def _object(obj: dict[str, Any], node: Node, account: Account) -> Any:
    for key, rule in node.required.items():
        path = fieldpaths.child(node.path, key)
        if key not in obj:
            count(account.invalid, path, "required")
            return LEFT_OUT
        child = node.keys.get(key)
        item = obj[key]
        kind = rule.violation(item) if rule is not None else None
        if kind is None and child is not None and child.kind != "scalar":
            kind = "type"  # a required key is a scalar
        if kind is not None:
            count(account.invalid, path, kind)
            return LEFT_OUT
        if (
            child is not None
            and child.transform is None
            and isinstance(item, str)
            and _found(item, rule, path, account)
        ):
            return LEFT_OUT
    kept: dict[str, Any] = {}
    for key, item in obj.items():
        child = node.keys.get(key)
        if child is None:
            account.stripped[stripped_name(node.path, key, account.schema)] += 1
            continue
        if key in node.consent and not consented(obj, node.consent[key]):
            account.withheld[child.path] += 1
            continue
        result = kept_value(item, child, account)
        if result is not LEFT_OUT:
            kept[key] = result
    return kept


def consented(obj: dict[str, Any], steps: tuple[str, ...]) -> bool:
    """Whether the consent at ``steps`` inside ``obj`` is ``true`` (and not missing, null,
    false or anything else)."""
    value: Any = obj
    for step in steps:
        if not isinstance(value, dict):
            return False
        value = value.get(step)
    return value is True


def stripped_name(parent: str, key: str, schema: PayloadSchema) -> str:
    """The log's name for a stripped key: its path if the schema knows that key, else ``.*``."""
    path = fieldpaths.child(parent, key)
    if schema.knows(path) and "." not in key and "[" not in key:
        return path
    return fieldpaths.unknown(parent)


def kept_value(value: Any, node: Node, account: Account) -> Any:
    """``value`` as ``node`` allows it, or ``LEFT_OUT`` (counted here); the compiled filter
    asks this of a record its typed decode cannot take."""
    if node.kind == "scalar":
        return _scalar(value, node, account)
    if node.kind == "object":
        if isinstance(value, dict):
            return _object(value, node, account)
        count(account.invalid, node.path, "type")
        return LEFT_OUT
    if not isinstance(value, list) or node.items is None:
        count(account.invalid, node.path, "type")
        return LEFT_OUT
    kept = []
    for item in value:
        result = kept_value(item, node.items, account)
        if result is not LEFT_OUT:
            kept.append(result)
    return kept


def _scalar(value: Any, node: Node, account: Account) -> Any:
    if node.rule is not None:
        kind = node.rule.violation(value)
    elif isinstance(value, int) and not _INT_MIN <= value <= _INT_MAX:
        kind = "range"  # no rule: any scalar, but beyond 64 bits parsers disagree
    elif value is None or isinstance(value, str | int | float | bool):
        kind = None
    else:
        kind = "type"
    if kind is not None:
        count(account.invalid, node.path, kind)
        return LEFT_OUT
    if node.transform is not None:
        result = transforms.apply(node.transform, value, account.transforms)
        if result is transforms.CANNOT:
            count(account.invalid, node.path, "transform")
            return LEFT_OUT
        if value is not None:
            count(account.transformed, node.path, node.transform)
        account.forwarded.add(node.path)
        return result
    if isinstance(value, str) and _found(value, node.rule, node.path, account):
        return LEFT_OUT
    account.forwarded.add(node.path)
    return value


def _found(value: str, rule: ValueRule | None, path: str, account: Account) -> bool:
    """Whether ``value`` holds an identifier its field may not carry (counted if so)."""
    kinds = inspection.inspect(value, rule.content if rule is not None else frozenset())
    for kind in kinds:
        count(account.inspected, path, str(kind))
    return bool(kinds)
