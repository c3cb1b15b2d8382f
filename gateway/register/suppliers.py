"""Suppliers' endpoints: ``config/suppliers.yaml``, each upstream overridable from the environment.

``GATEWAY_UPSTREAM_<SLUG>`` (slug upper-cased, ``-`` as ``_``) replaces a supplier's base URL, so
that tests, demos and each installation can point a supplier anywhere without editing config.
A supplier may have a credential the gateway adds (its value from the environment or the
secrets file, never from this file) and TLS settings: a CA to verify it with, a client
certificate for mutual TLS (its key maybe encrypted, the passphrase a secret like a
credential), and a minimum version that is never below TLS 1.2.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator
from yarl import URL

from gateway.access import client_key
from gateway.register import yamlfiles
from gateway.register.yamlfiles import Problem

_TLS_VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


@dataclass(frozen=True, slots=True)
class Supplier:
    slug: str
    upstream: URL
    connect_timeout: float
    read_timeout: float
    credential: tuple[str, str] | None = field(default=None, repr=False)  # (header, value)
    tls: ssl.SSLContext | None = field(default=None, repr=False)


class SupplierConfigError(Exception):
    def __init__(self, problems: list[Problem], slugs: frozenset[str] = frozenset()) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems
        self.slugs = slugs  # the suppliers the file names, whatever is wrong with them


def env_name(slug: str) -> str:
    return "GATEWAY_UPSTREAM_" + slug.upper().replace("-", "_")


def load(
    path: Path,
    schemas_dir: Path,
    environ: Mapping[str, str],
    warnings: list[Problem] | None = None,
) -> dict[str, Supplier]:
    """The suppliers in ``path``, or SupplierConfigError. What works but should not stay as it
    is (a client key in the clear) is added to ``warnings``."""
    warnings = [] if warnings is None else warnings
    try:
        document = yamlfiles.read(path)
    except yamlfiles.YamlFileError as error:
        raise SupplierConfigError([error.problem]) from error
    schema = json.loads((schemas_dir / "suppliers.schema.json").read_text(encoding="utf-8"))
    errors = sorted(
        Draft202012Validator(schema).iter_errors(document.data), key=lambda e: list(e.path)
    )
    if errors:
        named = document.data.get("suppliers") if isinstance(document.data, dict) else None
        raise SupplierConfigError(
            [document.problem(list(e.path), e.message) for e in errors],
            frozenset(named) if isinstance(named, dict) else frozenset(),
        )
    suppliers = {}
    problems: list[Problem] = []
    for slug, raw in document.data["suppliers"].items():
        supplier = _supplier(document, path.parent, slug, raw, environ, problems, warnings)
        if supplier is not None:
            suppliers[slug] = supplier
    if problems:
        raise SupplierConfigError(problems, frozenset(document.data["suppliers"]))
    return suppliers


def _supplier(
    document: yamlfiles.YamlDocument,
    config_dir: Path,
    slug: str,
    raw: dict[str, Any],
    environ: Mapping[str, str],
    problems: list[Problem],
    warnings: list[Problem],
) -> Supplier | None:
    where: list[str | int] = ["suppliers", slug]
    upstream = environ.get(env_name(slug)) or raw["upstream"]
    source = env_name(slug) if env_name(slug) in environ else "upstream"
    url, unusable = base_url(upstream)
    if url is None:
        parts = urlsplit(upstream)
        shown = "(a URL with a password)" if parts.password is not None else repr(upstream)
        problems.append(document.problem([*where, "upstream"], f"{source}={shown} {unusable}"))
        return None
    access = Access.of(document, config_dir, where, raw, environ, url.scheme, problems, warnings)
    if access is None:
        return None
    return Supplier(
        slug=slug,
        upstream=url,
        connect_timeout=float(raw.get("connect_timeout", 5)),
        read_timeout=float(raw.get("read_timeout", 30)),
        credential=access.credential,
        tls=access.tls,
    )


@dataclass(frozen=True)
class Access:
    """How the gateway gets into an endpoint: a credential header, and TLS settings."""

    credential: tuple[str, str] | None = field(default=None, repr=False)  # (header, value)
    tls: ssl.SSLContext | None = None

    @classmethod
    def of(
        cls,
        document: yamlfiles.YamlDocument,
        config_dir: Path,
        where: list[str | int],
        raw: dict[str, Any],
        environ: Mapping[str, str],
        scheme: str,
        problems: list[Problem],
        warnings: list[Problem],
    ) -> Access | None:
        """An endpoint's ``credentials`` and ``tls`` settings, or None with the problem told;
        a client key kept in the clear is a warning."""
        credential = None
        if "credentials" in raw:
            spec = raw["credentials"]
            value = _secret(document, [*where, "credentials"], spec, environ, problems)
            if value is None:
                return None
            scheme_value = f"{spec['scheme']} {value}" if "scheme" in spec else value
            credential = (spec["header"], scheme_value)
        tls = None
        if "tls" in raw or scheme == "https":
            spec = raw.get("tls", {})
            passphrase = None
            if "client_key_password" in spec:
                named = spec["client_key_password"]
                where_named = [*where, "tls", "client_key_password"]
                value = _secret(document, where_named, named, environ, problems)
                if value is None:
                    return None
                passphrase = (named["env"], value)
            try:
                tls, encrypted = _tls_context(config_dir, spec, passphrase)
            except client_key.ClientKeyError as error:
                problems.append(document.problem([*where, "tls", error.setting], error.message))
                return None
            except (OSError, ssl.SSLError) as error:
                problems.append(document.problem([*where, "tls"], f"cannot set up TLS: {error}"))
                return None
            if "client_key" in spec and not encrypted:
                name = f"{str(where[-1]).upper().replace('-', '_')}_CLIENT_KEY_PASSWORD"
                written = spec["client_key"]
                warning = client_key.unencrypted(config_dir / written, written, name)
                warnings.append(document.problem([*where, "tls", "client_key"], warning))
        return cls(credential, tls)


def _secret(
    document: yamlfiles.YamlDocument,
    where: list[str | int],
    spec: dict[str, str],
    environ: Mapping[str, str],
    problems: list[Problem],
) -> str | None:
    """The value of the secret ``{env: NAME}`` names, or None with the problem told. The
    environment wins; ``loading`` has put the secrets file's values beside it."""
    name = spec["env"]
    value = environ.get(name)
    if not value:
        problems.append(
            document.problem(
                [*where, "env"],
                f"{name} is not set: neither in the environment nor in the secrets file "
                f"(poortwachter secrets set {name})",
            )
        )
        return None
    return value


def base_url(text: str) -> tuple[URL | None, str]:
    """``text`` as a base URL ending in ``/`` (added if missing), or None and why it cannot be one.

    People write ``http://127.0.0.1:8080`` as often as ``http://127.0.0.1:8080/``; both mean the
    same base. What cannot be a base is refused here, at start-up, so that it never turns into
    a refusal of every caller's request: credentials in the URL (they would be sent along and
    end up in logs), a query or fragment, or dot segments (which would be resolved away, so the
    base would not be the one written). ``loading`` then checks that the forward step can build
    a request on the base.
    """
    try:
        url = URL(text)
        url.port  # noqa: B018 - yarl checks the port only when it is read
    except (ValueError, TypeError):
        return None, "is not a URL"
    if url.scheme not in ("http", "https") or not url.host:
        return None, "is not an http:// or https:// URL with a host"
    if url.user is not None or url.password is not None:
        return None, "carries a user name or password; use credentials: in this file instead"
    if url.query_string or url.fragment or "?" in text or "#" in text:
        return None, "has a query or fragment; a base URL has neither"
    written = urlsplit(text).path.split("/")
    if any(segment.lower().replace("%2e", ".") in (".", "..") for segment in written):
        return None, "has dot segments in its path; write the path they stand for"
    if not str(url).endswith("/"):
        url = URL(str(url) + "/", encoded=True)
    return url, ""


def _tls_context(
    config_dir: Path, spec: dict[str, Any], passphrase: tuple[str, str] | None
) -> tuple[ssl.SSLContext, bool]:
    """The context for ``spec``, and whether its client key (if any) is encrypted."""
    ca_file = spec.get("ca_file")
    context = ssl.create_default_context(cafile=str(config_dir / ca_file) if ca_file else None)
    context.minimum_version = _TLS_VERSIONS[spec.get("min_version", "1.2")]
    encrypted = False
    if "client_cert" in spec:
        encrypted = client_key.present(
            context, config_dir / spec["client_cert"], config_dir / spec["client_key"], passphrase
        )
    return context, encrypted
