"""Contract files: ``contracts/*.yaml``, one version of one agreement each.

``load(contracts_dir, ...)`` validates every file against ``schemas/contract.schema.json`` and
checks what a schema cannot: that field paths exist in the payload format, that every
special-category field carries a legal basis, that dates are in order, that the supplier has an
endpoint, and that no two versions of a supplier's agreement are in force for a school on the
same day. It returns the agreements together with every problem found, so that
``poortwachter check`` can list them all at once and the gateway can refuse to start.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match

from gateway.formats import fieldpaths, transforms
from gateway.formats.json_compiled import CompiledPolicy
from gateway.formats.payload_schema import PayloadSchema
from gateway.formats.values import NARROWING_KEYS
from gateway.register import xml_routes, yamlfiles
from gateway.register.agreements import (
    Agreement,
    Lifecycle,
    Route,
    SpecialCategory,
    Status,
    ValueHandling,
)
from gateway.register.details import (
    Contact,
    RegisterDetails,
    Review,
    Signatory,
    Storage,
    SubProcessor,
)
from gateway.register.policy import FieldPolicy, PolicyError
from gateway.register.schools import SchoolScope
from gateway.register.yamlfiles import Problem


@dataclass(frozen=True)
class ContractSet:
    agreements: tuple[Agreement, ...]
    problems: tuple[Problem, ...]
    notices: tuple[Problem, ...] = ()  # facts not yet recorded: warnings, not refusals


@dataclass(frozen=True, slots=True)
class ContractText:
    """One contract file's text, as read from ``contracts/`` or kept in the database."""

    name: str  # the file it came from
    text: str
    document_sha256: str | None = None  # of the signed document beside it, if there is one


def validator(schemas_dir: Path) -> Draft202012Validator:
    schema = json.loads((schemas_dir / "contract.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def read(contracts_dir: Path) -> tuple[list[ContractText], list[Problem]]:
    """The text of every contract file in ``contracts_dir``, and what could not be read."""
    texts: list[ContractText] = []
    problems: list[Problem] = []
    files = sorted(contracts_dir.glob("*.yaml")) + sorted(contracts_dir.glob("*.yml"))
    if not files:
        problems.append(Problem(str(contracts_dir), "", None, "no contract files (*.yaml)"))
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(str(path), "", None, f"cannot read: {error}"))
            continue
        document = path.with_suffix(".pdf")
        digest = hashlib.sha256(document.read_bytes()).hexdigest() if document.is_file() else None
        texts.append(ContractText(str(path), text, digest))
    return texts, problems


def load(
    contracts_dir: Path,
    schemas_dir: Path,
    payload_schemas: Mapping[str, PayloadSchema],
    suppliers: Iterable[str],
) -> ContractSet:
    texts, unreadable = read(contracts_dir)
    found = load_texts(texts, schemas_dir, payload_schemas, suppliers)
    return ContractSet(found.agreements, (*unreadable, *found.problems), found.notices)


def load_texts(
    texts: Iterable[ContractText],
    schemas_dir: Path,
    payload_schemas: Mapping[str, PayloadSchema],
    suppliers: Iterable[str],
) -> ContractSet:
    check = validator(schemas_dir)
    known_suppliers = set(suppliers)
    agreements: list[Agreement] = []
    problems: list[Problem] = []
    notices: list[Problem] = []
    for contract in texts:
        try:
            document = yamlfiles.parse(contract.text, contract.name)
        except yamlfiles.YamlFileError as error:
            problems.append(error.problem)
            continue
        # For a oneOf/anyOf error, the error of the branch that came closest says what is wrong.
        schema_errors = sorted(
            (best_match([error]) for error in check.iter_errors(document.data)),
            key=lambda e: list(e.path),
        )
        if schema_errors:
            problems.extend(document.problem(list(e.path), e.message) for e in schema_errors)
            # and what the field checks still find in the routes the schema errors leave legible
            problems.extend(_legible_route_problems(document, payload_schemas))
            continue
        agreement, found = _agreement(
            document, payload_schemas, known_suppliers, contract, schemas_dir
        )
        problems.extend(found)
        if agreement is not None and not found:
            agreements.append(agreement)
            notices.extend(document.problem(w, m) for w, m in agreement.details.missing())
    problems.extend(_overlaps(agreements))
    return ContractSet(tuple(agreements), tuple(problems), tuple(notices))


def _agreement(
    document: yamlfiles.YamlDocument,
    payload_schemas: Mapping[str, PayloadSchema],
    suppliers: set[str],
    contract: ContractText,
    schemas_dir: Path,
) -> tuple[Agreement | None, list[Problem]]:
    data: dict[str, Any] = document.data
    problems: list[Problem] = []
    slug = data["supplier"]["slug"]
    if slug not in suppliers:
        problems.append(
            document.problem(
                ["supplier", "slug"],
                f"supplier {slug!r} has no endpoint in config/suppliers.yaml",
            )
        )
    terms = data["agreement"]
    valid_from = date.fromisoformat(terms["valid_from"])
    try:
        valid_until, until_time = _until(terms.get("valid_until"))
    except ValueError:
        problems.append(
            document.problem(
                ["agreement", "valid_until"],
                f"{terms['valid_until']!r} is not a date (2027-07-31) or a local time "
                "(2027-07-31T17:00:00)",
            )
        )
        valid_until, until_time = None, None
    if valid_until is not None and valid_until < valid_from:
        problems.append(
            document.problem(["agreement", "valid_until"], "valid_until is before valid_from")
        )
    lifecycle = None
    if "lifecycle" in terms:
        lifecycle = Lifecycle(
            Status(terms["lifecycle"]["status"]),
            date.fromisoformat(terms["lifecycle"]["since"]),
            terms["lifecycle"]["reason"],
            _day(terms["lifecycle"].get("deletion_confirmed")),
        )
        if lifecycle.deletion_confirmed is not None and lifecycle.status is not Status.TERMINATED:
            problems.append(
                document.problem(
                    ["agreement", "lifecycle", "deletion_confirmed"],
                    "deletion is confirmed only after a termination (status: terminated)",
                )
            )
    handling = data.get("values", {})
    values = ValueHandling(
        block_invalid=handling.get("on_invalid", "strip") == "block",
        block_content=frozenset(
            kind for kind, action in handling.get("inspection", {}).items() if action == "block"
        ),
    )
    routes = []
    seen: set[tuple[str, str]] = set()
    for index, raw in enumerate(data["routes"]):
        where: list[str | int] = ["routes", index]
        key = (raw["method"], raw["path"])
        if key in seen:
            problems.append(document.problem(where, f"route {' '.join(key)} is listed twice"))
        seen.add(key)
        mismatch = _payload_mismatch(raw)
        if mismatch is not None:
            route, found = None, [document.problem([*where, mismatch[0]], mismatch[1])]
        elif xml_routes.is_xml(raw.get("payload", "las-sync")):
            route, found = _xml_route(document, where, raw, schemas_dir)
        else:
            route, found = _route(document, where, raw, payload_schemas, values)
        problems.extend(found)
        if route is not None:
            routes.append(route)
    agreement = Agreement(
        supplier=slug,
        supplier_name=data["supplier"]["name"],
        reference=terms["reference"],
        version=terms["version"],
        signed=date.fromisoformat(terms["signed"]),
        valid_from=valid_from,
        valid_until=valid_until,
        lifecycle=lifecycle,
        schools=SchoolScope.of(data["schools"]),
        purposes=tuple(data["purposes"]),
        legal_basis=data["legal_basis"],
        retention=data["retention"],
        sub_processors=tuple((s["name"], s["country"]) for s in data["sub_processors"] or []),
        routes=tuple(routes),
        source=document.file,
        draft=bool(terms.get("draft", False)),
        until_time=until_time,
        details=_details(document, data, contract, problems),
        processors=tuple(
            SubProcessor(s["name"], s["country"], s["purpose"], s.get("location"))
            for s in data["sub_processors"] or []
        ),
        sha256=hashlib.sha256(contract.text.encode("utf-8")).hexdigest(),
        text=contract.text,
    )
    return agreement, problems


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _until(text: str | None) -> tuple[date | None, time | None]:
    """``valid_until`` as its day, and the local time it ends that day (None: at the day's end)."""
    if not text:
        return None, None
    if "T" not in text:
        return date.fromisoformat(text), None
    moment = datetime.fromisoformat(text)
    return moment.date(), moment.time()


def _details(
    document: yamlfiles.YamlDocument,
    data: dict[str, Any],
    contract: ContractText,
    problems: list[Problem],
) -> RegisterDetails:
    supplier, terms, storage = data["supplier"], data["agreement"], data.get("storage")
    contact, signed_by, review = supplier["contact"], terms["signed_by"], terms["review"]
    digest = terms["document_sha256"]
    document_file = None
    if contract.document_sha256 is not None:
        document_file = str(Path(contract.name).with_suffix(".pdf").name)
        if digest is not None and digest != contract.document_sha256:
            problems.append(
                document.problem(
                    ["agreement", "document_sha256"],
                    f"the signed document beside it ({document_file}) has another SHA-256: "
                    "the file or the hash is not the signed one",
                )
            )
        digest = contract.document_sha256
    return RegisterDetails(
        product=supplier["product"],
        contact=None if contact is None else Contact(**contact),
        bijsluiter_url=supplier["bijsluiter_url"],
        model_version=terms["model_version"],
        privacyconvenant=terms["privacyconvenant"],
        signed_by=None if signed_by is None else Signatory(**signed_by),
        document_sha256=digest,
        document_file=document_file,
        security_annex=terms["security_annex"],
        review=None
        if review is None
        else Review(
            review["status"],
            date.fromisoformat(review["next_review"]),
            review.get("by"),
            _day(review.get("reviewed")),
        ),
        storage=None
        if storage is None
        else Storage(bool(storage["eu"]), tuple(storage["countries"])),
        sub_processors_recorded=data["sub_processors"] is not None,
    )


def _payload_mismatch(raw: dict[str, Any]) -> tuple[str, str] | None:
    """The key and the problem where a route's keys do not fit its payload, or None."""
    if xml_routes.is_xml(raw.get("payload", "las-sync")):
        if "fields" in raw:
            return "fields", "an XML route names no fields: its profile is the allowlist"
        return None
    if raw.get("direction", xml_routes.PUSH) != xml_routes.PUSH:
        return "direction", "only a UWLR answer (payload: uwlr-<version>-<set>) is pulled"
    if "xml" in raw:
        return "xml", "xml: is for a route whose payload is a UWLR profile"
    if "fields" not in raw:
        return "fields", "a route with a JSON payload lists the fields it allows"
    return None


def _xml_route(
    document: yamlfiles.YamlDocument, where: list[str | int], raw: dict[str, Any], schemas_dir: Path
) -> tuple[Route | None, list[Problem]]:
    """A route carrying XML: its profile is its allowlist (docs/exchanges.md)."""
    handling, found = xml_routes.handling(raw, schemas_dir)
    problems = []
    for entry in found:
        key, _, message = entry.partition("\0")
        steps: list[str | int] = [int(s) if s.isdigit() else s for s in key.split("/")]
        problems.append(document.problem([*where, *steps], message))
    if handling is None:
        return None, problems
    empty = FieldPolicy.from_paths([])
    route = Route(
        method=raw["method"],
        path=raw["path"],
        payload=raw["payload"],
        # The console lists what a route lets through: the profile's paths.
        policy=FieldPolicy(empty.root, handling.allowlist.allowed_paths()),
        query=frozenset(raw.get("query", [])),
        special_categories=(),
        xml=handling,
    )
    return route, problems


def _legible_route_problems(
    document: yamlfiles.YamlDocument, payload_schemas: Mapping[str, PayloadSchema]
) -> list[Problem]:
    """The field checks of each route whose fields can be read, in a file with schema errors:
    so that ``check`` lists every problem of a file at once, not the schema's first."""
    routes = document.data.get("routes") if isinstance(document.data, dict) else None
    problems: list[Problem] = []
    for index, raw in enumerate(routes if isinstance(routes, list) else []):
        if not isinstance(raw, dict) or raw.get("payload", "las-sync") not in payload_schemas:
            continue
        fields = raw.get("fields")
        if not (isinstance(fields, list) and all(_legible_field(f) for f in fields)):
            continue
        specials = raw.get("special_categories", [])
        legible = isinstance(specials, list) and all(
            isinstance(e, dict) and isinstance(e.get("field"), str) and "legal_basis" in e
            for e in specials
        )
        route = {"method": "", "path": "", **raw, "fields": fields}
        route["special_categories"] = specials if legible else []
        found = _route(document, ["routes", index], route, payload_schemas, ValueHandling())[1]
        problems.extend(found)
    return problems


def _legible_field(entry: Any) -> bool:
    """A fields entry the field checks can read: a path, or an object with a path."""
    return isinstance(entry, str) or (
        isinstance(entry, dict) and isinstance(entry.get("path"), str)
    )


def _route(
    document: yamlfiles.YamlDocument,
    where: list[str | int],
    raw: dict[str, Any],
    payload_schemas: Mapping[str, PayloadSchema],
    values: ValueHandling,
) -> tuple[Route | None, list[Problem]]:
    problems: list[Problem] = []
    schema = payload_schemas[raw.get("payload", "las-sync")]
    entries: list[str | dict[str, Any]] = raw["fields"]
    fields = [e if isinstance(e, str) else e["path"] for e in entries]
    for index, path in enumerate(fields):
        if path in fields[:index]:
            problems.append(
                document.problem([*where, "fields", index], f"{path!r} is listed twice")
            )
    unfit = set()
    for index, path in enumerate(fields):
        try:
            mismatch = schema.mismatch(path)
        except fieldpaths.FieldPathError as error:
            mismatch = str(error)
        if mismatch is not None:
            unfit.add(path)
            problems.append(document.problem([*where, "fields", index], mismatch))
    justified: dict[str, str] = {}
    for index, entry in enumerate(raw.get("special_categories", [])):
        if entry["field"] not in fields:
            problems.append(
                document.problem(
                    [*where, "special_categories", index, "field"],
                    f"{entry['field']!r} is not among this route's fields",
                )
            )
        justified[entry["field"]] = entry["legal_basis"]
    special: list[SpecialCategory] = []
    for index, path in enumerate(fields):
        if path in unfit:
            continue
        category = schema.special_category(path)
        if category is None:
            continue
        if path not in justified:
            problems.append(
                document.problem(
                    [*where, "fields", index],
                    f"{path!r} is special-category data ({category}): name it under "
                    "special_categories with the legal basis that allows it",
                )
            )
        else:
            special.append(SpecialCategory(path, category, justified[path]))
    narrowing, allow_content, found = _narrowing(document, where, entries, schema, unfit, justified)
    problems.extend(found)
    transformed, consents, found = _conditions(document, where, entries, schema, unfit, narrowing)
    problems.extend(found)
    try:
        policy = FieldPolicy.from_paths(
            fields, schema, narrowing, allow_content, transformed, consents
        )
    except (PolicyError, fieldpaths.FieldPathError) as error:
        problems.append(document.problem([*where, "fields"], str(error)))
        return None, problems
    route = Route(
        method=raw["method"],
        path=raw["path"],
        payload=schema.name,
        policy=policy,
        query=frozenset(raw.get("query", [])),
        special_categories=tuple(special),
        compiled=None if problems else CompiledPolicy(policy, schema),
        values=values,
    )
    return route, problems


def _narrowing(
    document: yamlfiles.YamlDocument,
    where: list[str | int],
    entries: list[str | dict[str, Any]],
    schema: PayloadSchema,
    unfit: set[str],
    justified: Mapping[str, str],
) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]], list[Problem]]:
    """A route's field entries that narrow their field's values: never wider than the schema,
    and an identifier let through is special-category data where it is a BSN."""
    narrowing: dict[str, dict[str, Any]] = {}
    allow_content: dict[str, list[str]] = {}
    problems: list[Problem] = []
    for index, entry in enumerate(entries):
        if isinstance(entry, str) or entry["path"] in unfit:
            continue
        at = [*where, "fields", index]
        path = entry["path"]
        rule = schema.rules.get(path)
        limits = {k: v for k, v in entry.items() if k in NARROWING_KEYS}
        if rule is None and not limits and "allow_content" not in entry:
            continue  # a consent or a transformation only: checked in _conditions
        if rule is None:
            problems.append(document.problem(at, f"{path!r} is not a value whose rule can narrow"))
            continue
        problems.extend(document.problem(at, f"{path!r}: {p}") for p in rule.widening(limits))
        narrowing[path] = limits
        if "allow_content" in entry:
            allow_content[path] = entry["allow_content"]
            if "bsn" in entry["allow_content"] and path not in justified:
                problems.append(
                    document.problem(
                        [*at, "allow_content"],
                        f"{path!r} may carry a BSN: that makes it special-category data, "
                        "name it under special_categories with the legal basis that allows it",
                    )
                )
    return narrowing, allow_content, problems


def _conditions(
    document: yamlfiles.YamlDocument,
    where: list[str | int],
    entries: list[str | dict[str, Any]],
    schema: PayloadSchema,
    unfit: set[str],
    narrowing: Mapping[str, Mapping[str, Any]],
) -> tuple[dict[str, str], dict[str, str], list[Problem]]:
    """A route's transformations and consent conditions, each checked against the schema: a
    transformation takes the field's type and makes what its rule allows (or a rule of its
    own: a year, an age, four digits); a consent is a boolean of the same pupil's record."""
    transformed: dict[str, str] = {}
    consents: dict[str, str] = {}
    problems: list[Problem] = []
    for index, entry in enumerate(entries):
        if isinstance(entry, str) or entry["path"] in unfit:
            continue
        at = [*where, "fields", index]
        path = entry["path"]
        if "transform" in entry:
            name = entry["transform"]
            rule = schema.rules.get(path)
            why = transforms.unfit(name, rule)
            if why is None and name == "pseudonym" and rule is not None:
                sample = "0" * transforms.PSEUDONYM_LENGTH
                if rule.narrowed(narrowing.get(path, {})).violation(sample) is not None:
                    why = (
                        f"a pseudonym ({transforms.PSEUDONYM_LENGTH} hexadecimal characters) "
                        "would break this field's rule"
                    )
            if why is not None:
                problems.append(document.problem([*at, "transform"], f"{path!r}: {why}"))
            else:
                transformed[path] = name
        if "requires_consent" in entry:
            why = _consent_unfit(path, entry["requires_consent"], schema)
            if why is not None:
                problems.append(document.problem([*at, "requires_consent"], f"{path!r}: {why}"))
            else:
                consents[path] = entry["requires_consent"]
    return transformed, consents, problems


def _consent_unfit(path: str, consent: str, schema: PayloadSchema) -> str | None:
    """Why ``consent`` cannot condition ``path``, or None."""
    record, _, key = path.rpartition(".")
    if not record.endswith("[]"):
        return (
            "requires_consent is for a field of a record (a key of an array's items, "
            "leerlingen[].foto_url)"
        )
    key = key.removesuffix("[]")
    if key in schema.required.get(record, ()):
        return "a key every record must have cannot depend on a consent"
    if consent.split(".")[0] == key:
        return "a field cannot depend on a consent inside itself"
    at = f"{record}.{consent}"
    rule = schema.rules.get(at)
    if rule is None or "boolean" not in rule.types or not rule.types <= {"boolean", "null"}:
        return f"requires_consent {consent!r}: {at!r} is not a boolean in the payload schema"
    return None


def _overlaps(agreements: list[Agreement]) -> list[Problem]:
    """Two versions of one supplier's agreement may not both be in force for a school on a day."""
    problems = []
    for i, first in enumerate(agreements):
        for second in agreements[i + 1 :]:
            if first.supplier != second.supplier or first.draft or second.draft:
                continue
            if not _schools_overlap(first.schools, second.schools):
                continue
            if not _dates_overlap(first, second):
                continue
            problems.append(
                Problem(
                    second.source,
                    "agreement",
                    None,
                    f"{second.label} and {first.label} ({first.source}) are both in force for "
                    f"some school of {second.supplier!r} on the same days; end one with "
                    "valid_until",
                )
            )
    return problems


def _schools_overlap(a: SchoolScope, b: SchoolScope) -> bool:
    if a.every_school or b.every_school:
        return True
    return any(a.covers(s) and b.covers(s) for s in a.codes | b.codes)


def _dates_overlap(a: Agreement, b: Agreement) -> bool:
    return a.valid_from <= _last_day(b) and b.valid_from <= _last_day(a)


def _last_day(agreement: Agreement) -> date:
    end = agreement.valid_until or date.max
    if agreement.lifecycle is not None and agreement.lifecycle.status is Status.TERMINATED:
        end = min(end, agreement.lifecycle.since - timedelta(days=1))
    return end
