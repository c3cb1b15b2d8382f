"""TLS for real, with certificates made here by ``cryptography``: a gateway serving TLS with
client certificates that keys are bound to, mutual TLS to a supplier, and supplier credentials
that the gateway adds while the caller's never pass."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import hashlib
import ipaddress
import json
import os
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gateway import samples
from gateway.access import keys
from gateway.access.secrets import SecretFiles
from gateway.app import create_app
from gateway.register.loading import InvalidConfiguration
from gateway.settings import Settings
from tests.conftest import ROOT, SCHOOL, VAR_FILES, Upstream
from tests.processes import cli, served
from tests.test_cli import cli as command

# --- a test PKI --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    cert: Path
    key: Path

    @property
    def sha256(self) -> str:
        certificate = x509.load_pem_x509_certificate(self.cert.read_bytes())
        return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write(
    directory: Path, stem: str, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate
) -> Issued:
    cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Issued(cert_path, key_path)


@dataclass(frozen=True)
class PKI:
    ca: Issued
    server: Issued  # for 127.0.0.1 (SAN IP)
    client1: Issued
    client2: Issued
    stranger: Issued  # a client certificate from another CA


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
    *,
    usage: x509.ObjectIdentifier | None = None,
    ip: str | None = None,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    issuer_name, issuer_key = issuer if issuer is not None else (_name(subject), key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    )
    if issuer is None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            True,
        )  # fmt: skip
    else:
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        assert usage is not None
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), False)
        if ip is not None:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), False
            )
    return builder.sign(issuer_key, hashes.SHA256())


def make_pki(directory: Path) -> PKI:
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (_name("Poortwachter test CA"), ca_key)
    other_key = ec.generate_private_key(ec.SECP256R1())
    other = (_name("Someone else's CA"), other_key)

    def issue(
        stem: str, issuer: Any, usage: x509.ObjectIdentifier, ip: str | None = None
    ) -> Issued:
        key = ec.generate_private_key(ec.SECP256R1())
        return _write(directory, stem, key, _certificate(stem, key, issuer, usage=usage, ip=ip))

    return PKI(
        ca=_write(directory, "ca", ca_key, _certificate("Poortwachter test CA", ca_key, None)),
        server=issue("server", ca, ExtendedKeyUsageOID.SERVER_AUTH, ip="127.0.0.1"),
        client1=issue("client1", ca, ExtendedKeyUsageOID.CLIENT_AUTH),
        client2=issue("client2", ca, ExtendedKeyUsageOID.CLIENT_AUTH),
        stranger=issue("stranger", other, ExtendedKeyUsageOID.CLIENT_AUTH),
    )


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    return make_pki(tmp_path_factory.mktemp("pki"))


def client_context(pki: PKI, cert: Issued | None) -> ssl.SSLContext:
    """What a LAS connecting to the gateway uses: trusts the test CA, shows ``cert`` if any."""
    context = ssl.create_default_context(cafile=str(pki.ca.cert))
    if cert is not None:
        context.load_cert_chain(str(cert.cert), str(cert.key))
    return context


def _push_headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "X-School": SCHOOL,
            "Content-Type": "application/json"}  # fmt: skip


# --- (a) the gateway serving TLS, keys bound to client certificates ---------------------------


@contextlib.asynccontextmanager
async def tls_gateway(
    tmp_path: Path, env: dict[str, str], pki: PKI, client_cert: str
) -> AsyncIterator[str]:
    """``python -m gateway serve`` over TLS; yields its https URL."""
    args = ("--ssl-certfile", str(pki.server.cert), "--ssl-keyfile", str(pki.server.key),
            "--ssl-ca-certs", str(pki.ca.cert), "--client-cert", client_cert)  # fmt: skip
    verify = client_context(pki, None)
    async with served(env, tmp_path / "gateway.log", *args, scheme="https", verify=verify) as (
        _,
        url,
    ):
        yield url


async def test_key_bound_to_a_client_certificate_works_only_with_that_certificate(
    tmp_path: Path, database_url: str, upstream: Upstream, pki: PKI
) -> None:
    """Over TLS a key bound to client1's certificate works with client1's certificate and gets
    401 without a certificate or with client2's; an unbound key works without one."""
    env = {**os.environ, "GATEWAY_DATABASE_URL": database_url,
           "GATEWAY_UPSTREAM_BASISPOORT": upstream.url}  # fmt: skip
    bound = cli(env, "keys", "create", "--client", "parnassys", "--schools", SCHOOL,
                 "--certificate", str(pki.client1.cert))  # fmt: skip
    unbound = cli(env, "keys", "create", "--client", "esis", "--schools", SCHOOL)
    fg = cli(env, "keys", "create", "--role", "fg", "--client", "fg")
    body = json.dumps(samples.sync(2)).encode()
    async with tls_gateway(tmp_path, env, pki, "optional") as url:

        async def push(key: str, cert: Issued | None) -> httpx.Response:
            async with httpx.AsyncClient(base_url=url, verify=client_context(pki, cert)) as c:
                return await c.post("/proxy/basispoort/sync", content=body,
                                    headers=_push_headers(key))  # fmt: skip

        with_client1 = await push(bound, pki.client1)
        assert with_client1.status_code == 200, with_client1.text
        assert len(upstream.received) == 1
        for cert in (None, pki.client2):
            refused = await push(bound, cert)
            assert refused.status_code == 401, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["type"] == "/problems/unauthenticated"
        assert len(upstream.received) == 1
        unbound_plain = await push(unbound, None)
        assert unbound_plain.status_code == 200, unbound_plain.text
        assert len(upstream.received) == 2

        async with httpx.AsyncClient(base_url=url, verify=client_context(pki, None)) as c:
            response = await c.get("/api/transfers", headers={"Authorization": f"Bearer {fg}"})
        entries = response.json()["items"]
        outcomes = sorted(
            (e["source_system"] or "-", e["outcome"], e["status"], e["problem"] or "-")
            for e in entries
        )
        assert outcomes == [
            ("-", "blocked", 401, "unauthenticated"),  # not authenticated: no source system
            ("-", "blocked", 401, "unauthenticated"),
            ("esis", "forwarded", 200, "-"),
            ("parnassys", "forwarded", 200, "-"),
        ]


async def test_client_certificate_from_another_ca_is_refused_at_the_handshake(
    tmp_path: Path, database_url: str, upstream: Upstream, pki: PKI
) -> None:
    """A client certificate the gateway's CA did not sign ends the TLS handshake: no request
    gets in, whatever key it carries."""
    env = {**os.environ, "GATEWAY_DATABASE_URL": database_url,
           "GATEWAY_UPSTREAM_BASISPOORT": upstream.url}  # fmt: skip
    unbound = cli(env, "keys", "create", "--client", "esis", "--schools", SCHOOL)
    stranger = client_context(pki, pki.stranger)
    async with (
        tls_gateway(tmp_path, env, pki, "optional") as url,
        httpx.AsyncClient(base_url=url, verify=stranger) as client,
    ):
        with pytest.raises(httpx.TransportError):
            await client.post(
                "/proxy/basispoort/sync", content=b"{}", headers=_push_headers(unbound)
            )
    assert upstream.received == []


# --- an in-process gateway with a config directory of our own ----------------------------------


@dataclass
class InProcess:
    url: str
    client: httpx.AsyncClient
    source_key: str
    fg_key: str

    async def push(self, **headers: str) -> httpx.Response:
        body = json.dumps(samples.sync(2)).encode()
        return await self.client.post(
            "/proxy/basispoort/sync", content=body,
            headers={**_push_headers(self.source_key), **headers},
        )  # fmt: skip

    async def transfers(self) -> list[dict[str, Any]]:
        response = await self.client.get(
            "/api/transfers", headers={"Authorization": f"Bearer {self.fg_key}"}
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


@contextlib.asynccontextmanager
async def in_process_gateway(
    database_url: str, config_dir: Path, environ: dict[str, str], **overrides: Any
) -> AsyncIterator[InProcess]:
    var = config_dir.parent / "var"  # the test's own, not the checkout's var/
    for name in ("log_key_file", "checkpoint_file", "subject_key_file", "pseudonym_key_file"):
        overrides.setdefault(name, var / VAR_FILES[f"GATEWAY_{name.upper()}"])
    settings = Settings(
        database_url=database_url,
        contracts_dir=ROOT / "contracts",
        config_dir=config_dir,
        port=0,
        **overrides,
    )
    app = create_app(settings, environ)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        source_key, _ = await keys.create("parnassys", "source", [SCHOOL])
        fg_key, _ = await keys.create("fg@opron.nl", "fg")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield InProcess(f"http://127.0.0.1:{port}", client, source_key, fg_key)
    finally:
        server.should_exit = True
        await task


@dataclass
class TLSUpstream:
    """A supplier served over TLS that demands a client certificate from the test CA."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        ssl_object = request.transport.get_extra_info("ssl_object") if request.transport else None
        der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
        self.received.append(
            {
                "client_cert_sha256": hashlib.sha256(der).hexdigest() if der else None,
                "tls_version": ssl_object.version() if ssl_object else None,
                "body": await request.read(),
            }
        )
        return web.json_response({"ok": True})


@contextlib.asynccontextmanager
async def tls_upstream(
    pki: PKI, *, max_version: ssl.TLSVersion | None = None
) -> AsyncIterator[TLSUpstream]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki.ca.cert))
    context.load_cert_chain(str(pki.server.cert), str(pki.server.key))
    context.verify_mode = ssl.CERT_REQUIRED
    if max_version is not None:
        context.maximum_version = max_version
    upstream = TLSUpstream()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", upstream.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    upstream.url = f"https://127.0.0.1:{port}/api/"
    try:
        yield upstream
    finally:
        await runner.cleanup()


def config_dir_with(tmp_path: Path, pki: PKI, tls: str, extra: str = "") -> Path:
    """A config directory holding the test CA and client1's certificate, and suppliers.yaml."""
    config = tmp_path / "config"
    config.mkdir()
    for issued, stem in ((pki.ca, "ca"), (pki.client1, "client1")):
        (config / f"{stem}.pem").write_bytes(issued.cert.read_bytes())
        (config / f"{stem}.key").write_bytes(issued.key.read_bytes())
    (config / "suppliers.yaml").write_text(
        "suppliers:\n  basispoort:\n    upstream: https://basispoort.invalid/\n"
        f"    connect_timeout: 3\n    read_timeout: 3\n{tls}{extra}"
    )
    return config


# --- (b) mutual TLS to the supplier ------------------------------------------------------------

MUTUAL = "    tls: {ca_file: ca.pem, client_cert: client1.pem, client_key: client1.key}\n"


@pytest.mark.parametrize(
    ("max_version", "version"),
    [(None, "TLSv1.3"), (ssl.TLSVersion.TLSv1_2, "TLSv1.2")],
    ids=["tls-1.3", "supplier-only-speaks-tls-1.2"],
)
async def test_mutual_tls_to_the_supplier_presents_the_configured_certificate(
    max_version: ssl.TLSVersion | None,
    version: str,
    tmp_path: Path,
    database_url: str,
    pki: PKI,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With ca_file, client_cert and client_key (relative to the config directory) the transfer
    arrives over TLS (1.2 allowed by default) and the supplier sees client1's certificate. The
    key is plain: still accepted, with a warning in the log at start."""
    async with tls_upstream(pki, max_version=max_version) as supplier:
        config = config_dir_with(tmp_path, pki, MUTUAL)
        environ = {"GATEWAY_UPSTREAM_BASISPOORT": supplier.url}
        async with in_process_gateway(database_url, config, environ) as gateway:
            response = await gateway.push()
            assert response.status_code == 200, response.text
            [received] = supplier.received
            assert received["client_cert_sha256"] == pki.client1.sha256
            assert received["tls_version"] == version
            [entry] = await gateway.transfers()
            assert entry["outcome"] == "forwarded"
            assert entry["body_sha256"] == hashlib.sha256(received["body"]).hexdigest()
    assert f"{config / 'client1.key'} lies on disk unencrypted" in caplog.text


@pytest.mark.parametrize(
    ("tls", "max_version"),
    [
        pytest.param("    tls: {ca_file: ca.pem}\n", None, id="no-client-certificate"),
        pytest.param(
            "    tls: {ca_file: ca.pem, client_cert: client1.pem, client_key: client1.key,"
            ' min_version: "1.3"}\n',
            ssl.TLSVersion.TLSv1_2,
            id="supplier-only-speaks-tls-1.2",
        ),
        pytest.param(
            "    tls: {client_cert: client1.pem, client_key: client1.key}\n",
            None,
            id="supplier-not-trusted-by-system-cas",
        ),
    ],
)
async def test_failed_tls_to_the_supplier_is_502_and_logged(
    tls: str, max_version: ssl.TLSVersion | None, tmp_path: Path, database_url: str, pki: PKI
) -> None:
    """A TLS setup the supplier refuses (no client certificate, a version below the minimum,
    an untrusted server) gives 502 upstream-unreachable and an upstream_error entry."""
    async with tls_upstream(pki, max_version=max_version) as supplier:
        config = config_dir_with(tmp_path, pki, tls)
        environ = {"GATEWAY_UPSTREAM_BASISPOORT": supplier.url}
        async with in_process_gateway(database_url, config, environ) as gateway:
            response = await gateway.push()
            assert response.status_code == 502, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["type"] == "/problems/upstream-unreachable"
            assert supplier.received == []
            [entry] = await gateway.transfers()
            assert (entry["outcome"], entry["status"]) == ("upstream_error", 502)
            assert entry["body_sha256"] is not None


# --- (c) supplier credentials ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("credentials", "header", "sent"),
    [
        ("{header: X-Api-Key, env: BP_KEY}", "x-api-key", "bp-secret-123"),
        ("{header: Authorization, env: BP_KEY, scheme: Bearer}", "authorization",
         "Bearer bp-secret-123"),
    ],
    ids=["x-api-key", "authorization-bearer"],
)  # fmt: skip
async def test_supplier_credential_is_added_and_the_callers_never_pass(
    credentials: str, header: str, sent: str, tmp_path: Path, database_url: str, upstream: Upstream
) -> None:
    """The gateway adds the supplier's credential from the environment; the caller's own
    Authorization (and any X-Api-Key it sends) never arrives, and the secret is not logged."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "suppliers.yaml").write_text(
        "suppliers:\n  basispoort:\n    upstream: https://basispoort.invalid/\n"
        f"    credentials: {credentials}\n"
    )
    environ = {"GATEWAY_UPSTREAM_BASISPOORT": upstream.url, "BP_KEY": "bp-secret-123"}
    async with in_process_gateway(database_url, config, environ) as gateway:
        response = await gateway.push(**{"X-Api-Key": "las-own-key"})
        assert response.status_code == 200, response.text
        [received] = upstream.received
        headers = {k.lower(): v for k, v in received.headers.items()}
        assert headers[header] == sent
        assert gateway.source_key not in json.dumps(headers)
        assert "las-own-key" not in json.dumps(headers)
        if header != "authorization":
            assert "authorization" not in headers
        assert "bp-secret-123" not in response.text
        assert "bp-secret-123" not in json.dumps(await gateway.transfers())


def test_missing_credential_variable_stops_the_gateway_naming_it(tmp_path: Path) -> None:
    """A credential whose environment variable is not set makes create_app raise
    InvalidConfiguration that names the variable."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "suppliers.yaml").write_text(
        "suppliers:\n  basispoort:\n    upstream: https://basispoort.invalid/\n"
        "    credentials: {header: X-Api-Key, env: BP_KEY}\n"
    )
    settings = Settings(
        database_url=f"sqlite://{tmp_path / 'unused.sqlite3'}",
        contracts_dir=ROOT / "contracts",
        config_dir=config,
    )
    with pytest.raises(InvalidConfiguration) as raised:
        create_app(settings, {"GATEWAY_UPSTREAM_BASISPOORT": "http://127.0.0.1:9/"})
    assert "BP_KEY" in str(raised.value)
    assert any("BP_KEY" in str(problem) for problem in raised.value.problems)
    create_app(settings, {"BP_KEY": "set"})  # and with it set, it starts


# --- (d) an encrypted client key, its passphrase a secret --------------------------------------

PASSPHRASE = "client1-passphrase-5e0b"
ENCRYPTED = (
    "    tls:\n      ca_file: ca.pem\n      client_cert: client1.pem\n"
    "      client_key: client1.key.enc\n"
    "      client_key_password: {env: BASISPOORT_CLIENT_KEY_PASSWORD}\n"
)


def encrypted_key_config(
    tmp_path: Path, pki: PKI, *, stored: str | None = PASSPHRASE, key: Issued | None = None
) -> tuple[Path, SecretFiles]:
    """A config directory with ``key`` (client1's) encrypted under PASSPHRASE as client1.key.enc
    and no plain key, and a secrets file holding ``stored`` as the passphrase (None: not)."""
    config = config_dir_with(tmp_path, pki, ENCRYPTED)
    (config / "client1.key").unlink()
    private_key = serialization.load_pem_private_key((key or pki.client1).key.read_bytes(), None)
    (config / "client1.key.enc").write_bytes(
        private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(PASSPHRASE.encode()),  # PBES2, AES-256-CBC
        )
    )
    store = SecretFiles(tmp_path / "var" / "secrets.json", tmp_path / "var" / "secrets.key")
    store.set("BASISPOORT_TOKEN", "bp-token")  # a secrets file that does exist
    if stored is not None:
        store.set("BASISPOORT_CLIENT_KEY_PASSWORD", stored)
    return config, store


def secrets_env(store: SecretFiles, config: Path) -> dict[str, str]:
    """What ``poortwachter`` commands need to see this config and these secrets."""
    return {"GATEWAY_CONFIG_DIR": str(config), "GATEWAY_SECRETS_FILE": str(store.secrets_file),
            "GATEWAY_SECRETS_KEY_FILE": str(store.key_file)}  # fmt: skip


async def test_encrypted_client_key_opens_with_the_stored_passphrase_and_survives_rotation(
    tmp_path: Path, database_url: str, pki: PKI, caplog: pytest.LogCaptureFixture
) -> None:
    """With only the encrypted key on disk and its passphrase only in the secrets file, the
    supplier (which demands a client certificate) receives the transfer with client1's
    certificate; after `poortwachter secrets rotate` the running gateway still sends and a
    gateway started from the rotated files does too. The passphrase is never logged."""
    config, store = encrypted_key_config(tmp_path, pki)
    files = {"secrets_file": store.secrets_file, "secrets_key_file": store.key_file}
    async with tls_upstream(pki) as supplier:
        environ = {"GATEWAY_UPSTREAM_BASISPOORT": supplier.url}  # no passphrase in it
        async with in_process_gateway(database_url, config, environ, **files) as gateway:
            assert (await gateway.push()).status_code == 200
            rotated = await command(
                "secrets", "rotate", database=None, **secrets_env(store, config)
            )
            assert "re-encrypted 2 secret(s)" in rotated.out, rotated.err
            assert (await gateway.push()).status_code == 200  # running: holds the key in memory
        assert [key for _, _, key in store.listing()] == [1, 1]  # all under the new key
        assert len(store.keys()) == 2
        async with in_process_gateway(database_url, config, environ, **files) as restarted:
            assert (await restarted.push()).status_code == 200
            assert [e["outcome"] for e in await restarted.transfers()] == ["forwarded"] * 3
        presented = [received["client_cert_sha256"] for received in supplier.received]
        assert presented == [pki.client1.sha256] * 3
    assert PASSPHRASE not in caplog.text
    assert "unencrypted" not in caplog.text


REFUSED_CLIENT_KEYS = [
    # (case, passphrase stored, key encrypted, setting at fault, what the message says)
    ("wrong passphrase", "not-the-passphrase", None, "tls.client_key_password",
     "the passphrase in BASISPOORT_CLIENT_KEY_PASSWORD does not decrypt"),
    ("secret missing", None, None, "tls.client_key_password.env",
     "BASISPOORT_CLIENT_KEY_PASSWORD is not set: neither in the environment nor in the secrets"),
    ("key of another certificate", PASSPHRASE, "client2", "tls.client_key",
     "is not the private key of the certificate in"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "stored", "other_key", "setting", "says"),
    REFUSED_CLIENT_KEYS,
    ids=[r[0] for r in REFUSED_CLIENT_KEYS],
)
async def test_an_unusable_client_key_stops_start_up_and_check_without_the_passphrase(
    case: str,
    stored: str | None,
    other_key: str | None,
    setting: str,
    says: str,
    tmp_path: Path,
    pki: PKI,
) -> None:
    """A wrong passphrase, a missing secret, or a key that is not the certificate's fails
    closed: create_app refuses to make a gateway and `poortwachter check` exits 1, each with one
    problem naming suppliers.yaml, its line and the setting; neither passphrase is shown."""
    key = pki.client2 if other_key == "client2" else None
    config, store = encrypted_key_config(tmp_path, pki, stored=stored, key=key)
    settings = Settings(
        database_url=f"sqlite://{tmp_path / 'unused.sqlite3'}", contracts_dir=ROOT / "contracts",
        config_dir=config, secrets_file=store.secrets_file, secrets_key_file=store.key_file,
    )  # fmt: skip
    with pytest.raises(InvalidConfiguration) as raised:
        create_app(settings, {"GATEWAY_UPSTREAM_BASISPOORT": "https://127.0.0.1:9/"})
    [problem] = raised.value.problems
    assert problem.file == str(config / "suppliers.yaml")
    assert problem.location == f"suppliers.basispoort.{setting}"
    assert problem.line is not None and says in problem.message
    checked = await command("check", database=None, **secrets_env(store, config))
    assert checked.code == 1
    assert f"suppliers.yaml:{problem.line} at suppliers.basispoort.{setting}: " in checked.err
    assert says in checked.err and "Traceback" not in checked.err
    for passphrase in (PASSPHRASE, "not-the-passphrase"):
        assert passphrase not in str(raised.value) + checked.out + checked.err


async def test_check_warns_of_a_client_key_in_the_clear_and_says_how_to_encrypt_it(
    tmp_path: Path, pki: PKI
) -> None:
    """A plain client key still works (exit 0), but check warns that it lies on disk
    unencrypted, naming the file and the commands that encrypt it."""
    config = config_dir_with(tmp_path, pki, MUTUAL)
    checked = await command("check", database=None, GATEWAY_CONFIG_DIR=str(config))
    assert checked.code == 0, checked.err
    [warning] = [line for line in checked.out.splitlines() if "client_key" in line]
    assert warning.startswith("warn  ")
    assert f"{config / 'client1.key'} lies on disk unencrypted" in warning
    assert "openssl pkcs8 -topk8 -v2 aes-256-cbc" in warning
    assert "poortwachter secrets set BASISPOORT_CLIENT_KEY_PASSWORD" in warning
