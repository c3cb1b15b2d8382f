"""Unit tests for gateway.formats.xml_safe: what it parses, what it refuses and how it says so."""

from __future__ import annotations

import pytest

from gateway.formats import uwlr_samples
from gateway.formats.xml_safe import DEFAULT_LIMITS, Limits, Refusal, XMLRefused, parse

SECRET = "Jansen-999999990"  # stands for pupil data that must never surface in an error


def refused(data: bytes, limits: Limits = DEFAULT_LIMITS) -> XMLRefused:
    with pytest.raises(XMLRefused) as caught:
        parse(data, limits)
    return caught.value


def assert_quiet(error: XMLRefused) -> None:
    """Neither the message nor the chained context repeats anything from the document."""
    assert SECRET not in str(error)
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def test_a_uwlr_response_parses() -> None:
    """A realistic SOAP response parses to its envelope, with every pupil in it."""
    root = parse(uwlr_samples.response(25))
    assert root.tag == f"{{{uwlr_samples.SOAP_ENV}}}Envelope"
    pupils = root.findall(f".//{{{uwlr_samples.LEERLINGGEGEVENS}}}leerling")
    assert len(pupils) == 25


def test_edustandaard_example_parses_without_comments() -> None:
    """Edustandaard's example export parses; its prolog comments are accepted and dropped."""
    from pathlib import Path

    data = (Path(__file__).parent.parent / "fixtures/edexml/EDEXML.Voorbeeld.2.1.xml").read_bytes()
    root = parse(data)
    assert root.tag == "EDEX"
    assert root.getprevious() is None  # the comments before the root are gone


def test_billion_laughs_is_refused() -> None:
    """The classic entity bomb (in text and in an attribute) is refused as a DOCTYPE."""
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "' + SECRET.encode() + b'">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
        b"]><lolz a='&lol3;'>&lol3;</lolz>"
    )
    error = refused(bomb)
    assert error.reason is Refusal.DOCTYPE
    assert_quiet(error)


def test_external_entity_file_is_refused() -> None:
    """An external entity naming /etc/passwd is refused; nothing of the file is read."""
    error = refused(
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"<leerling>&xxe;</leerling>"
    )
    assert error.reason is Refusal.DOCTYPE
    assert "root:" not in str(error)


def test_external_dtd_is_refused() -> None:
    """A DOCTYPE pointing at an external DTD over the network is refused."""
    error = refused(b'<!DOCTYPE EDEX SYSTEM "http://example.invalid/edex.dtd"><EDEX/>')
    assert error.reason is Refusal.DOCTYPE


def test_parameter_entities_are_refused() -> None:
    """Parameter entities (the out-of-band exfiltration trick) are refused with the DOCTYPE."""
    error = refused(
        b'<!DOCTYPE x [<!ENTITY % remote SYSTEM "http://example.invalid/x.dtd"> %remote;]><x/>'
    )
    assert error.reason is Refusal.DOCTYPE


def test_doctype_after_comments_and_pis_is_still_found() -> None:
    """Comments and processing instructions in the prolog do not hide a DOCTYPE."""
    error = refused(b"<?xml version='1.0'?>\n<!-- a -->\n<?pi x?>\n<!DOCTYPE x []><x/>")
    assert error.reason is Refusal.DOCTYPE


def test_utf8_bom_does_not_hide_a_doctype() -> None:
    """A byte order mark before the DOCTYPE does not hide it."""
    assert refused(b"\xef\xbb\xbf<!DOCTYPE x []><x/>").reason is Refusal.DOCTYPE


@pytest.mark.parametrize(
    "data",
    [
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x []><x/>'.encode("utf-16"),
        b'<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE x +AFs-+AF0-+AD4-<x/>',
        b'<?xml version="1.0" encoding="UTF-16"?><x/>',
    ],
)
def test_encodings_the_prolog_check_cannot_read_are_refused(data: bytes) -> None:
    """UTF-16 and UTF-7 could hide a DOCTYPE from a byte-level check, so they are refused."""
    assert refused(data).reason is Refusal.ENCODING


def test_latin1_is_read() -> None:
    """A single-byte encoding that keeps ASCII as ASCII is read, and decoded right."""
    root = parse('<?xml version="1.0" encoding="ISO-8859-1"?><n>Ismaël</n>'.encode("latin-1"))
    assert root.text == "Ismaël"


def test_undeclared_entity_is_refused() -> None:
    """Without a DTD an entity reference other than XML's five is an error, not text."""
    error = refused(b"<leerling>&" + b"secret;</leerling>")
    assert error.reason is Refusal.ENTITY


def test_predefined_entities_and_character_references_are_text() -> None:
    """&amp;, &lt; and character references are ordinary text."""
    assert parse(b"<a>van &amp; tot &#233;&lt;</a>").text == "van & tot é<"


def test_deep_nesting_is_refused() -> None:
    """Elements nested deeper than the limit are refused, far below libxml2's own bound."""
    data = b"<a>" * 40 + b"</a>" * 40
    assert refused(data, Limits(max_depth=32)).reason is Refusal.TOO_DEEP
    parse(b"<a>" * 32 + b"</a>" * 32, Limits(max_depth=32))  # at the limit: fine


def test_very_deep_nesting_is_refused_by_libxml2_as_too_deep() -> None:
    """Nesting beyond libxml2's own limit gives the same reason, not a generic one."""
    assert refused(b"<a>" * 5000 + b"</a>" * 5000).reason is Refusal.TOO_DEEP


def test_huge_text_node_is_refused() -> None:
    """A text node longer than the limit is refused; its text is not in the error."""
    data = b"<a>" + SECRET.encode() * 500 + b"</a>"
    error = refused(data, Limits(max_text_chars=1000))
    assert error.reason is Refusal.TEXT_TOO_LONG
    assert_quiet(error)


def test_huge_attribute_is_refused() -> None:
    """An attribute value longer than the limit is refused."""
    data = b'<leerling key="' + b"k" * 5000 + b'"/>'
    assert refused(data, Limits(max_attribute_chars=4096)).reason is Refusal.ATTRIBUTE_TOO_LONG


def test_oversized_document_is_refused_before_parsing() -> None:
    """A document over max_bytes is refused on its length alone."""
    assert refused(b"<a/>" + b" " * 100, Limits(max_bytes=50)).reason is Refusal.TOO_LARGE


@pytest.mark.parametrize(
    "data",
    [b"", b"not xml", b"<a><b></a>", f"<a>{SECRET}</b>".encode(), b"<a/><b/>"],
)
def test_malformed_documents_are_refused_quietly(data: bytes) -> None:
    """Malformed input is refused as malformed; libxml2's message (which quotes) is dropped."""
    error = refused(data)
    assert error.reason is Refusal.MALFORMED
    assert_quiet(error)


def test_every_refusal_has_a_fixed_message() -> None:
    """Each reason has its own message, and the message names no document content."""
    messages = {str(XMLRefused(reason)) for reason in Refusal}
    assert len(messages) == len(Refusal)
