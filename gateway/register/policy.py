"""FieldPolicy: the fields one route of one agreement allows, compiled into a tree.

The tree mirrors the payload: an object node lists the keys it allows (and the keys it must
have to be one at all), an array node says what its items may be, a scalar node carries the
value rule its values must keep: the payload schema's, narrowed by the contract. What the tree
does not name is not allowed; a value that breaks its node's kind or rule is not allowed either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from gateway.formats import fieldpaths
from gateway.formats.payload_schema import PayloadSchema
from gateway.formats.values import ValueRule

Kind = Literal["scalar", "object", "array"]


class PolicyError(ValueError):
    """Allowed paths that contradict each other (``a`` as a value and ``a.b`` as an object)."""


@dataclass(frozen=True, slots=True)
class Node:
    path: str
    kind: Kind
    keys: Mapping[str, Node] = field(default_factory=lambda: MappingProxyType({}))
    items: Node | None = None
    rule: ValueRule | None = None  # scalar nodes; None: any scalar (a policy without a schema)
    # Object nodes: the keys an object must have, valid, to be one (a pupil's leerlingkey),
    # whether the policy lets them through or not, with the rule each must keep.
    required: Mapping[str, ValueRule | None] = field(default_factory=lambda: MappingProxyType({}))
    # Scalar nodes: the transformation applied to a valid value instead of letting it through.
    transform: str | None = None
    # Object nodes: keys let through only where a consent in this same object is true, with
    # the steps to that consent (``toestemmingen.foto_video`` -> ("toestemmingen", "foto_video")).
    consent: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class FieldPolicy:
    root: Node
    allowed: frozenset[str]
    transforms: frozenset[str] = frozenset()  # the transformations it applies somewhere

    @classmethod
    def from_paths(
        cls,
        paths: Iterable[str],
        schema: PayloadSchema | None = None,
        narrowing: Mapping[str, Mapping[str, Any]] | None = None,
        allow_content: Mapping[str, Iterable[str]] | None = None,
        transforms: Mapping[str, str] | None = None,
        consents: Mapping[str, str] | None = None,
    ) -> FieldPolicy:
        """The policy allowing ``paths``; with ``schema``, its nodes carry the schema's value
        rules, narrowed per path by ``narrowing`` and ``allow_content`` (a contract's field
        entries; ``ValueRule.widening`` must have found nothing wider). ``transforms`` names a
        path's transformation, ``consents`` the consent (relative to the object holding the
        path's key) without which the key is withheld."""
        builder = _Builder("", "object")
        allowed = []
        for path in paths:
            builder.add(path, fieldpaths.parse(path))
            allowed.append(path)
        rules = _Rules(
            schema, narrowing or {}, allow_content or {}, transforms or {}, consents or {}
        )
        used = frozenset((transforms or {}).values())
        return cls(root=builder.build(rules), allowed=frozenset(allowed), transforms=used)


@dataclass(frozen=True)
class _Rules:
    schema: PayloadSchema | None
    narrowing: Mapping[str, Mapping[str, Any]]
    allow_content: Mapping[str, Iterable[str]]
    transforms: Mapping[str, str]
    consents: Mapping[str, str]

    def consent(self, path: str, keys: Iterable[str]) -> Mapping[str, tuple[str, ...]]:
        conditions = {}
        for key in keys:
            child = fieldpaths.child(path, key)
            consent = self.consents.get(child) or self.consents.get(fieldpaths.items(child))
            if consent is not None:
                conditions[key] = tuple(consent.split("."))
        return MappingProxyType(conditions)

    def rule(self, path: str) -> ValueRule | None:
        if self.schema is None or path not in self.schema.rules:
            return None
        return self.schema.rules[path].narrowed(
            self.narrowing.get(path, {}), self.allow_content.get(path, ())
        )

    def required(self, path: str) -> Mapping[str, ValueRule | None]:
        if self.schema is None:
            return MappingProxyType({})
        keys = self.schema.required.get(path, ())
        return MappingProxyType({k: self.rule(fieldpaths.child(path, k)) for k in keys})


class _Builder:
    def __init__(self, path: str, kind: Kind) -> None:
        self.path = path
        self.kind: Kind = kind
        self.keys: dict[str, _Builder] = {}
        self.items: _Builder | None = None

    def add(self, full: str, steps: tuple[fieldpaths.Step, ...]) -> None:
        if self.kind != "object":
            raise PolicyError(f"{full!r}: {self.path!r} is allowed as a value, not an object")
        step, rest = steps[0], steps[1:]
        key_path = fieldpaths.child(self.path, step.key)
        wanted: Kind = "array" if step.array else ("object" if rest else "scalar")
        node = self.keys.get(step.key)
        if node is None:
            node = self.keys[step.key] = _Builder(key_path, wanted)
        elif node.kind != wanted:
            raise PolicyError(f"{full!r}: {key_path!r} is allowed both as {node.kind} and {wanted}")
        if step.array:
            item_kind: Kind = "object" if rest else "scalar"
            if node.items is None:
                node.items = _Builder(fieldpaths.items(key_path), item_kind)
            elif node.items.kind != item_kind:
                raise PolicyError(f"{full!r}: items of {key_path!r} are allowed both ways")
            if rest:
                node.items.add(full, rest)
        elif rest:
            node.add(full, rest)

    def build(self, rules: _Rules) -> Node:
        return Node(
            path=self.path,
            kind=self.kind,
            keys=MappingProxyType({k: b.build(rules) for k, b in self.keys.items()}),
            items=self.items.build(rules) if self.items is not None else None,
            rule=rules.rule(self.path) if self.kind == "scalar" else None,
            required=rules.required(self.path) if self.kind == "object" else MappingProxyType({}),
            transform=rules.transforms.get(self.path) if self.kind == "scalar" else None,
            consent=(
                rules.consent(self.path, self.keys)
                if self.kind == "object"
                else MappingProxyType({})
            ),
        )
