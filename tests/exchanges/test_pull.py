"""A supplier pulling through a real gateway from a real LAS stand-in on loopback: the answer
carries exactly the profile's elements and attributes, every refusal is a SOAP fault with the
transfer id, the LAS's faults pass as faults, and every attempt is on record."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from lxml import etree

from gateway.access import keys
from gateway.formats import soap, uwlr_samples, xml_profile
from gateway.formats.soap import FaultCode
from gateway.formats.uwlr_samples import Variant
from tests.conftest import ROOT, GatewayFactory, RunningGateway, Upstream
from tests.formats.test_xml_filter import present_paths

from .conftest import ATTACKS, SUPPLIER, Las, example, in_envelope, sources_yaml, suppliers_yaml

PROFILES = xml_profile.load(ROOT / "schemas")
PATH = f"/uwlr/{SUPPLIER}/leerlinggegevens"
LG = f"{{{soap.LEERLINGGEGEVENS}}}"


def this_school_year(today: date | None = None) -> str:
    today = today or date.today()
    first = today.year if today.month >= 8 else today.year - 1
    return f"{first}-{first + 1}"


async def pulling(
    start_gateway: GatewayFactory,
    upstream: Upstream,
    las: Las,
    contract: str = "uwlr-2.2-smalle-set",
    on_invalid: str | None = None,
) -> tuple[RunningGateway, str]:
    """A gateway with the example contract adopted, the LAS configured, and a supplier key."""
    text = example(contract)
    if on_invalid is not None:
        for word in ("flag", "refuse"):
            text = text.replace(f"on_invalid: {word}", f"on_invalid: {on_invalid}")
    gateway: RunningGateway = await start_gateway(
        contracts={"supplier.yaml": text},
        suppliers=suppliers_yaml(upstream.url),
        sources=sources_yaml(las.url),
    )
    key, _ = await keys.create(SUPPLIER, "supplier", ["99XX"])
    return gateway, key


async def pull(
    gateway: RunningGateway, key: str | None, body: bytes, path: str = PATH
) -> httpx.Response:
    headers = {
        "Content-Type": "text/xml; charset=utf-8",
        "SOAPAction": '"HaalLeerlinggegevens"',
    }
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return await gateway.client.post(path, content=body, headers=headers)


def asked(**params: str) -> bytes:
    return uwlr_samples.request(**{"schooljaar": this_school_year(), **params})  # type: ignore[arg-type]


def fault_of(response: httpx.Response) -> soap.Fault:
    assert response.status_code == 500, response.text
    assert response.headers["content-type"].startswith("text/xml")
    fault = soap.read_fault(soap.envelope(response.content))
    assert fault.transfer_id == response.headers["x-transfer-id"]
    return fault


@pytest.mark.parametrize(
    ("contract", "variant", "version"),
    [
        ("uwlr-2.2-smalle-set", Variant(), "2.2"),
        ("uwlr-2.2-smalle-set", Variant(shuffled=True, toevoegingen=True), "2.2"),
        ("uwlr-2.1-smalle-set", Variant(empty=True), "2.1"),
        ("uwlr-2.2-lvs-set", Variant(number="bsn_ondwnr-4"), "2.2"),
        ("uwlr-2.1-lvs-set", Variant(number="bsn_ondwnr-4", shuffled=True), "2.1"),
        ("uwlr-2.3-smalle-set", Variant(toevoegingen=True), "2.3"),
    ],
)
async def test_answer_carries_exactly_the_profile(
    start_gateway: GatewayFactory,
    upstream: Upstream,
    las: Las,
    contract: str,
    variant: Variant,
    version: str,
) -> None:
    """Whatever the LAS sends, in order or not, the supplier gets only its profile's paths."""
    gateway, key = await pulling(start_gateway, upstream, las, contract, on_invalid="flag")
    las.reply = uwlr_samples.response(12, variant)
    response = await pull(gateway, key, asked(xsdversie=version))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    message = soap.envelope(response.content)
    assert message.header is None  # a new envelope: nothing of the LAS's around the answer
    antwoord = soap.payload(message)
    allowlist = PROFILES.by_name[contract].uwlr
    present = present_paths(antwoord, allowlist)
    assert present <= allowlist.allowed_paths()
    assert {"leerlingen/leerling/@key", "leerlingen/leerling/achternaam"} <= present
    for never in ("bsn", "voornamen", "emailadres", "postcodenl", "toevoegingen", "land"):
        assert f"leerlingen/leerling/{never}" not in present
    assert len(antwoord.findall(f"{LG}leerlinggegevens/{LG}leerlingen/{LG}leerling")) == 12
    # the LAS got a request rebuilt from what was read, with the supplier's autorisatie
    ((headers, body),) = las.received
    assert headers["X-Transfer-Id"] == response.headers["x-transfer-id"]
    assert "Authorization" not in headers  # the supplier's gateway key stays here
    rebuilt = soap.request(soap.envelope(body))
    assert rebuilt.autorisatie.autorisatiesleutel == "sleutel-voorbeeld-0001"
    assert (rebuilt.brincode, rebuilt.xsdversie) == ("99XX", version)
    (entry,) = await gateway.transfers()
    assert entry["id"] == response.headers["x-transfer-id"]
    assert (entry["format"], entry["direction"]) == ("xml", "pull")
    assert (entry["supplier"], entry["school"], entry["source_system"]) == (
        SUPPLIER,
        "99XX00",  # the request names dependance 00
        SUPPLIER,
    )
    assert entry["outcome"] in ("forwarded", "pending")  # the outcome is written after the answer
    assert entry["records"] == 12
    assert set(entry["fields_forwarded"]) <= allowlist.allowed_paths()
    assert "leerlingen/leerling/achternaam" in entry["fields_forwarded"]
    number = "bsn_ondwnr-4" if "lvs" in contract else "bsn"
    if number == "bsn":
        assert entry["fields_stripped"]["leerlingen/leerling/bsn"] == 12
    assert entry["fields_stripped"]["leerlingen/leerling/voornamen"] == 12
    assert entry["body_sha256"] is not None


async def test_toevoegingen_stripped_unless_named(
    start_gateway: GatewayFactory, upstream: Upstream, las: Las
) -> None:
    """The LAS's vendor blocks do not leave under a profile that names none; they are counted."""
    gateway, key = await pulling(start_gateway, upstream, las)
    las.reply = uwlr_samples.response(3, Variant(toevoegingen=True))
    response = await pull(gateway, key, asked())
    assert response.status_code == 200, response.text
    assert b"toevoegingen" not in response.content and b"begeleiding" not in response.content
    (entry,) = await gateway.transfers()
    assert entry["fields_stripped"]["leerlingen/leerling/toevoegingen"] == 3


async def test_las_fault_passes_as_a_fault(
    start_gateway: GatewayFactory, upstream: Upstream, las: Las
) -> None:
    """A fault of the LAS reaches the supplier as a fault with its code, not its text."""
    gateway, key = await pulling(start_gateway, upstream, las)
    las.status = 500
    las.reply = (
        b"<?xml version='1.0'?><soap:Envelope xmlns:soap="
        b'"http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>'
        b"<faultcode>soap:Client.LeerlingOngeldig</faultcode>"
        b"<faultstring>Leerling Sanne de Vries onbekend</faultstring>"
        b"</soap:Fault></soap:Body></soap:Envelope>"
    )
    response = await pull(gateway, key, asked())
    assert fault_of(response).code is FaultCode.LEERLING_ONGELDIG
    assert b"Sanne" not in response.content
    (entry,) = await gateway.transfers()
    assert (entry["outcome"], entry["problem"], entry["upstream_status"]) == (
        "upstream_error",
        "las-fault",
        500,
    )
    assert entry["records"] == 0 and entry["fields_forwarded"] == []


@pytest.mark.parametrize(
    ("case", "code", "problem"),
    [
        ("no key", FaultCode.AUTORISATIE_ONGELDIG, "unauthenticated"),
        ("source key", FaultCode.AUTORISATIE_ONGELDIG, "forbidden"),
        ("other supplier's key", FaultCode.AUTORISATIE_ONGELDIG, "forbidden"),
        ("school not in the key", FaultCode.AUTORISATIE_ONGELDIG, "school-not-allowed"),
        ("xsdversie", FaultCode.XSD_VERSIE_ONGELDIG, "bad-xsd-version"),
        ("last year", FaultCode.ONGELDIG_BERICHT, "bad-school-year"),
        ("schooljaar", FaultCode.ONGELDIG_BERICHT, "bad-school-year"),
        ("schoolkey only", FaultCode.ONGELDIG_BERICHT, "missing-school"),
        ("no autorisatie", FaultCode.AUTORISATIE_ONGELDIG, "malformed-body"),
        ("not covered", FaultCode.AUTORISATIE_ONGELDIG, "route-not-covered"),
    ],
)
async def test_refusals_are_faults_and_on_record(
    start_gateway: GatewayFactory,
    upstream: Upstream,
    las: Las,
    case: str,
    code: FaultCode,
    problem: str,
) -> None:
    """Each refusal of the gateway is UWLR's fault with the transfer id; the LAS is not asked."""
    gateway, key = await pulling(start_gateway, upstream, las)
    las.reply = uwlr_samples.response(2)
    body, path, use = asked(), PATH, key
    if case == "no key":
        use = None
    elif case == "source key":
        use = gateway.source_key
    elif case == "other supplier's key":
        use, _ = await keys.create("basispoort", "supplier", ["99XX"])
    elif case == "school not in the key":
        body = asked(brincode="98YY")
    elif case == "xsdversie":
        body = asked(xsdversie="2.1")
    elif case == "last year":
        first = int(this_school_year()[:4]) - 1
        body = asked(schooljaar=f"{first}-{first + 1}")
    elif case == "schooljaar":
        body = asked(schooljaar="2026/2027")
    elif case == "schoolkey only":
        body = asked().replace(b"lg:brincode>99XX</lg:brincode", b"lg:schoolkey>1</lg:schoolkey")
        body = body.replace(b"<lg:dependancecode>00</lg:dependancecode>", b"")
    elif case == "no autorisatie":
        start, end = body.index(b"<soap:Header>"), body.index(b"</soap:Header>")
        body = body[:start] + body[end + len(b"</soap:Header>") :]
    elif case == "not covered":
        path = f"/uwlr/{SUPPLIER}/leerkrachten"
    response = await pull(gateway, use, body, path)
    assert fault_of(response).code is code
    assert las.received == []
    (entry,) = await gateway.transfers()
    assert entry["id"] == response.headers["x-transfer-id"]
    assert entry["problem"] == problem
    assert entry["outcome"] in ("blocked", "rejected")
    assert entry["direction"] == "pull"


@pytest.mark.parametrize("attack", sorted(ATTACKS))
async def test_attacks_in_the_request_are_refused_and_logged(
    start_gateway: GatewayFactory, upstream: Upstream, las: Las, attack: str
) -> None:
    """An unsafe request is a Client.OngeldigBericht fault, on record; the LAS is not asked."""
    gateway, key = await pulling(start_gateway, upstream, las)
    response = await pull(gateway, key, ATTACKS[attack])
    assert fault_of(response).code is FaultCode.ONGELDIG_BERICHT
    assert b"passwd" not in response.content and b"lol" not in response.content
    assert las.received == []
    (entry,) = await gateway.transfers()
    assert (entry["problem"], entry["outcome"]) == ("unsafe-xml", "rejected")


@pytest.mark.parametrize("attack", ["billion-laughs", "external-entity", "huge-text"])
async def test_attacks_in_the_las_answer_leave_nothing(
    start_gateway: GatewayFactory, upstream: Upstream, las: Las, attack: str
) -> None:
    """An unsafe answer from the LAS is not parsed into anything: a fault, on record."""
    gateway, key = await pulling(start_gateway, upstream, las)
    document = ATTACKS[attack]
    las.reply = document if b"DOCTYPE" in document else in_envelope(document)
    response = await pull(gateway, key, asked())
    assert fault_of(response).code is FaultCode.INTERNE_FOUT
    assert b"xxxxxxxx" not in response.content
    (entry,) = await gateway.transfers()
    assert (entry["outcome"], entry["problem"]) == ("upstream_error", "unsafe-xml")
    assert entry["records"] == 0


async def test_answer_about_another_school_leaves_nothing(
    start_gateway: GatewayFactory, upstream: Upstream, las: Las
) -> None:
    """A LAS answering with another school's pupils is blocked: no pupil leaves."""
    gateway, key = await pulling(start_gateway, upstream, las)
    las.reply = uwlr_samples.response(3).replace(b"<brincode>99XX<", b"<brincode>98YY<")
    assert b"98YY" in las.reply
    response = await pull(gateway, key, asked())
    assert fault_of(response).code is FaultCode.INTERNE_FOUT  # the LAS's mistake
    assert b"leerling" not in response.content
    (entry,) = await gateway.transfers()
    assert (entry["outcome"], entry["problem"]) == ("blocked", "school-mismatch")


async def test_invalid_answer_refused_when_the_contract_says_so(
    start_gateway: GatewayFactory, upstream: Upstream, las: Las
) -> None:
    """An answer out of order, under on_invalid: refuse, is a fault; where it failed is logged."""
    gateway, key = await pulling(start_gateway, upstream, las, on_invalid="refuse")
    las.reply = uwlr_samples.response(3, Variant(shuffled=True))
    response = await pull(gateway, key, asked())
    assert fault_of(response).code is FaultCode.INTERNE_FOUT
    assert b"leerling" not in response.content
    (entry,) = await gateway.transfers()
    assert (entry["outcome"], entry["problem"]) == ("blocked", "invalid-document")
    assert entry["fields_invalid"] and entry["fields_forwarded"] == []


async def test_invalid_answer_flagged_by_default(
    start_gateway: GatewayFactory, upstream: Upstream, las: Las
) -> None:
    """Under on_invalid: flag the filtered answer leaves, and the log says it did not validate."""
    gateway, key = await pulling(start_gateway, upstream, las, on_invalid="flag")
    las.reply = uwlr_samples.response(3, Variant(shuffled=True))
    response = await pull(gateway, key, asked())
    assert response.status_code == 200
    (entry,) = await gateway.transfers()
    assert entry["fields_invalid"]
    assert all(kinds == {"profile": kinds["profile"]} for kinds in entry["fields_invalid"].values())


async def test_unreachable_las_is_a_temporary_fault(
    start_gateway: GatewayFactory, upstream: Upstream, las: Las
) -> None:
    """When the LAS cannot be reached the supplier hears Server.TijdelijkNietBeschikbaar."""
    text = example("uwlr-2.2-smalle-set")
    gateway: RunningGateway = await start_gateway(
        contracts={"supplier.yaml": text},
        suppliers=suppliers_yaml(upstream.url),
        sources=sources_yaml("http://127.0.0.1:9/uwlr"),
    )
    key, _ = await keys.create(SUPPLIER, "supplier", ["99XX"])
    response = await pull(gateway, key, asked())
    assert fault_of(response).code is FaultCode.TIJDELIJK_NIET_BESCHIKBAAR
    (entry,) = await gateway.transfers()
    assert (entry["outcome"], entry["problem"]) == ("upstream_error", "upstream-unreachable")


async def test_no_las_for_the_school_is_a_fault(
    start_gateway: GatewayFactory, upstream: Upstream, las: Las
) -> None:
    """Without a source that holds the school, nothing is asked and the supplier gets a fault."""
    gateway: RunningGateway = await start_gateway(
        contracts={"supplier.yaml": example("uwlr-2.2-smalle-set")},
        suppliers=suppliers_yaml(upstream.url),
        sources=sources_yaml(las.url, schools="[98YY]"),
    )
    key, _ = await keys.create(SUPPLIER, "supplier", ["99XX"])
    response = await pull(gateway, key, asked())
    assert fault_of(response).code is FaultCode.INTERNE_FOUT
    assert las.received == []
    (entry,) = await gateway.transfers()
    assert entry["problem"] == "no-source"


def test_fault_detail_is_namespaced() -> None:
    """The transfer id sits in our own namespace in the fault's detail."""
    root = etree.fromstring(soap.fault(FaultCode.INTERNE_FOUT, "abc"))
    assert root.find(f".//{{{soap.POORTWACHTER}}}transferId").text == "abc"  # type: ignore[union-attr]


async def test_a_request_that_is_not_xml_is_a_fault(
    start_gateway: GatewayFactory, upstream: Upstream, las: Las
) -> None:
    """A pull that says it is JSON is Client.OngeldigBericht, on record; the LAS is not asked."""
    gateway, key = await pulling(start_gateway, upstream, las)
    response = await gateway.client.post(
        PATH,
        content=asked(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert fault_of(response).code is FaultCode.ONGELDIG_BERICHT
    assert las.received == []
    (entry,) = await gateway.transfers()
    assert entry["problem"] == "unsupported-media-type"


async def test_a_supplier_key_cannot_push(
    start_gateway: GatewayFactory, upstream: Upstream, las: Las
) -> None:
    """A supplier's key pulls only: /proxy/ refuses it (403), and nothing is sent."""
    gateway, key = await pulling(start_gateway, upstream, las)
    response = await gateway.client.post(
        f"/proxy/{SUPPLIER}/edexml",
        content=uwlr_samples.edexml(1),
        headers={"Authorization": f"Bearer {key}", "X-School": "99XX", "Content-Type": "text/xml"},
    )
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/forbidden"
    assert upstream.received == []


async def test_a_pulled_pupil_is_in_the_subject_index(
    start_gateway: GatewayFactory, upstream: Upstream, las: Las
) -> None:
    """An access request finds the pull that carried a pupil, by the pupil's UWLR ``key``, with
    the pupil paths the answer forwarded; a key the answer did not carry finds nothing."""
    gateway, key = await pulling(start_gateway, upstream, las)
    las.reply = uwlr_samples.response(3, Variant())
    response = await pull(gateway, key, asked(xsdversie="2.2"))
    assert response.status_code == 200, response.text
    fg = {"Authorization": f"Bearer {gateway.fg_key}"}
    found = await gateway.client.post("/api/subjects", json={"identifier": "LL000001"}, headers=fg)
    (item,) = found.json()["items"]
    assert item["transfer_id"] == response.headers["x-transfer-id"]
    assert "leerlingen/leerling/achternaam" in item["fields"]
    assert "leerlingen/leerling/bsn" not in item["fields"]
    other = await gateway.client.post("/api/subjects", json={"identifier": "LL000099"}, headers=fg)
    assert other.json()["items"] == []
