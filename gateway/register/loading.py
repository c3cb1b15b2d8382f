"""Reading what the gateway enforces: payload schemas, supplier endpoints and contracts.

Used at start-up (the gateway refuses to start on any problem) and by ``poortwachter check``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from gateway.formats import payload_schema
from gateway.formats.payload_schema import PayloadSchema
from gateway.problems import Rejected
from gateway.register import contract_files, sources, suppliers
from gateway.register.register import AgreementRegister
from gateway.register.suppliers import Supplier
from gateway.register.yamlfiles import Problem
from gateway.settings import Settings
from gateway.transfer import forward


class InvalidConfiguration(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Enforced:
    suppliers: dict[str, Supplier]
    payload_schemas: dict[str, PayloadSchema]
    register: AgreementRegister
    sources: sources.Sources = field(default_factory=sources.Sources)  # the LAS, for pulls


def _unusable(settings: Settings, supplier: Supplier) -> Problem | None:
    """A problem if the forward step would refuse every path on this supplier's base URL."""
    try:
        forward.upstream_url(supplier, "sync", [])
    except Rejected:
        return Problem(
            str(settings.suppliers_file),
            f"suppliers.{supplier.slug}.upstream",
            None,
            f"{supplier.upstream} cannot be used as a base URL: no request could be sent on it",
        )
    return None


def load(settings: Settings, environ: Mapping[str, str]) -> Enforced:
    """Everything the gateway enforces, or InvalidConfiguration listing every problem: those
    of the supplier config and of every contract file together."""
    schemas = {
        name: payload_schema.load(settings.schemas_dir, name)
        for name in payload_schema.PAYLOAD_FORMATS
    }
    problems: list[Problem] = []
    endpoints: dict[str, Supplier] = {}
    try:
        endpoints = suppliers.load(settings.suppliers_file, settings.schemas_dir, environ)
        named: Iterable[str] = endpoints
    except suppliers.SupplierConfigError as error:
        problems.extend(error.problems)
        named = error.slugs  # contracts are still checked against the suppliers it names
    problems.extend(p for p in map(functools.partial(_unusable, settings), endpoints.values()) if p)
    las = sources.Sources()
    try:
        las = sources.load(settings.config_dir / "sources.yaml", settings.schemas_dir, environ)
    except suppliers.SupplierConfigError as error:
        problems.extend(error.problems)
    found = contract_files.load(settings.contracts_dir, settings.schemas_dir, schemas, named)
    problems.extend(found.problems)
    if problems:
        raise InvalidConfiguration(problems)
    return Enforced(endpoints, schemas, AgreementRegister(found.agreements), las)
