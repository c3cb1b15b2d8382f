"""SOAP 1.1 envelopes of UWLR 2.x HaalLeerlinggegevens (UWLR_Leerlinggegevens_v2p2.wsdl).

The supplier asks the LAS with a ``leerlinggegevens_verzoek`` (school year, BRIN or school key,
``xsdversie``) under an ``aut:autorisatie`` SOAP header (``autorisatiesleutel``, ``klantcode``,
``klantnaam``); the LAS answers with a ``leerlinggegevens_antwoord``, which holds the pupil
data. ``envelope(data)`` parses either safely, ``request(envelope)`` reads a request's
parameters, ``payload(envelope)`` gives the one element in the Body, ``response(antwoord)``
wraps a (filtered) answer in a new envelope and ``fault(code, transfer_id)`` builds a SOAP 1.1
Fault.

A new envelope is built for every answer rather than the LAS's envelope reused: nothing of what
the LAS put around the body (headers, attributes, namespace declarations) goes out with it.

Fault codes: the WSDL declares no fault for HaalLeerlinggegevens and no schema lists codes;
UWLR's codes (``Client.AutorisatieOngeldig`` and the rest of ``FaultCode``) are those of the
reference implementation of the standard (takirchjunger/uwlr-client-server, ``FaultType.java``,
"zoals gespecificeerd in de UWLR afspraak"), which writes them unqualified as the whole
``faultcode``, and so does this module. Fault strings are that implementation's fixed Dutch
texts: never anything a caller or the document said.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from lxml import etree

from gateway.formats import xml_safe

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
LEERLINGGEGEVENS = "http://www.edustandaard.nl/leerresultaten/2/leerlinggegevens"
AUTORISATIE = "http://www.edustandaard.nl/leerresultaten/2/autorisatie"
POORTWACHTER = "urn:poortwachter:soap:1"  # our fault detail, never confused with UWLR's own

HAAL_LEERLINGGEGEVENS = "HaalLeerlinggegevens"  # the SOAPAction the WSDL binds
_VERZOEK = f"{{{LEERLINGGEGEVENS}}}leerlinggegevens_verzoek"
_ANTWOORD = f"{{{LEERLINGGEGEVENS}}}leerlinggegevens_antwoord"


class FaultCode(Enum):
    """UWLR's fault codes for leerlinggegevens, each with its fixed fault string."""

    INTERNE_FOUT = ("Server.InterneFout", "Er is een interne fout opgetreden")
    TIJDELIJK_NIET_BESCHIKBAAR = (
        "Server.TijdelijkNietBeschikbaar",
        "Server is tijdelijk niet beschikbaar",
    )
    ONGELDIG_BERICHT = ("Client.OngeldigBericht", "Inhoud van het bericht is ongeldig")
    ONGELDIGE_KLANTIDENTIFICATIE = (
        "Client.OngeldigeKlantIdentificatie",
        "Klantidentificatie onjuist",
    )
    AUTORISATIE_ONGELDIG = ("Client.AutorisatieOngeldig", "Autorisatie is ongeldig")
    VOCABULAIRE_TERM_ONGELDIG = ("Client.VocabulaireTermOngeldig", "Vocabulairterm ongeldig")
    XSD_VERSIE_ONGELDIG = ("Client.XsdVersieOngeldig", "De opgegeven XSD-versie is onjuist")
    LEERLING_ONGELDIG = ("Client.LeerlingOngeldig", "Leerling ongeldig")

    @property
    def code(self) -> str:
        return self.value[0]

    @property
    def text(self) -> str:
        return self.value[1]


class SoapError(ValueError):
    """A message that is not the SOAP this module reads; ``fault`` is the answer it deserves.

    The message is ours and fixed; it never quotes the document.
    """

    def __init__(self, message: str, fault: FaultCode = FaultCode.ONGELDIG_BERICHT) -> None:
        self.fault = fault
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class Envelope:
    """A parsed SOAP 1.1 envelope: its header (if any) and the one element in its Body."""

    root: etree._Element
    header: etree._Element | None
    payload: etree._Element


@dataclass(frozen=True, slots=True)
class Autorisatie:
    """The ``aut:autorisatie`` header. The key is a secret: it stays out of ``repr``."""

    autorisatiesleutel: str = field(repr=False)
    klantcode: str
    klantnaam: str


@dataclass(frozen=True, slots=True)
class LeerlinggegevensRequest:
    """The parameters of a HaalLeerlinggegevens request (``gVerzoekBasis``)."""

    autorisatie: Autorisatie
    schooljaar: str
    xsdversie: str
    brincode: str | None = None
    dependancecode: str | None = None
    schoolkey: str | None = None
    gegevenssetid: str | None = None
    laatstontvangengegevens: str | None = None


def envelope(data: bytes, limits: xml_safe.Limits = xml_safe.DEFAULT_LIMITS) -> Envelope:
    """``data`` parsed as a SOAP 1.1 envelope; ``XMLRefused`` or ``SoapError`` when it is not."""
    root = xml_safe.parse(data, limits)
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise SoapError("not a SOAP 1.1 envelope")
    header = None
    body = None
    for child in root:
        if child.tag == f"{{{SOAP_ENV}}}Header" and header is None and body is None:
            header = child
        elif child.tag == f"{{{SOAP_ENV}}}Body" and body is None:
            body = child
        else:
            raise SoapError("a SOAP envelope holds a Header, then a Body, and nothing else")
    if body is None:
        raise SoapError("the SOAP envelope has no Body")
    elements = [child for child in body if isinstance(child.tag, str)]
    if len(elements) != 1:
        raise SoapError("the SOAP Body must hold exactly one element")
    return Envelope(root=root, header=header, payload=elements[0])


def is_fault(message: Envelope) -> bool:
    return message.payload.tag == f"{{{SOAP_ENV}}}Fault"


def request(message: Envelope) -> LeerlinggegevensRequest:
    """The parameters of a HaalLeerlinggegevens request, in whatever order they came."""
    if message.payload.tag != _VERZOEK:
        raise SoapError("not a leerlinggegevens_verzoek")
    values = _fields(message.payload, LEERLINGGEGEVENS)
    for required in ("schooljaar", "xsdversie"):
        if not values.get(required):
            raise SoapError(f"the request has no {required}")
    if not values.get("brincode") and not values.get("schoolkey"):
        raise SoapError("the request names no school (brincode or schoolkey)")
    return LeerlinggegevensRequest(
        autorisatie=_autorisatie(message.header),
        schooljaar=values["schooljaar"],
        xsdversie=values["xsdversie"],
        brincode=values.get("brincode"),
        dependancecode=values.get("dependancecode"),
        schoolkey=values.get("schoolkey"),
        gegevenssetid=values.get("gegevenssetid"),
        laatstontvangengegevens=values.get("laatstontvangengegevens"),
    )


def _autorisatie(header: etree._Element | None) -> Autorisatie:
    found = None
    if header is not None:
        found = [child for child in header if child.tag == f"{{{AUTORISATIE}}}autorisatie"]
    if not found or len(found) != 1:
        raise SoapError("no autorisatie header", FaultCode.AUTORISATIE_ONGELDIG)
    values = _fields(found[0], AUTORISATIE)
    for name in ("autorisatiesleutel", "klantcode", "klantnaam"):
        if not values.get(name):
            raise SoapError(f"the autorisatie header has no {name}", FaultCode.AUTORISATIE_ONGELDIG)
    return Autorisatie(values["autorisatiesleutel"], values["klantcode"], values["klantnaam"])


def _fields(parent: etree._Element, namespace: str) -> dict[str, str]:
    """Text of the simple children of ``parent`` in ``namespace``; a name twice is refused."""
    values: dict[str, str] = {}
    for child in parent:
        if not isinstance(child.tag, str):
            continue
        qname = etree.QName(child)
        if qname.namespace != namespace:
            continue
        if qname.localname in values:
            raise SoapError("a request field is given twice")
        values[qname.localname] = (child.text or "").strip()
    return values


def payload(message: Envelope) -> etree._Element:
    """The ``leerlinggegevens_antwoord`` of a response; ``SoapError`` for a fault or other."""
    if is_fault(message):
        raise SoapError("the answer is a SOAP fault", FaultCode.INTERNE_FOUT)
    if message.payload.tag != _ANTWOORD:
        raise SoapError("not a leerlinggegevens_antwoord", FaultCode.INTERNE_FOUT)
    return message.payload


_RESPONSE_START = (
    b"<?xml version='1.0' encoding='UTF-8'?>\n"
    b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
)
_RESPONSE_END = b"</soap:Body></soap:Envelope>"


def response(antwoord: etree._Element) -> bytes:
    """A new SOAP 1.1 envelope with ``antwoord`` as its Body, as UTF-8 bytes.

    The answer is serialised on its own (with the namespace declarations it needs) between a
    fixed start and end, so the filtered tree is neither copied nor moved.
    """
    if antwoord.tag != _ANTWOORD:
        raise SoapError("not a leerlinggegevens_antwoord", FaultCode.INTERNE_FOUT)
    return (
        _RESPONSE_START
        + etree.tostring(antwoord, encoding="UTF-8", xml_declaration=False)
        + _RESPONSE_END
    )


def request_message(params: LeerlinggegevensRequest) -> bytes:
    """A HaalLeerlinggegevens request built from ``params`` alone, in schema order."""
    root = etree.Element(
        f"{{{SOAP_ENV}}}Envelope",
        nsmap={"soap": SOAP_ENV, "aut": AUTORISATIE, "lg": LEERLINGGEGEVENS},
    )
    header = etree.SubElement(root, f"{{{SOAP_ENV}}}Header")
    autorisatie = etree.SubElement(header, f"{{{AUTORISATIE}}}autorisatie")
    for name in ("autorisatiesleutel", "klantcode", "klantnaam"):
        etree.SubElement(autorisatie, f"{{{AUTORISATIE}}}{name}").text = getattr(
            params.autorisatie, name
        )
    body = etree.SubElement(root, f"{{{SOAP_ENV}}}Body")
    verzoek = etree.SubElement(body, _VERZOEK)
    order = ["schooljaar"]
    order += ["brincode", "dependancecode"] if params.brincode else ["schoolkey"]
    order += ["xsdversie", "gegevenssetid", "laatstontvangengegevens"]
    for name in order:
        value = getattr(params, name)
        if value is not None:
            etree.SubElement(verzoek, f"{{{LEERLINGGEGEVENS}}}{name}").text = value
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def fault(code: FaultCode, transfer_id: str | None = None) -> bytes:
    """A SOAP 1.1 Fault with UWLR's ``code`` and its fixed text; the transfer id in ``detail``.

    Sent with HTTP 500, as SOAP 1.1 over HTTP requires for a fault.
    """
    root = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    body = etree.SubElement(root, f"{{{SOAP_ENV}}}Body")
    element = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    # Unqualified children and an unprefixed code, as SOAP 1.1 and UWLR's implementation write them.
    etree.SubElement(element, "faultcode").text = code.code
    etree.SubElement(element, "faultstring").text = code.text
    if transfer_id is not None:
        detail = etree.SubElement(element, "detail")
        etree.SubElement(
            detail, f"{{{POORTWACHTER}}}transferId", nsmap={"pw": POORTWACHTER}
        ).text = transfer_id
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@dataclass(frozen=True, slots=True)
class Fault:
    """A fault read from an answer: UWLR's code if it is one (else None), and our transfer id.

    The fault string and an unknown code are the sender's text and are not kept.
    """

    code: FaultCode | None
    transfer_id: str | None = None


_BY_CODE = {code.code: code for code in FaultCode}


def read_fault(message: Envelope) -> Fault:
    """The UWLR code (prefixed or not) and our transfer id, if any, of a SOAP fault."""
    if not is_fault(message):
        raise SoapError("not a SOAP fault")
    written = (message.payload.findtext("faultcode") or "").strip().rpartition(":")[2]
    transfer_id = message.payload.findtext(f"detail/{{{POORTWACHTER}}}transferId")
    return Fault(code=_BY_CODE.get(written), transfer_id=transfer_id)
