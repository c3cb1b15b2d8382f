"""FieldPolicy: the fields one route of one agreement allows, compiled into a tree.

The tree mirrors the payload: an object node lists the keys it allows, an array node says what
its items may be, a scalar node allows a string, number, boolean or null. What the tree does not
name is not allowed; a value whose type does not match its node is not allowed either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from gateway.formats import fieldpaths

Kind = Literal["scalar", "object", "array"]


class PolicyError(ValueError):
    """Allowed paths that contradict each other (``a`` as a value and ``a.b`` as an object)."""


@dataclass(frozen=True, slots=True)
class Node:
    path: str
    kind: Kind
    keys: Mapping[str, Node] = field(default_factory=lambda: MappingProxyType({}))
    items: Node | None = None


@dataclass(frozen=True, slots=True)
class FieldPolicy:
    root: Node
    allowed: frozenset[str]

    @classmethod
    def from_paths(cls, paths: Iterable[str]) -> FieldPolicy:
        builder = _Builder("", "object")
        allowed = []
        for path in paths:
            builder.add(path, fieldpaths.parse(path))
            allowed.append(path)
        return cls(root=builder.build(), allowed=frozenset(allowed))


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

    def build(self) -> Node:
        return Node(
            path=self.path,
            kind=self.kind,
            keys=MappingProxyType({k: b.build() for k, b in self.keys.items()}),
            items=self.items.build() if self.items is not None else None,
        )
