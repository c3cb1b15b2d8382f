"""Source systems the gateway calls for a pull: ``config/sources.yaml``.

A supplier that pulls (UWLR) calls the gateway at ``/uwlr/<supplier>/leerlinggegevens``; the
gateway calls the LAS that holds the school the request names, at the URL of its UWLR
HaalLeerlinggegevens service, and answers with what the supplier's agreement allows of the
LAS's answer. The LAS is the school's own system, not a supplier: it has its own file, so that
a supplier's slug can never reach it and ``/proxy/`` can never send to it. Each URL is
overridden by ``GATEWAY_LAS_<NAME>`` (name upper-cased, ``-`` as ``_``). The file is optional:
without it no pull is possible, and every pull is refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from yarl import URL

from gateway.register import suppliers, yamlfiles
from gateway.register.schools import School, SchoolScope
from gateway.register.suppliers import Supplier, SupplierConfigError
from gateway.register.yamlfiles import Problem


@dataclass(frozen=True, slots=True)
class Source:
    """One LAS: where its UWLR leerlinggegevens service is, and the schools it holds."""

    name: str
    leerlinggegevens: URL
    schools: SchoolScope
    # The connection settings in the shape the forward step sends with (slug: the name).
    endpoint: Supplier = field(repr=False)


@dataclass(frozen=True, slots=True)
class Sources:
    by_name: Mapping[str, Source] = field(default_factory=dict)

    def holding(self, school: School) -> Source | None:
        """The source that holds ``school``'s data, or None."""
        return next((s for s in self.by_name.values() if s.schools.covers(school)), None)


def env_name(name: str) -> str:
    return "GATEWAY_LAS_" + name.upper().replace("-", "_")


def load(
    path: Path,
    schemas_dir: Path,
    environ: Mapping[str, str],
    warnings: list[Problem] | None = None,
) -> Sources:
    """The sources in ``path`` (none when it does not exist); SupplierConfigError on problems,
    and what should not stay as it is (a client key in the clear) added to ``warnings``."""
    warnings = [] if warnings is None else warnings
    if not path.exists():
        return Sources()
    try:
        document = yamlfiles.read(path)
    except yamlfiles.YamlFileError as error:
        raise SupplierConfigError([error.problem]) from error
    schema = json.loads((schemas_dir / "sources.schema.json").read_text(encoding="utf-8"))
    errors = sorted(
        Draft202012Validator(schema).iter_errors(document.data), key=lambda e: list(e.path)
    )
    if errors:
        raise SupplierConfigError([document.problem(list(e.path), e.message) for e in errors])
    found: dict[str, Source] = {}
    problems: list[Problem] = []
    for name, raw in document.data["sources"].items():
        source = _source(document, path.parent, name, raw, environ, problems, warnings)
        if source is not None:
            found[name] = source
    if problems:
        raise SupplierConfigError(problems)
    return Sources(found)


def _source(
    document: yamlfiles.YamlDocument,
    config_dir: Path,
    name: str,
    raw: dict[str, Any],
    environ: Mapping[str, str],
    problems: list[Problem],
    warnings: list[Problem],
) -> Source | None:
    where: list[str | int] = ["sources", name]
    text = environ.get(env_name(name)) or raw["leerlinggegevens"]
    said = env_name(name) if env_name(name) in environ else "leerlinggegevens"
    base, unusable = suppliers.base_url(text)
    if base is None:
        problems.append(document.problem([*where, "leerlinggegevens"], f"{said} {unusable}"))
        return None
    url = URL(text)  # the service's own address: nothing is appended to it
    access = suppliers.Access.of(
        document, config_dir, where, raw, environ, url.scheme, problems, warnings
    )
    if access is None:
        return None
    endpoint = Supplier(
        slug=name,
        upstream=base,
        connect_timeout=float(raw.get("connect_timeout", 5)),
        read_timeout=float(raw.get("read_timeout", 120)),
        credential=access.credential,
        tls=access.tls,
    )
    return Source(name, url, SchoolScope.of(raw["schools"]), endpoint)
