"""Unit tests for gateway.formats.soap: UWLR HaalLeerlinggegevens envelopes, answers and faults."""

from __future__ import annotations

import pytest
from lxml import etree

from gateway.formats import soap, uwlr_samples, xml_filter, xml_profile, xml_safe
from gateway.formats.xml_profile import Profiles

from .conftest import ROOT

SCHEMAS = ROOT / "schemas" / "uwlr" / "2.2" / "Schemas"
SOAP_ENV = soap.SOAP_ENV
AUT = soap.AUTORISATIE
LG = soap.LEERLINGGEGEVENS


@pytest.fixture(scope="module")
def envelope_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "SOAP_Envelope.xsd")))


@pytest.fixture(scope="module")
def uwlr_schema() -> etree.XMLSchema:
    return xml_profile.compiled_schema(SCHEMAS / "UWLR_Leerlinggegevens_v2p2.xsd")


def test_request_parameters_are_read() -> None:
    """Every parameter of a HaalLeerlinggegevens request and its autorisatie header is read."""
    data = uwlr_samples.request(laatstontvangengegevens="2024-10-01T00:00:00")
    params = soap.request(soap.envelope(data))
    assert params.schooljaar == "2024-2025"
    assert params.brincode == "99XX"
    assert params.dependancecode == "00"
    assert params.xsdversie == "2.2"
    assert params.laatstontvangengegevens == "2024-10-01T00:00:00"
    assert params.autorisatie.klantcode == "UITGEVER-01"
    assert params.autorisatie.klantnaam == "Voorbeelduitgever"
    assert params.autorisatie.autorisatiesleutel == "sleutel-voorbeeld-0001"
    assert "sleutel-voorbeeld-0001" not in repr(params)


def test_request_fields_in_any_order_are_read() -> None:
    """Request fields out of schema order are read all the same."""
    root = etree.fromstring(uwlr_samples.request())
    verzoek = root.find(f"{{{SOAP_ENV}}}Body/{{{LG}}}leerlinggegevens_verzoek")
    assert verzoek is not None
    verzoek[:] = list(reversed(verzoek))
    params = soap.request(soap.envelope(etree.tostring(root)))
    assert (params.brincode, params.xsdversie) == ("99XX", "2.2")


def test_built_request_round_trips_and_validates(uwlr_schema: etree.XMLSchema) -> None:
    """A request built from parameters reads back the same and satisfies the UWLR schema."""
    params = soap.request(soap.envelope(uwlr_samples.request()))
    rebuilt = soap.envelope(soap.request_message(params))
    assert soap.request(rebuilt) == params
    assert uwlr_schema.validate(rebuilt.payload), uwlr_schema.error_log


@pytest.mark.parametrize("missing", ["autorisatiesleutel", "klantcode", "klantnaam"])
def test_incomplete_autorisatie_is_autorisatie_ongeldig(missing: str) -> None:
    """A header lacking one of its three fields gives Client.AutorisatieOngeldig."""
    root = etree.fromstring(uwlr_samples.request())
    field = root.find(f".//{{{AUT}}}{missing}")
    assert field is not None
    field.getparent().remove(field)  # type: ignore[union-attr]
    with pytest.raises(soap.SoapError) as caught:
        soap.request(soap.envelope(etree.tostring(root)))
    assert caught.value.fault is soap.FaultCode.AUTORISATIE_ONGELDIG


def test_request_without_header_is_autorisatie_ongeldig() -> None:
    """A request with no SOAP header at all gives Client.AutorisatieOngeldig."""
    root = etree.fromstring(uwlr_samples.request())
    root.remove(root[0])
    with pytest.raises(soap.SoapError) as caught:
        soap.request(soap.envelope(etree.tostring(root)))
    assert caught.value.fault is soap.FaultCode.AUTORISATIE_ONGELDIG


def test_request_without_school_is_ongeldig_bericht() -> None:
    """A request naming no school is an invalid message, and the error quotes nothing."""
    root = etree.fromstring(uwlr_samples.request(brincode="99XX", dependancecode=None))
    brin = root.find(f".//{{{LG}}}brincode")
    assert brin is not None
    brin.getparent().remove(brin)  # type: ignore[union-attr]
    with pytest.raises(soap.SoapError) as caught:
        soap.request(soap.envelope(etree.tostring(root)))
    assert caught.value.fault is soap.FaultCode.ONGELDIG_BERICHT


@pytest.mark.parametrize(
    "data",
    [
        b"<leerlinggegevens_verzoek/>",
        f'<s:Envelope xmlns:s="{SOAP_ENV}"/>'.encode(),
        f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body/></s:Envelope>'.encode(),
        f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body><a/><b/></s:Body></s:Envelope>'.encode(),
        f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body><a/></s:Body><s:Header/></s:Envelope>'.encode(),
    ],
)
def test_not_an_envelope_is_refused(data: bytes) -> None:
    """Anything but Header?, Body with one element is refused as not our SOAP."""
    with pytest.raises(soap.SoapError):
        soap.envelope(data)


def test_envelope_parsing_is_safe() -> None:
    """An envelope with a DOCTYPE is refused by the safe parser, before SOAP is looked at."""
    with pytest.raises(xml_safe.XMLRefused):
        soap.envelope(b'<!DOCTYPE x [<!ENTITY e "x">]><x>&e;</x>')


def test_filtered_answer_goes_out_in_a_fresh_envelope(profiles: Profiles) -> None:
    """The LAS's header and envelope attributes do not leave; the filtered answer does."""
    root = etree.fromstring(uwlr_samples.response(3))
    header = etree.Element(f"{{{SOAP_ENV}}}Header")
    etree.SubElement(header, "{urn:las}intern").text = "Jansen"
    root.insert(0, header)
    root.set("{urn:las}trace", "Jansen")
    message = soap.envelope(etree.tostring(root))
    profile = profiles.get("2.2", "smalle-set")
    result = xml_filter.response(soap.payload(message), profile.uwlr)
    out = soap.response(result.document)
    assert b"Jansen" not in out and b"urn:las" not in out
    again = soap.envelope(out)
    assert again.header is None
    assert not again.root.attrib
    assert len(soap.payload(again).findall(f".//{{{LG}}}leerling")) == 3
    assert xml_filter.validate(soap.payload(again), profile.schema(), profile.uwlr).valid


def test_a_fault_answer_is_not_a_payload() -> None:
    """An LAS answering with a fault has no leerlinggegevens to filter."""
    message = soap.envelope(soap.fault(soap.FaultCode.TIJDELIJK_NIET_BESCHIKBAAR))
    assert soap.is_fault(message)
    with pytest.raises(soap.SoapError):
        soap.payload(message)


@pytest.mark.parametrize("code", list(soap.FaultCode))
def test_faults_are_soap_11_with_fixed_texts(
    code: soap.FaultCode, envelope_schema: etree.XMLSchema
) -> None:
    """Each fault is a valid SOAP 1.1 Fault with UWLR's code and text and the transfer id."""
    data = soap.fault(code, transfer_id="0d9c6f3e-1111-4222-8333-944455556666")
    root = etree.fromstring(data)
    assert envelope_schema.validate(root), envelope_schema.error_log
    assert root.findtext(f".//{{{SOAP_ENV}}}Fault/faultcode") == code.code
    assert root.findtext(f".//{{{SOAP_ENV}}}Fault/faultstring") == code.text
    read = soap.read_fault(soap.envelope(data))
    assert read == soap.Fault(code, "0d9c6f3e-1111-4222-8333-944455556666")


def test_fault_codes_are_the_uwlr_ones() -> None:
    """The codes are UWLR's dotted Client./Server. codes, each once."""
    codes = [code.code for code in soap.FaultCode]
    assert "Client.AutorisatieOngeldig" in codes and "Server.InterneFout" in codes
    assert all(c.split(".")[0] in ("Client", "Server") for c in codes)
    assert len(set(codes)) == len(codes)


def test_read_fault_accepts_a_prefixed_code_and_drops_unknown_ones() -> None:
    """soap:Client.AutorisatieOngeldig reads as the UWLR code; an unknown code as None."""
    template = (
        f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body><s:Fault>'
        "<faultcode>{code}</faultcode><faultstring>Jansen</faultstring>"
        "</s:Fault></s:Body></s:Envelope>"
    )
    prefixed = soap.envelope(template.format(code="s:Client.AutorisatieOngeldig").encode())
    assert soap.read_fault(prefixed).code is soap.FaultCode.AUTORISATIE_ONGELDIG
    unknown = soap.envelope(template.format(code="s:Client.Jansen").encode())
    assert soap.read_fault(unknown) == soap.Fault(None, None)


def test_fault_without_transfer_id_has_no_detail() -> None:
    """Without a transfer id the fault carries no detail element."""
    root = etree.fromstring(soap.fault(soap.FaultCode.INTERNE_FOUT))
    assert root.find(f".//{{{SOAP_ENV}}}Fault/detail") is None
