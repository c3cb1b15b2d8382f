"""What the gateway knows of a payload format, read from its JSON Schema in ``schemas/``.

The schema names every field a payload of that format can carry, says what each value may be
(a ``ValueRule`` per scalar field), which keys an object must have (``required``), and marks
special-category data (``x-special-category``). Contracts are checked against it, the filters
enforce its rules, and the transfer log names a stripped field only if the schema knows it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.formats import fieldpaths
from gateway.formats.values import ValueRule

PAYLOAD_FORMATS = {
    "las-sync": "las-sync.schema.json",
    "basispoort-rest": "basispoort-rest.schema.json",  # Basispoort's own REST v2 shapes
}


@dataclass(frozen=True, slots=True)
class KnownField:
    path: str  # dotted path of the key, without a trailing []
    kind: str  # "scalar", "object", "array"
    special_category: str | None  # "bsn", "religion", "health", "nationality" or None


@dataclass(frozen=True)
class PayloadSchema:
    name: str
    fields: Mapping[str, KnownField]
    # By node path (``leerlingen[].voornaam``; ``school.tags[]`` for the items of a scalar array).
    rules: Mapping[str, ValueRule] = field(default_factory=dict)
    # By object node path ("" is the document): the keys an object must have to be one.
    required: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def special_category(self, path: str) -> str | None:
        """The special category of ``path`` or of any field above it."""
        steps = fieldpaths.parse(path)
        prefix = ""
        for step in steps:
            prefix = fieldpaths.child(prefix, step.key)
            known = self.fields.get(prefix)
            if known is not None and known.special_category is not None:
                return known.special_category
            if step.array:
                prefix = fieldpaths.items(prefix)
        return None

    def knows(self, path: str) -> bool:
        return path in self.fields

    def mismatch(self, path: str) -> str | None:
        """Why ``path`` (contract notation) does not fit this schema, or None if it does."""
        steps = fieldpaths.parse(path)
        prefix = ""
        for index, step in enumerate(steps):
            prefix = fieldpaths.child(prefix, step.key)
            known = self.fields.get(prefix)
            if known is None:
                return f"{path!r} is not a field of the {self.name} payload"
            last = index == len(steps) - 1
            wanted = "array" if step.array else ("scalar" if last else "object")
            if known.kind != wanted:
                return f"{path!r}: {prefix!r} is {_a(known.kind)} in the {self.name} payload"
            if step.array:
                prefix = fieldpaths.items(prefix)
                if last and prefix not in self.rules:
                    return f"{path!r}: the items of {prefix[:-2]!r} are objects; name their fields"
        return None


def load(schemas_dir: Path, name: str) -> PayloadSchema:
    document = json.loads((schemas_dir / PAYLOAD_FORMATS[name]).read_text(encoding="utf-8"))
    fields = {f.path: f for f in _walk(document, document, "", None)}
    rules: dict[str, ValueRule] = {}
    required: dict[str, tuple[str, ...]] = {}
    _values(document, document, "", rules, required)
    return PayloadSchema(name=name, fields=fields, rules=rules, required=required)


def _values(
    root: Mapping[str, Any],
    node: Mapping[str, Any],
    path: str,
    rules: dict[str, ValueRule],
    required: dict[str, tuple[str, ...]],
) -> None:
    """Every value rule and required-key list below the object ``node`` at ``path``."""
    node = _resolve(root, node)
    if node.get("required"):
        required[path] = tuple(node["required"])
    for key, sub in node.get("properties", {}).items():
        sub = _resolve(root, sub)
        key_path = fieldpaths.child(path, key)
        kind = _kind(sub)
        if kind == "object":
            _values(root, sub, key_path, rules, required)
        elif kind == "scalar":
            rules[key_path] = ValueRule.from_schema(sub)
        elif "items" in sub:
            item = _resolve(root, sub["items"])
            if _kind(item) == "object":
                _values(root, item, fieldpaths.items(key_path), rules, required)
            else:
                rules[fieldpaths.items(key_path)] = ValueRule.from_schema(item)


def _resolve(root: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    if not isinstance(ref, str) or not ref.startswith("#/$defs/"):
        raise ValueError(f"unsupported $ref {ref!r} in payload schema")
    target = root["$defs"][ref.removeprefix("#/$defs/")]
    merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return _resolve(root, merged)


def _kind(node: Mapping[str, Any]) -> str:
    types = node.get("type")
    if isinstance(types, str):
        types = [types]
    if (types and "object" in types) or "properties" in node:
        return "object"
    if types and "array" in types:
        return "array"
    return "scalar"


def _walk(
    root: Mapping[str, Any], node: Mapping[str, Any], path: str, inherited: str | None
) -> Iterator[KnownField]:
    node = _resolve(root, node)
    for key, sub in node.get("properties", {}).items():
        sub = _resolve(root, sub)
        key_path = fieldpaths.child(path, key)
        category = sub.get("x-special-category", inherited)
        kind = _kind(sub)
        yield KnownField(key_path, kind, category)
        if kind == "object":
            yield from _walk(root, sub, key_path, category)
        elif kind == "array" and "items" in sub:
            item = _resolve(root, sub["items"])
            if _kind(item) == "object":
                yield from _walk(root, item, fieldpaths.items(key_path), category)


def _a(kind: str) -> str:
    return {"scalar": "a value", "object": "an object", "array": "an array"}[kind]
