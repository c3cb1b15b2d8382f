"""The reference filter for JSON payloads: keep what the policy allows, strip the rest, count it.

``filtered(document, policy, schema)`` is a pure function. A key the policy does not name is
stripped whole; a value of the wrong type (an object where a scalar is allowed, say) is stripped
too. Stripped fields are counted per path, once per occurrence; a key the payload schema does not
know is counted as ``<parent>.*`` so that no key chosen by the sender reaches the log.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from gateway.formats import fieldpaths
from gateway.formats.filtered import Filtered
from gateway.formats.payload_schema import PayloadSchema
from gateway.register.policy import FieldPolicy, Node

_STRIPPED = object()
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1  # signed 64 bits, as most JSON parsers read them


def filtered(document: dict[str, Any], policy: FieldPolicy, schema: PayloadSchema) -> Filtered:
    """``document`` with only what ``policy`` allows, and an account of what was stripped."""
    stripped: Counter[str] = Counter()
    forwarded: set[str] = set()
    kept = _object(document, policy.root, schema, stripped, forwarded)
    pupils = document.get("leerlingen")
    return Filtered(
        document=kept,
        forwarded=frozenset(forwarded),
        stripped=dict(stripped),
        records=len(pupils) if isinstance(pupils, list) else 0,
    )


def _object(
    value: dict[str, Any],
    node: Node,
    schema: PayloadSchema,
    stripped: Counter[str],
    forwarded: set[str],
) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, item in value.items():
        child = node.keys.get(key)
        if child is None:
            stripped[_stripped_name(node.path, key, schema)] += 1
            continue
        result = _value(item, child, schema, stripped, forwarded)
        if result is _STRIPPED:
            stripped[child.path] += 1
        else:
            kept[key] = result
    return kept


def _stripped_name(parent: str, key: str, schema: PayloadSchema) -> str:
    """The log's name for a stripped key: its path if the schema knows that key, else ``.*``."""
    path = fieldpaths.child(parent, key)
    if schema.knows(path) and "." not in key and "[" not in key:
        return path
    return fieldpaths.unknown(parent)


def _value(
    value: Any, node: Node, schema: PayloadSchema, stripped: Counter[str], forwarded: set[str]
) -> Any:
    if node.kind == "scalar":
        if isinstance(value, int) and not _INT_MIN <= value <= _INT_MAX:
            return _STRIPPED  # beyond 64 bits: suppliers' parsers would each read it differently
        if value is None or isinstance(value, str | int | float | bool):
            forwarded.add(node.path)
            return value
        return _STRIPPED
    if node.kind == "object":
        if isinstance(value, dict):
            return _object(value, node, schema, stripped, forwarded)
        return _STRIPPED
    if not isinstance(value, list) or node.items is None:
        return _STRIPPED
    kept = []
    for item in value:
        result = _value(item, node.items, schema, stripped, forwarded)
        if result is _STRIPPED:
            stripped[node.items.path] += 1
        else:
            kept.append(result)
    return kept
