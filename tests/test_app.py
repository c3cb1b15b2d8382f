"""The assembled application: health, OpenAPI, problem pages, 404/405, and refusing to start."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from gateway import samples
from gateway.app import create_app
from gateway.problems import PROBLEM_TYPES
from gateway.register.loading import InvalidConfiguration
from gateway.settings import Settings
from tests.conftest import ROOT, RunningGateway, Upstream


def assert_problem(response: httpx.Response, status: int, problem: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["type"], body["status"]) == (f"/problems/{problem}", status)
    assert body["title"] == PROBLEM_TYPES[problem]
    assert body["detail"]


async def test_healthz(start_gateway: Any) -> None:
    """``/healthz`` answers 200 {"status": "ok"} while the database answers, without a key."""
    gateway: RunningGateway = await start_gateway()
    response = await gateway.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz(start_gateway: Any) -> None:
    """``/readyz`` answers 200 ready, with the number of agreement versions enforced, without a
    key, once the database answers, contracts are loaded and the log writer runs."""
    gateway: RunningGateway = await start_gateway()
    response = await gateway.client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "agreements": len(gateway.app.state.gateway.register.all()),
        "failing": [],
    }


async def test_readyz_is_not_ready_without_a_transfer_log_writer(start_gateway: Any) -> None:
    """With the transfer log's writer stopped, ``/readyz`` is 503 naming transfer_log, while
    ``/healthz`` (liveness) still answers 200."""
    gateway: RunningGateway = await start_gateway()
    await gateway.app.state.gateway.log.stop()
    response = await gateway.client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not-ready", "failing": ["transfer_log"]}
    assert (await gateway.client.get("/healthz")).status_code == 200


async def test_openapi_document(start_gateway: Any) -> None:
    """``/openapi.json`` is an OpenAPI 3 document naming the gateway's own paths."""
    gateway = await start_gateway()
    response = await gateway.client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert {
        "/proxy/{supplier}/{path}",
        "/uwlr/{supplier}/leerlinggegevens",
        "/api/transfers",
        "/healthz",
        "/readyz",
    } <= set(document["paths"])


async def test_the_pull_answers_as_openapi_describes_it(start_gateway: Any) -> None:
    """``POST /uwlr/{supplier}/leerlinggegevens`` is documented as SOAP 1.1: a refusal (here: no
    key) is the documented 500 ``text/xml`` fault with UWLR's code and the transfer id."""
    gateway = await start_gateway()
    document = (await gateway.client.get("/openapi.json")).json()
    post = document["paths"]["/uwlr/{supplier}/leerlinggegevens"]["post"]
    assert set(post["requestBody"]["content"]) == {"text/xml"}
    assert {"supplierKey"} == set(post["security"][0])
    fault = document["components"]["responses"]["SoapFault"]
    assert set(post["responses"]) == {"200", "500"}
    response = await gateway.client.post(
        "/uwlr/basispoort/leerlinggegevens",
        content=post["requestBody"]["content"]["text/xml"]["example"].encode(),
        headers={"Content-Type": "text/xml; charset=utf-8"},
    )
    assert response.status_code == 500
    assert response.headers["content-type"].split(";")[0] in fault["content"]
    assert "<faultcode>Client.AutorisatieOngeldig</faultcode>" in response.text
    assert response.headers["X-Transfer-Id"] in response.text


async def test_openapi_describes_the_entries_the_api_returns(
    start_gateway: Any, upstream: Upstream
) -> None:
    """A real log entry has exactly the properties the OpenAPI TransferEntry names, and is valid."""
    gateway = await start_gateway()
    assert (await gateway.push(samples.sync(2))).status_code == 200
    refused = await gateway.push(samples.sync(1), headers=gateway.headers(school="98YY"))
    assert refused.status_code == 403
    document = (await gateway.client.get("/openapi.json")).json()
    schema = document["components"]["schemas"]["TransferEntry"]
    validator = Draft202012Validator(schema)
    for entry in await gateway.transfers():
        assert set(entry) == set(schema["properties"])
        assert list(validator.iter_errors(entry)) == []


@pytest.mark.parametrize(
    "path", ["/nothing", "/api", "/api/transfers/1", "/proxy", "/proxyx/basispoort"]
)
async def test_an_unknown_address_is_a_not_found_problem(start_gateway: Any, path: str) -> None:
    """An address the gateway does not serve gives 404 problem+json ``/problems/not-found``."""
    gateway = await start_gateway()
    assert_problem(await gateway.client.get(path), 404, "not-found")


@pytest.mark.parametrize(
    "path", ["/proxy/basispoort", "/proxy/basispoort/", "/proxy/x/a/b", "/proxy/", "/proxy//sync"]
)
async def test_every_proxy_address_reaches_the_gateway_and_its_log(
    start_gateway: Any, path: str
) -> None:
    """``/proxy/<supplier>[/...]`` is the gateway's (taken before the router): a push without a
    key is a 401 problem with a transfer id, and the refusal is on record."""
    gateway = await start_gateway()
    response = await gateway.client.post(path, content=b"{}")
    assert_problem(response, 401, "unauthenticated")
    [entry] = await gateway.transfers()
    assert entry["id"] == response.headers["X-Transfer-Id"]
    assert entry["status"] == 401


@pytest.mark.parametrize("method", ["PATCH", "POST", "DELETE", "PUT"])
async def test_a_wrong_method_is_a_method_not_allowed_problem(
    start_gateway: Any, method: str
) -> None:
    """Writing to ``/api/transfers`` (PATCH, POST, ...) is a 405 problem and changes nothing."""
    gateway = await start_gateway()
    response = await gateway.client.request(
        method,
        "/api/transfers",
        headers={"Authorization": f"Bearer {gateway.fg_key}"},
        content=b"{}",
    )
    assert_problem(response, 405, "method-not-allowed")
    assert method in response.json()["detail"]
    assert await gateway.transfers() == []


async def test_problem_types_are_described_in_plain_text(start_gateway: Any) -> None:
    """Each ``/problems/<name>`` a refusal points at is a plain-text page describing it."""
    gateway = await start_gateway()
    response = await gateway.client.get("/problems/no-agreement")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith("no-agreement\n")
    assert PROBLEM_TYPES["no-agreement"] in response.text
    for name in PROBLEM_TYPES:
        assert (await gateway.client.get(f"/problems/{name}")).status_code == 200


async def test_an_unknown_problem_type_is_not_found(start_gateway: Any) -> None:
    """``/problems/<not a type>`` is itself a 404 not-found problem."""
    gateway = await start_gateway()
    assert_problem(await gateway.client.get("/problems/no-such-thing"), 404, "not-found")


def _settings(tmp_path: Path, contract: str | None) -> Settings:
    contracts = tmp_path / "contracts"
    contracts.mkdir()
    if contract is not None:
        (contracts / "basispoort.yaml").write_text(contract)
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    return Settings(
        database_url=f"sqlite://{tmp_path / 'never.sqlite3'}",
        contracts_dir=contracts,
        config_dir=config,
    )


def test_create_app_with_the_shipped_contracts(tmp_path: Path) -> None:
    """With the shipped contracts and config, ``create_app`` builds an app without a database."""
    shipped = (ROOT / "contracts" / "basispoort.yaml").read_text()
    settings = _settings(tmp_path, shipped)
    app = create_app(settings)
    assert app.state.gateway.register.all()
    assert not (tmp_path / "never.sqlite3").exists()


def test_create_app_refuses_a_broken_contract(tmp_path: Path) -> None:
    """A contract naming a field the payload does not have stops ``create_app`` with the problem."""
    shipped = (ROOT / "contracts" / "basispoort.yaml").read_text()
    broken = shipped.replace("- leerlingen[].voornaam", "- leerlingen[].lievelingskleur")
    settings = _settings(tmp_path, broken)
    with pytest.raises(InvalidConfiguration) as caught:
        create_app(settings)
    problems = [str(p) for p in caught.value.problems]
    assert problems
    assert all("leerlingen[].lievelingskleur" in p for p in problems)
    assert all(p.startswith(f"{settings.contracts_dir / 'basispoort.yaml'}:") for p in problems)
    assert "lievelingskleur" in str(caught.value)


def test_create_app_refuses_no_contracts(tmp_path: Path) -> None:
    """An empty contracts directory stops ``create_app``: the gateway does not run without one."""
    with pytest.raises(InvalidConfiguration, match="no contract files"):
        create_app(_settings(tmp_path, None))


def test_create_app_refuses_an_upstream_override_that_is_not_a_url(tmp_path: Path) -> None:
    """A broken upstream override in the environment stops ``create_app`` too."""
    shipped = (ROOT / "contracts" / "basispoort.yaml").read_text()
    settings = _settings(tmp_path, shipped)
    with pytest.raises(InvalidConfiguration):
        create_app(settings, {"GATEWAY_UPSTREAM_BASISPOORT": "not a url"})


@pytest.mark.parametrize(
    "upstream",
    ["http://127.0.0.1:8080/api/../admin/", "https://opron:pw@rest.example/", "http://h:99999/"],
    ids=["dot segments", "password", "port out of range"],
)
def test_create_app_refuses_a_base_url_that_cannot_work(tmp_path: Path, upstream: str) -> None:
    """A supplier base URL no request could be sent on stops the gateway at start-up, naming the
    variable, instead of turning every caller's transfer into a 400."""
    shipped = (ROOT / "contracts" / "basispoort.yaml").read_text()
    with pytest.raises(InvalidConfiguration, match="GATEWAY_UPSTREAM_BASISPOORT"):
        create_app(_settings(tmp_path, shipped), {"GATEWAY_UPSTREAM_BASISPOORT": upstream})
