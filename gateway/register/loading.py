"""Reading what the gateway enforces: payload schemas, supplier endpoints and contracts.

Used at start-up (the gateway refuses to start on any problem) and by ``poortwachter check``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gateway.formats import payload_schema
from gateway.formats.payload_schema import PayloadSchema
from gateway.problems import Rejected
from gateway.register import contract_files, suppliers
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
    """Everything the gateway enforces, or InvalidConfiguration listing every problem."""
    schemas = {
        name: payload_schema.load(settings.schemas_dir, name)
        for name in payload_schema.PAYLOAD_FORMATS
    }
    try:
        endpoints = suppliers.load(settings.suppliers_file, settings.schemas_dir, environ)
    except suppliers.SupplierConfigError as error:
        raise InvalidConfiguration(error.problems) from error
    unusable = [_unusable(settings, supplier) for supplier in endpoints.values()]
    if any(unusable):
        raise InvalidConfiguration([problem for problem in unusable if problem is not None])
    found = contract_files.load(settings.contracts_dir, settings.schemas_dir, schemas, endpoints)
    if found.problems:
        raise InvalidConfiguration(list(found.problems))
    return Enforced(endpoints, schemas, AgreementRegister(found.agreements))
