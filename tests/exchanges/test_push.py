"""An EDEXML export pushed through a real gateway to a real supplier on loopback: exactly the
profile's elements and attributes leave, attacks are refused and logged, and the contract
decides what a document that does not validate does."""

from __future__ import annotations

import re

import httpx
import pytest
from lxml import etree

from gateway.access import keys
from gateway.formats import uwlr_samples, xml_profile
from gateway.formats.uwlr_samples import Variant
from tests.conftest import ROOT, GatewayFactory, RunningGateway, Upstream
from tests.formats.test_xml_filter import present_paths

from .conftest import ATTACKS, SUPPLIER, example, fixture_bytes, suppliers_yaml

PROFILES = xml_profile.load(ROOT / "schemas")
EXAMPLE_SCHOOL = "99ZZ"  # Edustandaard's example export is of school 99ZZ
XML = {"Content-Type": "application/xml"}


async def gateway_with(
    start_gateway: GatewayFactory, upstream: Upstream, contract: str, school: str = "99XX"
) -> tuple[RunningGateway, str]:
    gateway: RunningGateway = await start_gateway(
        contracts={"supplier.yaml": contract}, suppliers=suppliers_yaml(upstream.url)
    )
    key, _ = await keys.create("parnassys", "source", [school])
    return gateway, key


def all_schools(name: str, on_invalid: str | None = None) -> str:
    """The example contract ``name`` for every school, with ``xml.on_invalid`` if given."""
    text = example(name).replace("schools:\n  - 99XX", "schools: all")
    if on_invalid is not None:
        text = re.sub(r"on_invalid: \w+", f"on_invalid: {on_invalid}", text)
    return text


async def push(gateway: RunningGateway, key: str, body: bytes, school: str) -> httpx.Response:
    headers = {**XML, "Authorization": f"Bearer {key}", "X-School": school}
    return await gateway.client.post(f"/proxy/{SUPPLIER}/edexml", content=body, headers=headers)


@pytest.mark.parametrize(
    ("contract", "profile"),
    [
        ("uwlr-2.2-smalle-set", "uwlr-2.2-smalle-set"),
        ("uwlr-2.1-smalle-set", "uwlr-2.1-smalle-set"),
        ("uwlr-2.3-smalle-set", "uwlr-2.3-smalle-set"),
    ],
)
async def test_example_export_leaves_with_only_the_profile(
    start_gateway: GatewayFactory, upstream: Upstream, contract: str, profile: str
) -> None:
    """Edustandaard's example export reaches the supplier with exactly its profile's paths."""
    gateway, key = await gateway_with(
        start_gateway, upstream, all_schools(contract, "flag"), EXAMPLE_SCHOOL
    )
    response = await push(gateway, key, fixture_bytes("EDEXML.Voorbeeld.2.1.xml"), "99ZZ")
    assert response.status_code == 200, response.text
    assert len(upstream.received) == 1
    sent = upstream.received[0]
    assert sent.headers["Content-Type"] == "application/xml"
    allowlist = PROFILES.by_name[profile].edexml
    document = etree.fromstring(sent.body)
    assert document.tag == "EDEX"
    present = present_paths(document, allowlist)
    assert present <= allowlist.allowed_paths()
    pupil = {p for p in present if p.startswith("leerlingen/leerling/")}
    expected = {
        "leerlingen/leerling/@key",
        "leerlingen/leerling/@eckid",
        "leerlingen/leerling/achternaam",
        "leerlingen/leerling/roepnaam",
        "leerlingen/leerling/jaargroep",
        "leerlingen/leerling/groep/@key",
    }
    assert expected <= pupil
    assert ("leerlingen/leerling/geboortedatum" in pupil) is (profile != "uwlr-2.3-smalle-set")
    assert b"133456785" not in sent.body  # the BSN in the example
    assert b"Ismael" not in sent.body  # a voornamen, not in the Smalle set
    (entry,) = await gateway.transfers()
    assert entry["outcome"] == "forwarded"
    assert (entry["format"], entry["direction"]) == ("xml", "push")
    assert entry["records"] == 3
    assert entry["fields_stripped"]["leerlingen/leerling/bsn"] == 1
    assert entry["fields_stripped"]["leerlingen/leerling/toevoegingen"] == 1
    assert set(entry["fields_forwarded"]) <= allowlist.allowed_paths()
    assert expected <= set(entry["fields_forwarded"])
    assert "leerlingen/leerling/bsn" not in entry["fields_forwarded"]


async def test_lvs_set_lets_bsn_digits_through_and_never_the_bsn(
    start_gateway: GatewayFactory, upstream: Upstream
) -> None:
    """The LVS set forwards geslacht and bsn_ondwnr-4, never the full BSN or the address."""
    gateway, key = await gateway_with(
        start_gateway, upstream, all_schools("uwlr-2.2-lvs-set", "flag")
    )
    body = uwlr_samples.edexml(5, Variant(number="bsn_ondwnr-4"))
    response = await push(gateway, key, body, "99XX")
    assert response.status_code == 200, response.text
    document = etree.fromstring(upstream.received[0].body)
    allowlist = PROFILES.by_name["uwlr-2.2-lvs-set"].edexml
    present = present_paths(document, allowlist)
    assert present <= allowlist.allowed_paths()
    assert {"leerlingen/leerling/geslacht", "leerlingen/leerling/bsn_ondwnr-4"} <= present
    assert not {"leerlingen/leerling/postcodenl", "leerlingen/leerling/emailadres"} & present


@pytest.mark.parametrize("attack", sorted(ATTACKS))
async def test_attacks_are_refused_and_logged(
    start_gateway: GatewayFactory, upstream: Upstream, attack: str
) -> None:
    """Billion laughs, entities, DTDs, deep nesting and huge text: 400, logged, nothing sent."""
    gateway, key = await gateway_with(start_gateway, upstream, all_schools("uwlr-2.2-smalle-set"))
    response = await push(gateway, key, ATTACKS[attack], "99XX")
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "/problems/unsafe-xml"
    assert "passwd" not in response.text and "lol" not in response.text
    assert upstream.received == []
    (entry,) = await gateway.transfers()
    assert entry["outcome"] == "rejected"
    assert entry["problem"] == body["type"].removeprefix("/problems/")
    assert entry["id"] == body["transfer_id"]
    assert entry["fields_forwarded"] == [] and entry["records"] == 0


async def test_json_is_not_taken_on_an_xml_route(
    start_gateway: GatewayFactory, upstream: Upstream
) -> None:
    """An XML route refuses a body that says it is JSON (415), and sends nothing."""
    gateway, key = await gateway_with(start_gateway, upstream, all_schools("uwlr-2.2-smalle-set"))
    headers = {"Authorization": f"Bearer {key}", "X-School": "99XX"}
    response = await gateway.client.post(
        f"/proxy/{SUPPLIER}/edexml",
        content=b'{"leerlingen": []}',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 415
    assert upstream.received == []


async def test_export_of_another_school_is_blocked(
    start_gateway: GatewayFactory, upstream: Upstream
) -> None:
    """An export whose school/brincode is not the X-School is blocked (403 school-mismatch)."""
    gateway, key = await gateway_with(
        start_gateway, upstream, all_schools("uwlr-2.2-smalle-set"), "99XX"
    )
    response = await push(gateway, key, fixture_bytes("EDEXML.Voorbeeld.2.1.xml"), "99XX")
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/school-mismatch"
    assert upstream.received == []


async def test_toevoegingen_leave_only_when_the_contract_names_the_block(
    start_gateway: GatewayFactory, upstream: Upstream
) -> None:
    """Vendor blocks are stripped, unless the contract names the block's type and fields."""
    blocks = (
        "    xml:\n      on_invalid: flag\n      toevoegingen:\n"
        "        - parent: leerlingen/leerling\n          type: OpmerkingGegevensType\n"
        "          fields: [code, opmerking]\n"
    )
    contract = all_schools("uwlr-2.2-smalle-set")
    # the push route (the last one) names the block
    head, _, tail = contract.rpartition("    xml:\n      on_invalid: flag\n")
    gateway, key = await gateway_with(start_gateway, upstream, head + blocks + tail)
    body = uwlr_samples.edexml(3, Variant(toevoegingen=True))
    response = await push(gateway, key, body, "99XX")
    assert response.status_code == 200, response.text
    document = etree.fromstring(upstream.received[0].body)
    kept = document.findall("leerlingen/leerling/toevoegingen/blok")
    assert len(kept) == 3
    assert {child.tag for blok in kept for child in blok} == {"code", "opmerking"}
    assert document.find("school/toevoegingen") is None  # not named: stripped
    assert document.find("groepen/groep/toevoegingen") is None
    (entry,) = await gateway.transfers()
    path = "leerlingen/leerling/toevoegingen/blok[OpmerkingGegevensType]/opmerking"
    assert path in entry["fields_forwarded"]
    assert entry["fields_stripped"]["groepen/groep/toevoegingen"] == 8


async def test_out_of_order_export_is_filtered_and_flagged(
    start_gateway: GatewayFactory, upstream: Upstream
) -> None:
    """Shuffled pupils lose what ordered ones lose; with on_invalid: flag they leave, counted."""
    gateway, key = await gateway_with(start_gateway, upstream, all_schools("uwlr-2.2-smalle-set"))
    response = await push(gateway, key, uwlr_samples.edexml(4, Variant(shuffled=True)), "99XX")
    assert response.status_code == 200, response.text
    document = etree.fromstring(upstream.received[0].body)
    allowlist = PROFILES.by_name["uwlr-2.2-smalle-set"].edexml
    present = present_paths(document, allowlist)
    assert present <= allowlist.allowed_paths()
    assert "leerlingen/leerling/geboortedatum" in present
    (entry,) = await gateway.transfers()
    assert entry["outcome"] == "forwarded"
    assert entry["fields_invalid"]  # the first error's path, positions left out
    assert all(set(kinds) == {"profile"} for kinds in entry["fields_invalid"].values())
    assert all(path.startswith("leerlingen/leerling") for path in entry["fields_invalid"])


async def test_out_of_order_export_is_refused_when_the_contract_says_so(
    start_gateway: GatewayFactory, upstream: Upstream
) -> None:
    """With on_invalid: refuse, a document that does not validate is not sent (422), logged."""
    gateway, key = await gateway_with(
        start_gateway, upstream, all_schools("uwlr-2.2-smalle-set", "refuse")
    )
    response = await push(gateway, key, uwlr_samples.edexml(4, Variant(shuffled=True)), "99XX")
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/invalid-document"
    assert upstream.received == []
    (entry,) = await gateway.transfers()
    assert (entry["outcome"], entry["problem"]) == ("blocked", "invalid-document")
    assert entry["fields_forwarded"] == []  # nothing left
    assert entry["fields_invalid"]  # and where the document was invalid is on record
    assert entry["fields_stripped"]["leerlingen/leerling/bsn"] == 4


async def test_ordered_export_is_valid_and_not_flagged(
    start_gateway: GatewayFactory, upstream: Upstream
) -> None:
    """An ordered export filtered by the Smalle set validates: nothing counted as invalid."""
    gateway, key = await gateway_with(
        start_gateway,
        upstream,
        all_schools("uwlr-2.3-smalle-set"),  # on_invalid: refuse
    )
    response = await push(gateway, key, uwlr_samples.edexml(4), "99XX")
    assert response.status_code == 200, response.text
    (entry,) = await gateway.transfers()
    assert entry["fields_invalid"] == {}


async def test_flemish_example_export_loses_its_national_numbers(
    start_gateway: GatewayFactory, upstream: Upstream
) -> None:
    """Edustandaard's Flemish example under the LVS set: no rijksregisternummer, no postnummer."""
    gateway, key = await gateway_with(
        start_gateway, upstream, all_schools("uwlr-2.2-lvs-set", "flag")
    )
    response = await push(gateway, key, fixture_bytes("EDEXML.Voorbeeld.2.1-Vla.xml"), "99XX")
    assert response.status_code == 200, response.text
    sent = upstream.received[0].body
    assert b"13345678512" not in sent and b"rijksregisternummer" not in sent
    allowlist = PROFILES.by_name["uwlr-2.2-lvs-set"].edexml
    assert present_paths(etree.fromstring(sent), allowlist) <= allowlist.allowed_paths()
    (entry,) = await gateway.transfers()
    assert entry["fields_stripped"]["leerlingen/leerling/rijksregisternummer"] == 1
    assert entry["fields_stripped"]["leerlingen/leerling/postnummerbe"] == 1


async def test_a_pushed_pupil_is_in_the_subject_index(
    start_gateway: GatewayFactory, upstream: Upstream
) -> None:
    """An access request finds the EDEXML push that carried a pupil, by the export's pupil
    ``key``."""
    gateway, key = await gateway_with(
        start_gateway, upstream, all_schools("uwlr-2.2-smalle-set", "flag"), EXAMPLE_SCHOOL
    )
    response = await push(gateway, key, fixture_bytes("EDEXML.Voorbeeld.2.1.xml"), "99ZZ")
    assert response.status_code == 200, response.text
    fg = {"Authorization": f"Bearer {gateway.fg_key}"}
    found = await gateway.client.post("/api/subjects", json={"identifier": "12345"}, headers=fg)
    (item,) = found.json()["items"]
    assert item["transfer_id"] == response.headers["x-transfer-id"]
    assert "leerlingen/leerling/achternaam" in item["fields"]
