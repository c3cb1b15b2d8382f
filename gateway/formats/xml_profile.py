"""UWLR profile allowlists, read from Edustandaard's profile schemas when they are loaded.

A profile ("Smalle set", "LVS set") is the full EDEXML content with what it forbids commented
out. ``load(schemas_dir)`` walks each profile schema from ``leerlinggegevens`` down (types,
groups, extensions, choices) and the full UWLR 2.2 schema beside it, and gives for every
element the standard knows, at every place, whether the profile lets it through and which of
its attributes it lets through. The schemas are the only source: there is no generated copy to
drift, and a reviewer can check any answer against the file Edustandaard published.

Paths are written from the data root (``leerlinggegevens``, or ``EDEX`` in an export):
``leerlingen/leerling/bsn`` for an element, ``leerlingen/leerling/@eckid`` for an attribute,
``leerlingen/leerling/*`` and ``leerlingen/leerling/@*`` for an element or attribute the standard
does not know there (its name is never written: a sender can put anything in a name).

Vendor blocks (``toevoegingen/blok``) are named by their ``xsi:type``, not by their ``code``,
which is free text; no profile allows any, and ``Allowlist.with_block`` lets one through.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from lxml import etree

LEERLINGGEGEVENS = "http://www.edustandaard.nl/leerresultaten/2/leerlinggegevens"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
_XS = "http://www.w3.org/2001/XMLSchema"
_XSI_TYPE = f"{{{XSI}}}type"

# (version, set) -> profile schema, relative to schemas/uwlr/.
_SMALLE = "2.2/Schemas/Profiel_smalle_set/Profiel_Smalle_set_UWLR_Leerlinggegevens"
_LVS = "2.2/Schemas/Profiel_LVS_set/Profiel_LVS_set_UWLR_Leerlinggegevens"
_SMALLE_23 = "2.3-afgeleid/Profiel_smalle_set/Profiel_Smalle_set_UWLR_Leerlinggegevens"
_PROFILE_FILES = {
    ("2.1", "smalle-set"): f"{_SMALLE}_v2p1.xsd",
    ("2.1", "lvs-set"): f"{_LVS}_v2p1.xsd",
    ("2.2", "smalle-set"): f"{_SMALLE}_v2p2.xsd",
    ("2.2", "lvs-set"): f"{_LVS}_v2p2.xsd",
    ("2.3", "smalle-set"): f"{_SMALLE_23}_v2p3.xsd",  # derived by us: see schemas/uwlr/README.md
}
_FULL_FILE = "2.2/Schemas/UWLR_Leerlinggegevens_v2p2.xsd"  # every element the standard knows
_EDEXML_FILE = "edexml-2.1/EDEXML.structuur.xsd"
_DATA_ROOT = "leerlinggegevens"
_ECKID_IS_KEY = frozenset({"2.3"})  # "ECK-iD primaire uitwisselsleutel" (UWLR 2.3)


class ProfileError(ValueError):
    """A profile schema this module cannot read an allowlist from (a schema change)."""


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    """One element the standard knows at one place, and what an allowlist lets through of it.

    ``children`` are keyed by the tag as lxml writes it (``{namespace}name``, or ``name`` in
    EDEXML); ``attributes`` by attribute name (``key``, or ``{xsi-namespace}type``) with whether
    each is allowed. ``text`` says the element carries character data (a simple type).
    ``blocks`` is only set on a ``toevoegingen`` an allowlist lets through: the vendor blocks it
    names, by their ``xsi:type`` in Clark notation.
    """

    name: str
    path: str
    allowed: bool
    text: bool
    attributes: Mapping[str, bool]
    children: Mapping[str, Node]
    blocks: Mapping[str, Node] = field(default_factory=dict)
    attribute_paths: Mapping[str, str] = field(init=False)
    unknown_child: str = field(init=False)  # the log's name for an element not known here
    unknown_attribute: str = field(init=False)  # and for an attribute not known here

    def __post_init__(self) -> None:
        # Worked out once, so that filtering a document builds no strings for what it keeps.
        paths = {
            name: _child_path(self.path, "@" + _attribute_label(name)) for name in self.attributes
        }
        object.__setattr__(self, "attribute_paths", paths)
        object.__setattr__(self, "unknown_child", _child_path(self.path, "*"))
        object.__setattr__(self, "unknown_attribute", _child_path(self.path, "@*"))


@dataclass(frozen=True, slots=True, eq=False)
class Allowlist:
    """What may leave, element by element, for documents in ``namespace`` (None: EDEXML)."""

    namespace: str | None
    root: Node
    eckid_is_key: bool = False  # UWLR 2.3: the ECK iD is the pupil's key when it is there
    has_blocks: bool = False  # some vendor block is let through (so xsi: must be declared)

    def tag(self, name: str) -> str:
        return f"{{{self.namespace}}}{name}" if self.namespace else name

    def allowed_paths(self) -> frozenset[str]:
        """Every element and attribute path this allowlist lets through."""
        return frozenset(path for path, allowed in _paths(self.root) if allowed)

    def known_paths(self) -> frozenset[str]:
        """Every element and attribute path the standard knows."""
        return frozenset(path for path, _ in _paths(self.root))

    def with_block(self, parent: str, block_type: str, fields: Iterable[str]) -> Allowlist:
        """This allowlist letting one vendor block through under ``parent`` (a path).

        ``block_type`` is the block's ``xsi:type``: ``{namespace}Name``, or a bare ``Name`` for a
        type in the document's own namespace; ``fields`` are the block's child elements that
        may leave (``code`` and ``omschrijving`` are the standard's, the rest the vendor's).
        """
        steps = [step for step in parent.split("/") if step]
        if block_type.startswith("{"):
            clark = block_type
        else:
            clark = f"{{{self.namespace}}}{block_type}" if self.namespace else block_type
        root = self._with_block(self.root, steps, clark, block_type, tuple(fields))
        return replace(self, root=root, has_blocks=True)

    def _with_block(
        self, node: Node, steps: list[str], clark: str, label: str, fields: tuple[str, ...]
    ) -> Node:
        if steps:
            tag = self.tag(steps[0])
            child = node.children.get(tag)
            if child is None:
                raise ProfileError(f"{node.path or 'the root'} has no element {steps[0]!r}")
            changed = self._with_block(child, steps[1:], clark, label, fields)
            return replace(node, children={**node.children, tag: changed})
        tag = self.tag("toevoegingen")
        toevoegingen = node.children.get(tag)
        if toevoegingen is None:
            raise ProfileError(f"{node.path or 'the root'} has no toevoegingen")
        block_path = _child_path(toevoegingen.path, f"blok[{label}]")
        block = Node(
            name="blok",
            path=block_path,
            allowed=True,
            text=False,
            attributes={_XSI_TYPE: True},
            children={
                self.tag(name): Node(name, _child_path(block_path, name), True, True, {}, {})
                for name in fields
            },
        )
        opened = replace(toevoegingen, allowed=True, blocks={**toevoegingen.blocks, clark: block})
        return replace(node, children={**node.children, tag: opened})


@dataclass(frozen=True, slots=True, eq=False)
class Profile:
    """One UWLR profile: its allowlist for UWLR responses and for EDEXML exports, its schema."""

    version: str  # "2.1", "2.2", "2.3"
    set: str  # "smalle-set", "lvs-set"
    schema_file: Path
    uwlr: Allowlist
    edexml: Allowlist

    @property
    def name(self) -> str:
        return f"uwlr-{self.version}-{self.set}"

    def schema(self) -> etree.XMLSchema:
        """The compiled profile schema (for ``leerlinggegevens_antwoord``), one per thread."""
        return compiled_schema(self.schema_file)


@dataclass(frozen=True, slots=True, eq=False)
class Profiles:
    """Every profile the gateway knows, and the schemas that validate against no profile."""

    by_name: Mapping[str, Profile]
    full_schema_file: Path  # UWLR 2.2 leerlinggegevens, no profile
    edexml_schema_file: Path  # EDEXML 2.1, no profile

    def get(self, version: str, set: str) -> Profile:
        """The profile, or KeyError naming what exists."""
        name = f"uwlr-{version}-{set}"
        if name not in self.by_name:
            raise KeyError(f"no profile {name}; known: {', '.join(sorted(self.by_name))}")
        return self.by_name[name]


def load(schemas_dir: Path) -> Profiles:
    """Every profile's allowlists, read from ``schemas_dir/uwlr/``."""
    base = schemas_dir / "uwlr"
    full = _Schema(base / _FULL_FILE).data_root()
    profiles = {}
    for (version, set_name), relative in _PROFILE_FILES.items():
        allowed = _Schema(base / relative).data_root()
        root_uwlr = _node(full, allowed, "", _DATA_ROOT, LEERLINGGEGEVENS)
        root_edexml = _node(full, allowed, "", "EDEX", None)
        eckid_is_key = version in _ECKID_IS_KEY
        profile = Profile(
            version=version,
            set=set_name,
            schema_file=base / relative,
            uwlr=Allowlist(LEERLINGGEGEVENS, root_uwlr, eckid_is_key),
            edexml=Allowlist(None, root_edexml, eckid_is_key),
        )
        profiles[profile.name] = profile
    return Profiles(profiles, base / _FULL_FILE, base / _EDEXML_FILE)


_local = threading.local()


def compiled_schema(path: Path) -> etree.XMLSchema:
    """``path`` compiled, cached per thread: an XMLSchema keeps its last error log on itself."""
    cache: dict[Path, etree.XMLSchema] | None = getattr(_local, "schemas", None)
    if cache is None:
        cache = _local.schemas = {}
    schema = cache.get(path)
    if schema is None:
        schema = cache[path] = etree.XMLSchema(schema_document(path))
    return schema


def schema_document(path: Path) -> etree._ElementTree:
    """A trusted schema file parsed, with two faults of the published UWLR 2.1 profiles mended.

    XML Schema wants ``xs:include``/``xs:import`` before every component and ``xs:selector``
    before ``xs:field`` in a key; the 2.1 profiles have them the other way round and libxml2
    refuses them. Putting them in order changes nothing else (schemas/uwlr/README.md).
    """
    parser = etree.XMLParser(no_network=True, resolve_entities=False, remove_comments=True)
    tree = etree.parse(str(path), parser)
    root = tree.getroot()
    composition = [
        child
        for child in root
        if child.tag in (f"{{{_XS}}}include", f"{{{_XS}}}import", f"{{{_XS}}}redefine")
    ]
    for index, child in enumerate(composition):
        root.insert(index, child)
    identity = (f"{{{_XS}}}key", f"{{{_XS}}}unique", f"{{{_XS}}}keyref")
    for constraint in root.iter(*identity):
        for selector in constraint.findall(f"{{{_XS}}}selector"):
            constraint.insert(0, selector)
    return tree


# --- reading an allowlist out of a schema ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rule:
    """What one element declaration allows: its attributes, children and whether it has text."""

    text: bool
    attributes: frozenset[str]
    children: Mapping[str, _Rule]


class _Schema:
    """One schema file and every file it includes, indexed by component name."""

    def __init__(self, path: Path) -> None:
        self.types: dict[str, etree._Element] = {}
        self.simple: set[str] = set()
        self.groups: dict[str, etree._Element] = {}
        self.attribute_groups: dict[str, etree._Element] = {}
        self.elements: dict[str, etree._Element] = {}
        self._read(path, set())

    def _read(self, path: Path, seen: set[Path]) -> None:
        path = path.resolve()
        if path in seen:
            return
        seen.add(path)
        root = schema_document(path).getroot()
        for child in root:
            kind = etree.QName(child).localname
            name = child.get("name")
            if kind == "include":
                self._read(path.parent / child.get("schemaLocation", ""), seen)
            elif name is None:
                continue
            elif kind == "complexType":
                self.types[name] = child
            elif kind == "simpleType":
                self.simple.add(name)
            elif kind == "group":
                self.groups[name] = child
            elif kind == "attributeGroup":
                self.attribute_groups[name] = child
            elif kind == "element":
                self.elements[name] = child
        # xs:import brings other namespaces (the SOAP envelope): nothing under leerlinggegevens.

    def data_root(self) -> _Rule:
        declaration = self.elements.get(_DATA_ROOT)
        if declaration is None:
            raise ProfileError(f"no element {_DATA_ROOT}")
        return self._element(declaration, depth=0)

    def _element(self, declaration: etree._Element, depth: int) -> _Rule:
        if depth > 32:
            raise ProfileError("element declarations nest deeper than EDEXML does")
        reference = declaration.get("ref")
        if reference is not None:
            return self._element(self._global(self.elements, reference), depth)
        type_name = declaration.get("type")
        if type_name is not None:
            local = _local_name(type_name)
            if type_name.startswith("xs:") or local in self.simple:
                return _Rule(text=True, attributes=frozenset(), children={})
            return self._complex(self._global(self.types, type_name), depth)
        for child in declaration:
            kind = etree.QName(child).localname
            if kind == "complexType":
                return self._complex(child, depth)
            if kind == "simpleType":
                return _Rule(text=True, attributes=frozenset(), children={})
        return _Rule(text=True, attributes=frozenset(), children={})  # xs:anyType: text only

    def _complex(self, complex_type: etree._Element, depth: int) -> _Rule:
        attributes: set[str] = set()
        children: dict[str, _Rule] = {}
        text = complex_type.get("mixed") == "true"
        for child in complex_type:
            kind = etree.QName(child).localname
            if kind in ("simpleContent", "complexContent"):
                for derivation in child:
                    if etree.QName(derivation).localname not in ("extension", "restriction"):
                        continue
                    base = derivation.get("base", "")
                    if kind == "simpleContent":
                        text = True
                    elif etree.QName(derivation).localname == "extension":
                        inherited = self._complex(self._global(self.types, base), depth)
                        attributes |= inherited.attributes
                        _merge(children, inherited.children)
                    self._content(derivation, attributes, children, depth)
            else:
                self._content_item(child, attributes, children, depth)
        return _Rule(text=text, attributes=frozenset(attributes), children=children)

    def _content(
        self,
        parent: etree._Element,
        attributes: set[str],
        children: dict[str, _Rule],
        depth: int,
    ) -> None:
        for child in parent:
            self._content_item(child, attributes, children, depth)

    def _content_item(
        self,
        item: etree._Element,
        attributes: set[str],
        children: dict[str, _Rule],
        depth: int,
    ) -> None:
        kind = etree.QName(item).localname
        if kind in ("sequence", "choice", "all"):
            self._content(item, attributes, children, depth)
        elif kind == "element":
            name = item.get("name") or _local_name(item.get("ref", ""))
            _merge(children, {name: self._element(item, depth + 1)})
        elif kind == "group":
            group = self._global(self.groups, item.get("ref", ""))
            self._content(group, attributes, children, depth)
        elif kind == "attribute":
            attributes.add(item.get("name") or _local_name(item.get("ref", "")))
        elif kind == "attributeGroup":
            group = self._global(self.attribute_groups, item.get("ref", ""))
            self._content(group, attributes, children, depth)
        elif kind in ("any", "anyAttribute"):
            raise ProfileError("wildcards are not in EDEXML; this schema is not one we know")
        # annotation: nothing to allow

    @staticmethod
    def _global(table: Mapping[str, etree._Element], name: str) -> etree._Element:
        found = table.get(_local_name(name))
        if found is None:
            raise ProfileError(f"no component {name!r}")
        return found


def _merge(children: dict[str, _Rule], more: Mapping[str, _Rule]) -> None:
    """Add ``more``; a name twice in one content model (choice branches) must mean one thing."""
    for name, rule in more.items():
        if name in children and children[name] != rule:
            raise ProfileError(f"element {name!r} is declared twice with different content")
        children[name] = rule


def _local_name(qualified: str) -> str:
    return qualified.rpartition(":")[2]


def _node(
    known: _Rule | None, allowed: _Rule | None, path: str, name: str, namespace: str | None
) -> Node:
    """The tree of everything ``known`` (the full standard) or ``allowed`` (the profile) names."""
    either = allowed or known
    assert either is not None
    known_attributes = (known.attributes if known else frozenset()) | (
        allowed.attributes if allowed else frozenset()
    )
    allowed_attributes = allowed.attributes if allowed else frozenset()
    names = dict.fromkeys(
        [*(known.children if known else {}), *(allowed.children if allowed else {})]
    )
    children = {}
    for child in names:
        tag = f"{{{namespace}}}{child}" if namespace else child
        children[tag] = _node(
            known.children.get(child) if known else None,
            allowed.children.get(child) if allowed else None,
            _child_path(path, child),
            child,
            namespace,
        )
    return Node(
        name=name,
        path=path,
        allowed=allowed is not None,
        text=either.text,
        attributes={a: a in allowed_attributes for a in sorted(known_attributes)},
        children=children,
    )


def _child_path(parent: str, name: str) -> str:
    return f"{parent}/{name}" if parent else name


def _attribute_label(name: str) -> str:
    if name.startswith(f"{{{XSI}}}"):
        return "xsi:" + name[len(XSI) + 2 :]
    return name


def _paths(node: Node) -> Iterator[tuple[str, bool]]:
    """Leaf elements (no children: text, or attributes only) and attributes, with their verdict.

    A node under one that is not allowed is never allowed itself (``_node`` sees to that).
    """
    if node.path and not node.children and not node.blocks:
        yield node.path, node.allowed
    for name, allowed in node.attributes.items():
        yield node.attribute_paths[name], allowed and node.allowed
    for child in node.children.values():
        yield from _paths(child)
    for block in node.blocks.values():
        yield from _paths(block)
