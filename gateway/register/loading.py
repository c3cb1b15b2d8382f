"""Reading what the gateway enforces: payload schemas, supplier endpoints and contracts.

Used at start-up (the gateway refuses to start on any problem) and by ``poortwachter check``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from gateway.access import secrets
from gateway.formats import payload_schema
from gateway.formats.payload_schema import PayloadSchema
from gateway.problems import Rejected
from gateway.register import contract_files, school_list, sources, suppliers
from gateway.register.agreements import Agreement
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
    notices: tuple[Problem, ...] = ()  # facts not yet recorded: warnings for `check`
    texts: tuple[contract_files.ContractText, ...] = ()  # the contract files as read
    schools_text: str | None = None  # config/schools.yaml as read (None: no such file)
    sources: sources.Sources = field(default_factory=sources.Sources)  # the LAS, for pulls
    # Config that works but should not stay as it is (a client key in the clear): warnings
    # for `check` and for the log at start-up.
    warnings: tuple[Problem, ...] = ()


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
    warnings: list[Problem] = []
    endpoints: dict[str, Supplier] = {}
    if settings.secrets_file is not None and settings.secrets_key_file is not None:
        files = secrets.SecretFiles(settings.secrets_file, settings.secrets_key_file)
        environ = secrets.with_secrets(files, environ)  # credentials, key passphrases
    try:
        endpoints = suppliers.load(settings.suppliers_file, settings.schemas_dir, environ, warnings)
        named: Iterable[str] = endpoints
    except suppliers.SupplierConfigError as error:
        problems.extend(error.problems)
        named = error.slugs  # contracts are still checked against the suppliers it names
    problems.extend(p for p in map(functools.partial(_unusable, settings), endpoints.values()) if p)
    las = sources.Sources()
    try:
        las = sources.load(
            settings.config_dir / "sources.yaml", settings.schemas_dir, environ, warnings
        )
    except suppliers.SupplierConfigError as error:
        problems.extend(error.problems)
    texts, unreadable = contract_files.read(settings.contracts_dir)
    problems.extend(unreadable)
    found = contract_files.load_texts(texts, settings.schemas_dir, schemas, named)
    problems.extend(found.problems)
    schools_file = settings.config_dir / "schools.yaml"
    try:
        schools_text = school_list.read(schools_file)
    except (OSError, UnicodeDecodeError) as error:
        problems.append(Problem(str(schools_file), "", None, f"cannot read: {error}"))
        schools_text = None
    schools, school_problems, notices = school_list.load_text(
        schools_text, str(schools_file), settings.schemas_dir
    )
    problems.extend(school_problems)
    if problems:
        raise InvalidConfiguration(problems)
    notices.extend(found.notices)
    notices.extend(_unknown_schools(found.agreements, schools))
    return Enforced(
        endpoints,
        schemas,
        AgreementRegister(found.agreements, schools),
        tuple(notices),
        tuple(texts),
        schools_text,
        las,
        tuple(warnings),
    )


def register_from_texts(
    settings: Settings,
    texts: Iterable[contract_files.ContractText],
    schools_text: str | None,
    suppliers: Iterable[str],
    payload_schemas: Mapping[str, PayloadSchema],
    generation: int,
) -> AgreementRegister:
    """The register of contract texts and school list kept in the database (a reload, maybe by
    another process); InvalidConfiguration if they do not load here."""
    found = contract_files.load_texts(texts, settings.schemas_dir, payload_schemas, suppliers)
    schools, problems, _ = school_list.load_text(
        schools_text, "config/schools.yaml", settings.schemas_dir
    )
    if found.problems or problems:
        raise InvalidConfiguration([*found.problems, *problems])
    return AgreementRegister(found.agreements, schools, generation)


def _unknown_schools(
    agreements: Iterable[Agreement], schools: school_list.SchoolList
) -> list[Problem]:
    """A warning for each school an agreement names that config/schools.yaml does not list."""
    notices = []
    for agreement in agreements:
        if agreement.schools.every_school:
            continue
        for code in schools.unknown_codes(agreement.schools.as_list()):
            notices.append(
                Problem(
                    agreement.source,
                    "schools",
                    None,
                    f"school {code} is not in config/schools.yaml (no school there has this "
                    "BRIN code): add it, or fill in its BRIN",
                )
            )
    return notices
