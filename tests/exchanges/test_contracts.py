"""XML routes in contract files, the LAS in config/sources.yaml, and supplier keys: what a
school adopts is checked before the gateway starts, every problem with its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.access import keys
from gateway.formats import payload_schema
from gateway.register import contract_files, sources
from gateway.register.contract_files import ContractSet
from gateway.register.schools import School
from gateway.register.suppliers import SupplierConfigError
from tests.conftest import ROOT

from .conftest import EXAMPLES, SUPPLIER, example

SCHEMAS = ROOT / "schemas"
PAYLOADS = {name: payload_schema.load(SCHEMAS, name) for name in payload_schema.PAYLOAD_FORMATS}


def load(tmp_path: Path, text: str) -> ContractSet:
    directory = tmp_path / "contracts"
    directory.mkdir(exist_ok=True)
    (directory / "supplier.yaml").write_text(text)
    return contract_files.load(directory, SCHEMAS, PAYLOADS, (SUPPLIER, "basispoort"))


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_example_loads_as_adopted(tmp_path: Path, path: Path) -> None:
    """Each example contract, copied into contracts/, loads without a problem."""
    found = load(tmp_path, path.read_text())
    assert found.problems == ()
    (agreement,) = found.agreements
    for route in agreement.routes:
        if route.payload.startswith(("uwlr-", "edexml-")):
            assert route.xml is not None and route.xml.allowlist.allowed_paths()
            assert route.policy.allowed == route.xml.allowlist.allowed_paths()


def test_the_examples_are_not_in_force_by_default(tmp_path: Path) -> None:
    """contracts/ itself holds only Basispoort: the examples are in a folder it does not read."""
    found = contract_files.load(ROOT / "contracts", SCHEMAS, PAYLOADS, ("basispoort",))
    assert found.problems == ()
    assert {a.supplier for a in found.agreements} == {"basispoort"}


def test_pull_route_reads_its_profile(tmp_path: Path) -> None:
    """The 2.3 example's pull route: UWLR allowlist without geboortedatum, refusing invalid."""
    (agreement,) = load(tmp_path, example("uwlr-2.3-smalle-set")).agreements
    pull = agreement.route_for("POST", "/leerlinggegevens")
    assert pull is not None and pull.xml is not None
    assert (pull.xml.direction, pull.xml.xsdversie, pull.xml.refuse_invalid) == (
        "pull",
        "2.3",
        True,
    )
    assert "leerlingen/leerling/geboortedatum" not in pull.xml.allowlist.allowed_paths()
    assert pull.xml.allowlist.namespace is not None  # the UWLR answer's
    push = agreement.route_for("POST", "/edexml")
    assert push is not None and push.xml is not None and push.xml.allowlist.namespace is None


@pytest.mark.parametrize(
    ("old", "new", "where", "says"),
    [
        ("    direction: pull\n", "", "routes[0].direction", "say direction: pull"),
        (
            "    payload: edexml-2.2-smalle-set\n",
            "    payload: edexml-2.2-smalle-set\n    direction: pull\n",
            "routes[1].direction",
            "direction is push",
        ),
        (
            "    payload: uwlr-2.2-smalle-set\n",
            "    payload: las-sync\n    fields: [school.brin]\n",
            "routes[0].direction",
            "only a UWLR answer",
        ),
        (
            "    payload: edexml-2.2-smalle-set\n",
            "    payload: edexml-2.2-smalle-set\n    fields: [leerlingen]\n",
            "routes[1].fields",
            "names no fields",
        ),
        ("    payload: uwlr-2.2-smalle-set\n", "    payload: uwlr-2.3-lvs-set\n", "routes[0]", ""),
        (
            "      on_invalid: flag\n      # A vendor",
            "      on_invalid: flag\n      toevoegingen:\n        - parent: leerlingen/kind\n"
            "          type: X\n          fields: [code]\n      # A vendor",
            "routes[0].xml.toevoegingen[0].parent",
            "no element 'kind'",
        ),
        (
            "  - method: POST\n    path: /leerlinggegevens",
            "  - method: GET\n    path: /leerlinggegevens",
            "routes[0].method",
            "POST",
        ),
    ],
    ids=[
        "uwlr push",
        "edexml pull",
        "json pull",
        "fields on xml",
        "no such profile",
        "block parent",
        "GET pull",
    ],
)
def test_xml_route_problems_are_named(
    tmp_path: Path, old: str, new: str, where: str, says: str
) -> None:
    """Each mistake in an XML route is a problem at its place, and the file is not enforced."""
    text = example("uwlr-2.2-smalle-set")
    assert old in text
    found = load(tmp_path, text.replace(old, new, 1))
    assert found.problems
    assert found.agreements == ()
    problem = found.problems[0]
    assert where in problem.location or problem.location.startswith(where.split(".")[0])
    assert says in problem.message


def test_sources_file_is_optional_and_read(tmp_path: Path) -> None:
    """No sources.yaml: no source; one: the LAS for its schools, its URL overridable."""
    assert sources.load(tmp_path / "sources.yaml", SCHEMAS, {}).by_name == {}
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n  las:\n    leerlinggegevens: http://127.0.0.1:9/uwlr/ll\n    schools: [99XX]\n"
    )
    found = sources.load(path, SCHEMAS, {})
    las = found.holding(School("99XX", "01"))
    assert las is not None and str(las.leerlinggegevens) == "http://127.0.0.1:9/uwlr/ll"
    assert found.holding(School("98YY", None)) is None
    moved = sources.load(path, SCHEMAS, {"GATEWAY_LAS_LAS": "http://127.0.0.2:8/x"})
    assert str(moved.by_name["las"].leerlinggegevens) == "http://127.0.0.2:8/x"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("sources:\n  las:\n    leerlinggegevens: ftp://x/\n    schools: all\n", "does not match"),
        ("sources:\n  las:\n    schools: all\n", "'leerlinggegevens' is a required property"),
        (
            "sources:\n  las:\n    leerlinggegevens: http://u:p@x/\n    schools: all\n",
            "does not match",
        ),
    ],
)
def test_a_bad_sources_file_is_a_problem(tmp_path: Path, text: str, says: str) -> None:
    """A source that cannot be used stops the load with a problem at its place."""
    path = tmp_path / "sources.yaml"
    path.write_text(text)
    with pytest.raises(SupplierConfigError) as raised:
        sources.load(path, SCHEMAS, {})
    assert says in str(raised.value)


async def test_a_supplier_key_needs_schools_and_a_slug(database_url: str) -> None:
    """A supplier key names the supplier by its slug and the schools it may pull."""
    from gateway import database

    async with database.opened(database_url):
        with pytest.raises(ValueError, match="at least one school"):
            await keys.create(SUPPLIER, "supplier", [])
        with pytest.raises(ValueError, match="slug"):
            await keys.create("Voorbeeld Uitgever", "supplier", ["99XX"])
        key, record = await keys.create(SUPPLIER, "supplier", ["99XX"])
        client = await keys.KeyStore(0).find(key)
    assert client is not None and (client.role, client.name) == ("supplier", SUPPLIER)
    assert record.schools == ["99XX"]


@pytest.mark.parametrize(
    ("old", "new", "where", "says"),
    [
        (
            "    payload: las-sync\n    fields: &basispoort-set\n",
            "    payload: las-sync\n    x: &basispoort-set\n",
            "routes[0]",
            "Additional properties",
        ),
        (
            "  - method: PUT\n    path: /sync\n    payload: las-sync\n",
            "  - method: PUT\n    path: /sync\n    payload: las-sync\n"
            "    xml: {on_invalid: flag}\n",
            "routes[1].xml",
            "UWLR profile",
        ),
    ],
    ids=["unknown key", "xml on json"],
)
def test_json_route_problems_are_named(
    tmp_path: Path, old: str, new: str, where: str, says: str
) -> None:
    """A JSON route needs its fields, and takes no xml: settings."""
    text = (ROOT / "contracts" / "basispoort.yaml").read_text()
    assert old in text
    found = load(tmp_path, text.replace(old, new, 1))
    assert any(where in p.location and says in p.message for p in found.problems), found.problems


def test_json_route_without_fields_is_a_problem(tmp_path: Path) -> None:
    """A JSON route that lists no fields says so, at the route."""
    text = (ROOT / "contracts" / "basispoort.yaml").read_text()
    start = text.index("  - method: PUT\n    path: /instellingen/{id}/groepen")
    cut = text[:start] + "  - method: PUT\n    path: /instellingen/{id}/groepen\n"
    cut += "    payload: basispoort-rest\n"
    found = load(tmp_path, cut)
    assert any(
        "routes[3].fields" in p.location and "lists the fields" in p.message for p in found.problems
    ), found.problems
