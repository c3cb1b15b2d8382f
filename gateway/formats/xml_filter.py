"""Filtering UWLR leerlinggegevens responses and EDEXML exports by an allowlist.

``response(antwoord, allowlist)`` and ``edexml(root, allowlist)`` keep only the elements and
attributes the allowlist lets through, wherever they stand: each element is judged by its name
under its parent, never by its position, because real responses are not always in schema order.
Everything else goes whole (an element with everything in it, and its trailing text), and is
counted once per occurrence under its path (``leerlingen/leerling/bsn``,
``leerlingen/leerling/@eckid``; an element or attribute the standard does not know there as
``.../*`` or ``.../@*``, and stray text inside an element that holds no text as ``.../text()``).
Vendor blocks (``toevoegingen``) go unless the allowlist names the block's ``xsi:type``.

The result also holds the paths that were forwarded, the number of pupil records and the
pupils' keys, which are pupil data: the caller pseudonymises them; they are left out of the
result's ``repr`` so that they cannot reach a log by accident.

``validate(element, schema, allowlist)`` says whether a document satisfies a profile schema and,
if not, where the first problem is: its libxml2 error kind, line and path, never its message
(libxml2's messages quote the offending value).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from lxml import etree

from gateway.formats.xml_profile import XSI, Allowlist, Node

_XSI_TYPE = f"{{{XSI}}}type"
_EMPTY_ANSWERS = ("geenwijzigingen", "geengegevens")  # ctpLeeg: no data, nothing inside
# XML Schema's own attributes have fixed names, so a stripped one can be named in the log.
_XSI_ATTRIBUTES = {
    f"{{{XSI}}}{name}": f"@xsi:{name}"
    for name in ("type", "nil", "schemaLocation", "noNamespaceSchemaLocation")
}


class UnexpectedDocument(ValueError):
    """A document whose root is not what was asked to be filtered."""


@dataclass(frozen=True, slots=True)
class FilteredXML:
    """The filtered document and an account of what the filter did, holding no pupil data.

    ``document`` is the filtered root (``leerlinggegevens_antwoord`` or ``EDEX``);
    ``pupil_keys`` are the identifiers of the pupils the document carries as they leave (the
    ``key`` attribute; in UWLR 2.3 the ``eckid`` where a pupil has one): pupil data.
    """

    document: etree._Element
    forwarded: frozenset[str]
    stripped: dict[str, int]
    records: int
    pupil_keys: tuple[str, ...] = field(repr=False)


@dataclass(frozen=True, slots=True)
class Validity:
    """Whether a document satisfies a schema, and where the first problem is when it does not.

    ``kind`` is libxml2's name for the first error (``SCHEMAV_ELEMENT_CONTENT``: an element not
    allowed there or out of order; ``SCHEMAV_CVC_DATATYPE_VALID_1_2_1``: a value of the wrong
    form; ...), ``line`` its line in the document as parsed, ``path`` the element in this
    module's notation with positions (``leerlingen/leerling[3]/geboortedatum``). ``errors`` is
    how many errors libxml2 reported; it skips the rest of an element once its content is out
    of place, so this is a lower bound. ``line`` is None for a tree that was built rather than
    parsed (a filtered document).
    """

    valid: bool
    errors: int = 0
    kind: str | None = None
    line: int | None = None
    path: str | None = None


def response(antwoord: etree._Element, allowlist: Allowlist) -> FilteredXML:
    """A ``leerlinggegevens_antwoord`` filtered by ``allowlist``; ``antwoord`` is not changed."""
    if antwoord.tag != allowlist.tag("leerlinggegevens_antwoord"):
        raise UnexpectedDocument("not a leerlinggegevens_antwoord")
    walk = _Walk(allowlist)
    kept = etree.Element(antwoord.tag, nsmap=walk.nsmap)
    walk.attributes(antwoord, None)
    walk.stray_text(antwoord.text, "")
    data_tag = allowlist.tag(allowlist.root.name)
    empty_tags = {allowlist.tag(name) for name in _EMPTY_ANSWERS}
    for child in antwoord:
        if child.tag == data_tag:
            walk.element(child, allowlist.root, etree.SubElement(kept, data_tag))
        elif child.tag in empty_tags:
            walk.empty(child, etree.SubElement(kept, child.tag))
        else:
            walk.stripped["*"] += 1
    return walk.result(kept)


def edexml(root: etree._Element, allowlist: Allowlist) -> FilteredXML:
    """An EDEXML export (root ``EDEX``) filtered by ``allowlist``; ``root`` is not changed."""
    if root.tag != allowlist.tag(allowlist.root.name):
        raise UnexpectedDocument("not an EDEXML export for this allowlist")
    walk = _Walk(allowlist)
    kept = etree.Element(root.tag, nsmap=walk.nsmap)
    walk.element(root, allowlist.root, kept)
    return walk.result(kept)


def serialise(element: etree._Element) -> bytes:
    """``element`` as a UTF-8 document with an XML declaration."""
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8")


class _Walk:
    """One filtering pass: it copies what is allowed into a new tree and counts the rest.

    Copying what is kept, rather than deleting from a copy of the whole, touches each stripped
    element once and builds nothing for it (docs/xml.md has the numbers).
    """

    def __init__(self, allowlist: Allowlist) -> None:
        self.allowlist = allowlist
        self.stripped: Counter[str] = Counter()
        self.forwarded: set[str] = set()
        self.keys: list[str] = []
        self.records = 0
        self.nsmap: dict[str | None, str] = {}
        if allowlist.namespace:
            self.nsmap[None] = allowlist.namespace
        if allowlist.has_blocks:
            self.nsmap["xsi"] = XSI
        pupils = allowlist.root.children.get(allowlist.tag("leerlingen"))
        self.pupil = pupils.children.get(allowlist.tag("leerling")) if pupils else None
        self.blok_tag = allowlist.tag("blok")

    def element(self, source: etree._Element, node: Node, out: etree._Element) -> None:
        """Copy into ``out`` (made for ``source``) what ``node`` allows of ``source``."""
        attributes = self.attributes(source, node)
        if attributes:
            out.attrib.update(attributes)
        if node is self.pupil:
            self.records += 1
            key = attributes.get("eckid") if self.allowlist.eckid_is_key else None
            key = key or attributes.get("key")
            if key is not None:
                self.keys.append(key)
        if node.text:
            out.text = source.text
            if len(source):  # elements inside a value: not EDEXML, and not forwarded
                self.stripped[node.unknown_child] += len(source)
            self.forwarded.add(node.path)
            return
        self.stray_text(source.text, node.path)
        children = node.children
        stripped = self.stripped
        forwarded = self.forwarded
        for child in source:
            tag = child.tag
            sub = children.get(tag) if isinstance(tag, str) else None
            if sub is None or not sub.allowed:
                stripped[sub.path if sub is not None else node.unknown_child] += 1
                continue
            tail = child.tail
            if tail is not None and not tail.isspace():
                stripped[node.path + "/text()" if node.path else "text()"] += 1
            if sub.text and not child.attrib and not len(child):
                # Most elements are plain values: copied here, without a call per element.
                etree.SubElement(out, tag).text = child.text
                forwarded.add(sub.path)
            elif sub.blocks:
                self.toevoegingen(child, sub, out)
            else:
                self.element(child, sub, etree.SubElement(out, tag))
        if not children:
            self.forwarded.add(node.path)  # an element of attributes only, like groep@key

    def toevoegingen(self, source: etree._Element, node: Node, parent: etree._Element) -> None:
        """Copy the vendor blocks ``node`` names by their ``xsi:type``; count the rest."""
        self.attributes(source, node)
        out = etree.SubElement(parent, source.tag)
        for child in source:
            block = node.blocks.get(_type_name(child)) if child.tag == self.blok_tag else None
            if block is None:
                self.stripped[
                    node.path + "/blok" if child.tag == self.blok_tag else node.unknown_child
                ] += 1
                continue
            prefix = (child.get(_XSI_TYPE) or "").strip().rpartition(":")[0]
            nsmap = {prefix: child.nsmap[prefix]} if prefix else None
            self.element(child, block, etree.SubElement(out, child.tag, nsmap=nsmap))
        if len(out) == 0:
            parent.remove(out)  # every block stripped: no empty toevoegingen either

    def empty(self, source: etree._Element, out: etree._Element) -> None:
        """A ``geenwijzigingen``/``geengegevens`` answer: nothing inside it is copied."""
        self.attributes(source, None)
        self.stray_text(source.text, "")
        self.stripped["*"] += len(source)

    def attributes(self, source: etree._Element, node: Node | None) -> dict[str, str]:
        """The attributes of ``source`` that ``node`` allows; the others counted."""
        names = source.keys()
        if not names:
            return {}
        kept: dict[str, str] = {}
        for name in names:
            if node is not None and node.attributes.get(name):
                kept[name] = source.get(name) or ""
                self.forwarded.add(node.attribute_paths[name])
            elif node is not None and name in node.attribute_paths:
                self.stripped[node.attribute_paths[name]] += 1
            elif name in _XSI_ATTRIBUTES:
                path = node.path if node is not None else ""
                label = _XSI_ATTRIBUTES[name]
                self.stripped[f"{path}/{label}" if path else label] += 1
            else:
                self.stripped[node.unknown_attribute if node is not None else "@*"] += 1
        return kept

    def stray_text(self, text: str | None, path: str) -> None:
        """Text where an element holds only elements is data too: counted, never copied."""
        if text is not None and not text.isspace():
            self.stripped[f"{path}/text()" if path else "text()"] += 1

    def result(self, kept: etree._Element) -> FilteredXML:
        return FilteredXML(
            document=kept,
            forwarded=frozenset(self.forwarded),
            stripped=dict(self.stripped),
            records=self.records,
            pupil_keys=tuple(self.keys),
        )


def _type_name(element: etree._Element) -> str:
    """An element's ``xsi:type`` in Clark notation (the prefix resolved), or ""."""
    value = (element.get(_XSI_TYPE) or "").strip()
    prefix, _, local = value.rpartition(":")
    namespace = element.nsmap.get(prefix or None)
    return f"{{{namespace}}}{local}" if namespace else local


def validate(element: etree._Element, schema: etree.XMLSchema, allowlist: Allowlist) -> Validity:
    """Whether ``element`` satisfies ``schema``; the first error's kind, line and path if not.

    ``element`` is the root the schema describes (``leerlinggegevens_antwoord`` for a UWLR
    profile, ``EDEX`` for EDEXML); ``allowlist`` names the elements on the path.
    """
    if schema.validate(element):
        return Validity(valid=True)
    log = schema.error_log
    first = log[0]
    return Validity(
        valid=False,
        errors=len(log),
        kind=first.type_name,
        line=first.line or None,
        path=_located(element, first.path, allowlist),
    )


def _located(root: etree._Element, error_path: str | None, allowlist: Allowlist) -> str | None:
    """libxml2's path of an error (``/*/*/*[2]/*[3]``) in our notation, names from the allowlist.

    Steps are followed by position in the validated tree; an element the allowlist does not
    know is written ``*``, so no name a sender chose is repeated.
    """
    if not error_path or not error_path.startswith("/"):
        return None
    steps = error_path.split("/")[2:]  # "", then the root itself
    element = root
    node: Node | None = allowlist.root if root.tag == allowlist.tag(allowlist.root.name) else None
    parts: list[str] = []
    for step in steps:
        name, _, index = step.partition("[")
        position = int(index.rstrip("]")) if index else 1
        local = name.rpartition(":")[2]
        candidates = [
            child
            for child in element
            if isinstance(child.tag, str)
            and (local == "*" or etree.QName(child).localname == local)
        ]
        if not 0 < position <= len(candidates):
            return "/".join(parts) or None
        element = candidates[position - 1]
        if node is None:  # above the data root: the antwoord's child is the data root
            node = allowlist.root if element.tag == allowlist.tag(allowlist.root.name) else _UNKNOWN
            if node is _UNKNOWN:
                parts.append("*")
            continue
        tag = element.tag
        child_node = node.children.get(tag) if isinstance(tag, str) else None
        if child_node is None or not isinstance(tag, str):
            parts.append("*")
            node = _UNKNOWN
            continue
        same = [sibling for sibling in element.itersiblings(preceding=True) if sibling.tag == tag]
        later = any(True for _ in element.itersiblings(tag))
        label = child_node.name
        if same or later:
            label += f"[{len(same) + 1}]"
        parts.append(label)
        node = child_node
    return "/".join(parts)


_UNKNOWN = Node(name="*", path="*", allowed=False, text=False, attributes={}, children={})
