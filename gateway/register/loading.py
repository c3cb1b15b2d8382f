"""Reading what the gateway enforces: payload schemas, supplier endpoints and contracts.

Used at start-up (the gateway refuses to start on any problem) and by ``poortwachter check``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gateway.formats import payload_schema
from gateway.formats.payload_schema import PayloadSchema
from gateway.register import contract_files, suppliers
from gateway.register.register import AgreementRegister
from gateway.register.suppliers import Supplier
from gateway.register.yamlfiles import Problem
from gateway.settings import Settings


class InvalidConfiguration(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Enforced:
    suppliers: dict[str, Supplier]
    payload_schemas: dict[str, PayloadSchema]
    register: AgreementRegister


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
    found = contract_files.load(settings.contracts_dir, settings.schemas_dir, schemas, endpoints)
    if found.problems:
        raise InvalidConfiguration(list(found.problems))
    return Enforced(endpoints, schemas, AgreementRegister(found.agreements))
