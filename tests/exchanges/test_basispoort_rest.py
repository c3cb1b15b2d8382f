"""Basispoort's REST v2 shapes through a real gateway to a real supplier on loopback, under the
shipped Basispoort contract: the JSON filters take the new payload schema with no code of
their own, and exactly the contract's fields leave."""

from __future__ import annotations

import json
from typing import Any

from gateway.formats import payload_schema
from gateway.settings import Settings
from tests.conftest import ROOT, GatewayFactory, Upstream

from .conftest import EXAMPLES

ECKID = "https://ketenid.nl/201703/" + "a1" * 64


def pupil(index: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": 1000 + index,
        "eckid": ECKID,
        "lasKey": f"LL-{index:04d}",
        "persoonsgegevens": {
            "achternaam": "Berg",
            "voornaam": "Sanne",
            "voorvoegsel": "van der",
            "voorletters": "S.M.",
        },
        "jaargroep": "3",
        "groep": "G-3A",
        "subgroepen": ["SG-1"],
        **extra,
    }


META = {
    "mutationTimestamp": "2026-11-30T22:00:00Z",
    "generationTimestamp": "2026-11-30T22:00:05.123+01:00",
}


def test_schema_knows_every_field_domain_names() -> None:
    """The payload schema has the fields shared/DOMAIN.md names, each leaf with a rule."""
    schema = payload_schema.load(Settings().schemas_dir, "basispoort-rest")
    for path in (
        "leerlingen[].id",
        "leerlingen[].eckid",
        "leerlingen[].lasKey",
        "leerlingen[].persoonsgegevens.achternaam",
        "leerlingen[].persoonsgegevens.voornaam",
        "leerlingen[].persoonsgegevens.voorvoegsel",
        "leerlingen[].persoonsgegevens.voorletters",
        "leerlingen[].jaargroep",
        "leerlingen[].groep",
        "groepen[].lasKey",
        "groepen[].omschrijving",
        "medewerkers[].rollen[]",
    ):
        assert path in schema.rules, path
    document = json.loads((ROOT / "schemas" / "basispoort-rest.schema.json").read_text())
    leaves = [rule for rule in schema.rules.values()]
    assert all(r.max_length or r.patterns or r.enum or r.maximum or r.format for r in leaves)
    assert document["$defs"]["leerling"]["required"] == ["id"]


async def test_pupils_leave_with_the_basispoort_set_only(
    start_gateway: GatewayFactory, upstream: Upstream
) -> None:
    """A leerlingen body: id, lasKey, names, jaargroep and groep leave; eckid, voorletters and
    subgroepen are stripped and counted; a pupil without an id is left out whole."""
    gateway = await start_gateway()
    body = {"leerlingen": [pupil(1), pupil(2), {"lasKey": "LL-9"}], "metaResult": META}
    response = await gateway.client.put(
        "/proxy/basispoort/instellingen/55501/leerlingen",
        content=json.dumps(body).encode(),
        headers=gateway.headers(),
    )
    assert response.status_code == 200, response.text
    (received,) = upstream.received
    assert received.method == "PUT"
    sent = received.json()
    assert sent["metaResult"] == META
    assert len(sent["leerlingen"]) == 2
    assert sent["leerlingen"][0] == {
        "id": 1001,
        "lasKey": "LL-0001",
        "persoonsgegevens": {"achternaam": "Berg", "voornaam": "Sanne", "voorvoegsel": "van der"},
        "jaargroep": "3",
        "groep": "G-3A",
    }
    assert ECKID.encode() not in received.body
    (entry,) = await gateway.transfers()
    assert entry["outcome"] == "forwarded"
    assert (entry["format"], entry["direction"]) == ("json", "push")
    assert entry["route"] == "PUT /instellingen/{id}/leerlingen"
    assert entry["records"] == 2
    assert entry["fields_stripped"]["leerlingen[].eckid"] == 2
    assert entry["fields_stripped"]["leerlingen[].persoonsgegevens.voorletters"] == 2
    assert entry["fields_stripped"]["leerlingen[].subgroepen"] == 2
    assert "leerlingen[].id" in entry["fields_invalid"]  # the record without an id


async def test_values_breaking_their_rule_are_stripped(
    start_gateway: GatewayFactory, upstream: Upstream
) -> None:
    """A name with digits and a jaargroep that is not one are left out of their record."""
    gateway = await start_gateway()
    odd = pupil(1, jaargroep="groep 3!")
    odd["persoonsgegevens"]["voornaam"] = "123456782"
    response = await gateway.client.put(
        "/proxy/basispoort/instellingen/55501/leerlingen",
        content=json.dumps({"leerlingen": [odd]}).encode(),
        headers=gateway.headers(),
    )
    assert response.status_code == 200, response.text
    sent = upstream.received[0].json()["leerlingen"][0]
    assert "jaargroep" not in sent and "voornaam" not in sent["persoonsgegevens"]


async def test_groups_leave_without_their_description(
    start_gateway: GatewayFactory, upstream: Upstream
) -> None:
    """A groepen body: lasKey, naam and jaargroep leave, omschrijving and subgroepen do not."""
    gateway = await start_gateway()
    body = {
        "groepen": [{"lasKey": "G-3A", "naam": "Groep 3a", "jaargroep": "3", "omschrijving": "x"}],
        "subgroepen": [{"lasKey": "SG-1", "naam": "Plusklas"}],
    }
    response = await gateway.client.put(
        "/proxy/basispoort/instellingen/55501/groepen",
        content=json.dumps(body).encode(),
        headers=gateway.headers(),
    )
    assert response.status_code == 200, response.text
    assert upstream.received[0].json() == {
        "groepen": [{"lasKey": "G-3A", "naam": "Groep 3a", "jaargroep": "3"}]
    }


async def test_staff_not_covered_by_the_shipped_contract(
    start_gateway: GatewayFactory, upstream: Upstream
) -> None:
    """/staf is not in the shipped agreement (403), and is in the example that adopts it."""
    staff = {
        "medewerkers": [
            {
                "id": 7,
                "lasKey": "LK-1",
                "persoonsgegevens": {"achternaam": "Jansen", "voorletters": "P."},
                "emailadres": "p.jansen@school.invalid",
                "rollen": ["Leerkracht"],
                "groepen": ["G-3A"],
                "einddatum": "2027-07-31",
            }
        ]
    }
    gateway = await start_gateway()
    response = await gateway.client.put(
        "/proxy/basispoort/instellingen/55501/staf",
        content=json.dumps(staff).encode(),
        headers=gateway.headers(),
    )
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/route-not-covered"
    assert upstream.received == []


async def test_staff_example_lets_staff_through(
    start_gateway: GatewayFactory, upstream: Upstream
) -> None:
    """Adopted, the staff example forwards names, e-mail, roles and groups, not the end date."""
    text = (EXAMPLES / "basispoort-rest-staf.yaml").read_text()
    gateway = await start_gateway(contracts={"basispoort.yaml": text})
    staff = {
        "medewerkers": [
            {
                "id": 7,
                "persoonsgegevens": {"achternaam": "Jansen", "voorletters": "P."},
                "emailadres": "p.jansen@school.invalid",
                "rollen": ["Leerkracht", "Directeur"],
                "einddatum": "2027-07-31",
            }
        ]
    }
    response = await gateway.client.put(
        "/proxy/basispoort/instellingen/55501/staf",
        content=json.dumps(staff).encode(),
        headers=gateway.headers(),
    )
    assert response.status_code == 200, response.text
    (member,) = upstream.received[0].json()["medewerkers"]
    assert member["emailadres"] == "p.jansen@school.invalid"  # declared to hold one
    assert member["rollen"] == ["Leerkracht"]  # not one of Basispoort's roles: left out
    assert "einddatum" not in member and "voorletters" not in member["persoonsgegevens"]


async def test_a_top_level_array_is_refused(
    start_gateway: GatewayFactory, upstream: Upstream
) -> None:
    """Basispoort's bodies are objects: a bare array of pupils is refused (400), not guessed at."""
    gateway = await start_gateway()
    response = await gateway.client.put(
        "/proxy/basispoort/instellingen/55501/leerlingen",
        content=json.dumps([pupil(1)]).encode(),
        headers=gateway.headers(),
    )
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/malformed-body"
    assert upstream.received == []
