"""Step 3 for XML: parse safely, filter by the route's profile, validate, serialise, hash.

The XML counterpart of ``work.body_work`` (same ``Worked`` result, so the steps after it are
the JSON ones), used for an EDEXML export pushed through ``/proxy/`` and, through
``document_work``, for the answer a supplier pulls through ``/uwlr/``. Pure functions of bytes:
they run on a body worker's thread when the document is large.

An unsafe document (DTD, entity, odd encoding, beyond the bounds) is refused as
``unsafe-xml``, in the gateway's words; never libxml2's, which quote the document. The filtered
document is validated against the profile's schema: a document that does not validate is
counted in the log (``fields_invalid``: the first error's path, positions left out, under the
kind ``profile``, with libxml2's number of errors) and leaves, unless the contract says
``xml.on_invalid: refuse`` (422 ``invalid-document``, decided in ``filter.enforce``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from lxml import etree

from gateway.evidence import subjects
from gateway.formats import xml_filter, xml_safe
from gateway.formats.filtered import Counts, Filtered
from gateway.formats.xml_profile import LEERLINGGEGEVENS, Allowlist
from gateway.problems import Rejected
from gateway.register.xml_routes import XmlHandling
from gateway.transfer.work import Handover, Worked

MEDIA_TYPES = frozenset({"application/xml", "text/xml"})
XML_MEDIA_TYPE = "application/xml"
PROFILE = "profile"  # the kind under which fields_invalid counts a document invalid for its profile
_POSITIONS = re.compile(r"\[\d+\]")


def require_xml(headers: Mapping[str, str]) -> None:
    """Refuse a body that does not say it is XML (415)."""
    media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type not in MEDIA_TYPES and not (
        media_type.startswith("application/") and media_type.endswith("+xml")
    ):
        raise Rejected(
            415, "unsupported-media-type", "Content-Type must be application/xml or text/xml"
        )


def parsed(data: bytes | bytearray, limits: xml_safe.Limits) -> etree._Element:
    """The document's root, or ``unsafe-xml`` / ``malformed-body`` in the gateway's words."""
    try:
        return xml_safe.parse(bytes(data), limits)
    except xml_safe.XMLRefused as error:
        if error.reason is xml_safe.Refusal.MALFORMED:
            raise Rejected(400, "malformed-body", "the body is not well-formed XML") from None
        raise Rejected(400, "unsafe-xml", str(error)) from None


def limits_for(max_bytes: int) -> xml_safe.Limits:
    """The XML bounds for a gateway taking bodies up to ``max_bytes``."""
    return xml_safe.Limits(max_bytes=min(max_bytes, xml_safe.DEFAULT_LIMITS.max_bytes))


def push_work(
    handed: Handover,
    handling: XmlHandling,
    limits: xml_safe.Limits,
    key: subjects.SubjectKey | None = None,
) -> Worked:
    """An EDEXML export as the route's profile lets it leave (and, given the subject key, the
    pupils it holds for the subject index)."""
    root = parsed(handed.take(), limits)
    try:
        result = xml_filter.edexml(root, handling.allowlist)
    except xml_filter.UnexpectedDocument:
        raise Rejected(400, "malformed-body", "the body must be an EDEXML export (EDEX)") from None
    named = (root.findtext("school/brincode"), root.findtext("school/dependancecode"))
    del root
    body = xml_filter.serialise(result.document)
    invalid = _judged(handling, _as_answer(result.document), handling.profile.uwlr)
    filtered = Filtered(body, result.forwarded, result.stripped, result.records, invalid)
    held = pupils(result, key)
    return Worked(filtered, named, body, hashlib.sha256(body).hexdigest(), held)


def pupils(
    result: xml_filter.FilteredXML, key: subjects.SubjectKey | None
) -> subjects.Subjects | None:
    """The pupils a filtered document holds, for the subject index (None without its key)."""
    if key is None:
        return None
    return subjects.of_pupil_keys(result.pupil_keys, result.forwarded, key)


@dataclass(frozen=True, slots=True)
class Answer:
    """A filtered UWLR answer: the account for the log and the element to wrap in SOAP."""

    filtered: Filtered
    antwoord: etree._Element
    pupils: subjects.Subjects | None = None  # for the subject index


def answer_work(
    antwoord: etree._Element, handling: XmlHandling, key: subjects.SubjectKey | None = None
) -> Answer:
    """A LAS's ``leerlinggegevens_antwoord`` as the route's profile lets it leave."""
    result = xml_filter.response(antwoord, handling.allowlist)
    invalid = _judged(handling, result.document, handling.allowlist)
    # The bytes that leave are the SOAP envelope: the caller wraps, serialises and hashes it.
    account = Filtered(b"", result.forwarded, result.stripped, result.records, invalid)
    return Answer(account, result.document, pupils(result, key))


def _judged(handling: XmlHandling, antwoord: etree._Element, names: Allowlist) -> Counts:
    """``fields_invalid`` for a filtered answer: empty when it validates against the profile.

    ``names`` is the allowlist the answer's tags are written in (to name the error's path).
    Whether an invalid document may leave is decided after, by ``filter.enforce``, so that
    the log shows where it was invalid also when it is refused.
    """
    validity = xml_filter.validate(antwoord, handling.profile.schema(), names)
    if validity.valid:
        return {}
    path = _POSITIONS.sub("", validity.path or "") or "."
    return {path: {PROFILE: max(validity.errors, 1)}}


def _as_answer(edex: etree._Element) -> etree._Element:
    """A filtered export turned into the ``leerlinggegevens_antwoord`` its profile describes.

    An export is the same tree as UWLR's ``leerlinggegevens``, without a namespace: the tree
    was built by the filter and is already serialised, so it is renamed in place.
    """
    for element in edex.iter():
        if isinstance(element.tag, str) and not element.tag.startswith("{"):
            element.tag = f"{{{LEERLINGGEGEVENS}}}{element.tag}"
    edex.tag = f"{{{LEERLINGGEGEVENS}}}leerlinggegevens"
    antwoord = etree.Element(
        f"{{{LEERLINGGEGEVENS}}}leerlinggegevens_antwoord", nsmap={None: LEERLINGGEGEVENS}
    )
    antwoord.append(edex)
    return antwoord
