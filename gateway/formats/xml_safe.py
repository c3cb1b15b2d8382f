"""Parsing XML that nobody vouches for: no DTD, no entities, no network, bounded in every way.

``parse(data, limits)`` gives the root element of a document, or raises ``XMLRefused``, the one
exception of this module. Its ``reason`` is one of the fixed ``Refusal`` values; neither the
reason, the message nor the exception's context ever quotes the document (libxml2's messages
do, so they are never passed on).

How: lxml (libxml2) with entity resolution, DTD loading and the network off and libxml2's own
"huge" limits left on. That alone is not enough: libxml2 still reads an internal DTD subset and
expands its internal entities inside attribute values even with ``resolve_entities=False``. So
a document is refused *before* libxml2 sees it when its prolog holds anything but the XML
declaration, comments and processing instructions (a DOCTYPE, in particular), and when it
declares an encoding in which that check could be fooled (only UTF-8 and single-byte encodings
that keep ASCII as ASCII are read). After parsing, depth, text and attribute lengths are checked
against ``Limits``; comments and processing instructions are dropped by the parser.
See docs/xml.md for the measurements behind choosing lxml over defusedxml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from lxml import etree


class Refusal(StrEnum):
    """Why a document was refused; the only text about a refused document that is ever shown."""

    DOCTYPE = "doctype"  # a DOCTYPE (or any other markup declaration) in the prolog
    ENCODING = "encoding"  # a declared or detected encoding the prolog check cannot read
    ENTITY = "entity"  # a reference to an entity that is not one of XML's five
    TOO_LARGE = "too-large"  # more bytes than Limits.max_bytes
    TOO_DEEP = "too-deep"  # elements nested deeper than Limits.max_depth
    TEXT_TOO_LONG = "text-too-long"  # a text node longer than Limits.max_text_chars
    ATTRIBUTE_TOO_LONG = "attribute-too-long"  # an attribute longer than max_attribute_chars
    MALFORMED = "malformed"  # not well-formed XML


_MESSAGES = {
    Refusal.DOCTYPE: "a DOCTYPE or other markup declaration is not accepted",
    Refusal.ENCODING: "only UTF-8 and ASCII-compatible single-byte encodings are accepted",
    Refusal.ENTITY: "entity references other than XML's predefined five are not accepted",
    Refusal.TOO_LARGE: "the document is larger than allowed",
    Refusal.TOO_DEEP: "elements are nested deeper than allowed",
    Refusal.TEXT_TOO_LONG: "a text node is longer than allowed",
    Refusal.ATTRIBUTE_TOO_LONG: "an attribute value is longer than allowed",
    Refusal.MALFORMED: "the document is not well-formed XML",
}


class XMLRefused(ValueError):
    """An XML document that is not parsed; ``reason`` says why, in words of our own."""

    def __init__(self, reason: Refusal) -> None:
        self.reason = reason
        super().__init__(f"XML refused: {_MESSAGES[reason]}")


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on one document. The defaults leave room for a large school's UWLR response.

    UWLR nests at most 9 deep inside a SOAP envelope (Envelope/Body/antwoord/leerlinggegevens/
    leerkrachten/leerkracht/groepen/groep/rol); EDEXML's longest fields are 256 characters, but
    ``commentaar`` and vendor blocks are free text, hence the generous text bound.
    """

    max_bytes: int = 64 * 1024 * 1024
    max_depth: int = 32
    max_text_chars: int = 64 * 1024
    max_attribute_chars: int = 4096


DEFAULT_LIMITS = Limits()

# Encodings in which every byte below 0x80 means its ASCII character, so that the byte-level
# prolog check sees what libxml2 will see. Anything else (UTF-16, UTF-7, EBCDIC...) is refused.
_ASCII_COMPATIBLE = frozenset(
    {
        "utf-8",
        "utf8",
        "us-ascii",
        "ascii",
        "iso-8859-1",
        "latin1",
        "iso-8859-15",
        "windows-1252",
        "cp1252",
    }
)
_BOM_UTF8 = b"\xef\xbb\xbf"
_WIDE_STARTS = (b"\xfe\xff", b"\xff\xfe", b"\x00\x00", b"\x00<", b"<\x00", b"\x4c\x6f\xa7\x94")
_DECLARATION = re.compile(rb"<\?xml[ \t\r\n][^>]*?\?>")
_ENCODING = re.compile(rb"""encoding[ \t\r\n]*=[ \t\r\n]*(?:"([^"]*)"|'([^']*)')""")
_WHITESPACE = b" \t\r\n"


def parse(data: bytes, limits: Limits = DEFAULT_LIMITS) -> etree._Element:
    """The root element of ``data``, parsed with everything dangerous off and within ``limits``."""
    if len(data) > limits.max_bytes:
        raise XMLRefused(Refusal.TOO_LARGE)
    _check_prolog(data)
    parser = etree.XMLParser(  # one per call: a parser's error log outlives its parse
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        # The parser's own log: the exception's log is the thread's, with earlier parses in it.
        raise XMLRefused(_syntax_refusal(parser.error_log)) from None
    if root is None:
        raise XMLRefused(Refusal.MALFORMED)
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise XMLRefused(Refusal.DOCTYPE)  # cannot happen past _check_prolog; kept as a fuse
    _check_limits(root, limits)
    return root


def _check_prolog(data: bytes) -> None:
    """Refuse a prolog with anything but the XML declaration, comments and PIs in it."""
    if data.startswith(_BOM_UTF8):
        position = len(_BOM_UTF8)
    elif data.startswith(_WIDE_STARTS):
        raise XMLRefused(Refusal.ENCODING)
    else:
        position = 0
    declaration = _DECLARATION.match(data, position)
    if declaration is not None:
        encoding = _ENCODING.search(declaration.group())
        if encoding is not None:
            name = (encoding.group(1) or encoding.group(2) or b"").decode("ascii", "replace")
            if name.strip().lower() not in _ASCII_COMPATIBLE:
                raise XMLRefused(Refusal.ENCODING)
        position = declaration.end()
    size = len(data)
    while position < size:
        byte = data[position]
        if byte in _WHITESPACE:
            position += 1
        elif data.startswith(b"<!--", position):
            end = data.find(b"-->", position + 4)
            if end < 0:
                raise XMLRefused(Refusal.MALFORMED)
            position = end + 3
        elif data.startswith(b"<?", position):
            end = data.find(b"?>", position + 2)
            if end < 0:
                raise XMLRefused(Refusal.MALFORMED)
            position = end + 2
        elif data.startswith(b"<!", position):
            raise XMLRefused(Refusal.DOCTYPE)
        else:
            return  # the root element's start tag, or something libxml2 will call malformed


def _syntax_refusal(log: etree._ListErrorLog) -> Refusal:
    """Our reason for libxml2's complaint; its message is read here and never passed on."""
    for entry in log:
        if entry.type_name in ("ERR_UNDECLARED_ENTITY", "WAR_UNDECLARED_ENTITY"):
            return Refusal.ENTITY
        if entry.type_name == "ERR_RESOURCE_LIMIT" and "depth" in entry.message:
            return Refusal.TOO_DEEP
        if entry.type_name in ("ERR_RESOURCE_LIMIT", "ERR_NAME_TOO_LONG"):
            return Refusal.TOO_LARGE
    return Refusal.MALFORMED


def _check_limits(root: etree._Element, limits: Limits) -> None:
    # XPath runs these scans in C: about 2.5x cheaper than walking the tree in Python (docs/xml.md).
    deeper = "/*" * (limits.max_depth + 1)
    if root.xpath(f"boolean({deeper})"):
        raise XMLRefused(Refusal.TOO_DEEP)
    if root.xpath(f"boolean(//text()[string-length() > {limits.max_text_chars}])"):
        raise XMLRefused(Refusal.TEXT_TOO_LONG)
    if root.xpath(f"boolean(//@*[string-length() > {limits.max_attribute_chars}])"):
        raise XMLRefused(Refusal.ATTRIBUTE_TOO_LONG)
