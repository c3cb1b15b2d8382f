"""Suppliers' endpoints: ``config/suppliers.yaml``, each upstream overridable from the environment.

``GATEWAY_UPSTREAM_<SLUG>`` (slug upper-cased, ``-`` as ``_``) replaces a supplier's base URL, so
that tests, demos and each installation can point a supplier anywhere without editing config.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft202012Validator
from yarl import URL

from gateway import yamlfiles
from gateway.yamlfiles import Problem


@dataclass(frozen=True, slots=True)
class Supplier:
    slug: str
    upstream: URL
    connect_timeout: float
    read_timeout: float


class SupplierConfigError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def env_name(slug: str) -> str:
    return "GATEWAY_UPSTREAM_" + slug.upper().replace("-", "_")


def load(path: Path, schemas_dir: Path, environ: Mapping[str, str]) -> dict[str, Supplier]:
    try:
        document = yamlfiles.read(path)
    except yamlfiles.YamlFileError as error:
        raise SupplierConfigError([error.problem]) from error
    schema = json.loads((schemas_dir / "suppliers.schema.json").read_text(encoding="utf-8"))
    errors = sorted(
        Draft202012Validator(schema).iter_errors(document.data), key=lambda e: list(e.path)
    )
    if errors:
        raise SupplierConfigError([document.problem(list(e.path), e.message) for e in errors])
    suppliers = {}
    problems = []
    for slug, raw in document.data["suppliers"].items():
        upstream = environ.get(env_name(slug)) or raw["upstream"]
        url = URL(upstream)
        if url.scheme not in ("http", "https") or not url.host or url.query_string or url.fragment:
            source = env_name(slug) if env_name(slug) in environ else "upstream"
            problems.append(
                document.problem(
                    ["suppliers", slug, "upstream"],
                    f"{source}={upstream!r} is not an http(s) base URL without query or fragment",
                )
            )
            continue
        if not url.path.endswith("/"):
            url = url.with_path(url.path + "/")
        suppliers[slug] = Supplier(
            slug=slug,
            upstream=url,
            connect_timeout=float(raw.get("connect_timeout", 5)),
            read_timeout=float(raw.get("read_timeout", 30)),
        )
    if problems:
        raise SupplierConfigError(problems)
    return suppliers
