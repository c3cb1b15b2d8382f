"""Seeing a change before it happens: ``poortwachter contracts diff`` and ``contracts dry-run``.

``diff OLD NEW`` compares two contract files route by route: fields added and removed, and for
each field that both allow, changes to its consent condition, transformation, narrowing or
special category; special categories, consents and transformations are flagged wherever they
appear. Exit code 0 when the contracts allow the same, 1 when they differ, 2 on an error (as
``diff`` does).

``dry-run CONTRACT --sample PAYLOAD.json`` filters a sample payload as the gateway would under
one route of the contract, without a database and without sending anything, and prints what
would be forwarded, transformed, withheld, stripped, invalid and flagged by inspection: field
paths and counts, never a value. Pseudonyms are made with a throwaway key, so the gateway's own
key is neither needed nor read.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import msgspec

from gateway.formats import fieldpaths, payload_schema
from gateway.formats.filtered import Counts, Filtered
from gateway.formats.transforms import Transforms
from gateway.problems import Refusal
from gateway.register import contract_files, yamlfiles
from gateway.register.agreements import Agreement, Route, Status
from gateway.register.schools import School, SchoolCodeError
from gateway.settings import Settings
from gateway.transfer import filter

FLAG_KEYS = ("requires_consent", "transform")


class PreviewError(ValueError):
    """One plain line for the command line: a file that cannot be used as asked."""


@dataclass(frozen=True)
class Contract:
    """One contract file, checked as ``poortwachter check`` would, with its field entries."""

    path: Path
    agreement: Agreement
    entries: dict[str, dict[str, dict[str, Any]]]  # route -> field path -> its entry


def add_actions(contract_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``contracts diff`` and ``contracts dry-run``, in the ``contracts`` command group."""
    diff = contract_commands.add_parser(
        "diff", help="what a new contract file changes, route by route (exit 1 if anything)"
    )
    diff.add_argument("old", type=Path, help="the contract file in force")
    diff.add_argument("new", type=Path, help="the changed contract file")
    diff.set_defaults(run=_diff)
    dry = contract_commands.add_parser(
        "dry-run",
        help="filter a sample payload under a contract without sending it: paths and counts",
    )
    dry.add_argument("contract", type=Path, help="a contract file")
    dry.add_argument("--sample", type=Path, required=True, help="a JSON payload file")
    dry.add_argument("--route", help="METHOD /path (default: the contract's first route)")
    dry.add_argument("--school", help="the school it is for (X-School), e.g. 99XX")
    dry.set_defaults(run=_dry_run)


# -- loading one contract file ---------------------------------------------------------------


def load(path: Path, settings: Settings) -> Contract:
    """The agreement of the contract file at ``path``; PreviewError on any problem."""
    if not path.is_file():
        raise PreviewError(f"{path}: no such contract file")
    try:
        document = yamlfiles.read(path)
    except yamlfiles.YamlFileError as error:
        raise PreviewError(str(error.problem)) from None
    data = document.data
    supplier = data.get("supplier") if isinstance(data, dict) else None
    slug = supplier.get("slug") if isinstance(supplier, dict) else None
    schemas = {
        name: payload_schema.load(settings.schemas_dir, name)
        for name in payload_schema.PAYLOAD_FORMATS
    }
    # The file alone, as the contracts directory would hold it; its supplier's endpoint is not
    # needed to see what it allows.
    with tempfile.TemporaryDirectory() as directory:
        copy = Path(directory) / "contract.yaml"
        shutil.copyfile(path, copy)
        found = contract_files.load(
            Path(directory), settings.schemas_dir, schemas, [slug] if isinstance(slug, str) else []
        )
        problems = [str(p).replace(str(copy), str(path)) for p in found.problems]
    if problems:
        raise PreviewError(f"{len(problems)} problem(s):\n  " + "\n  ".join(problems))
    [agreement] = found.agreements
    entries: dict[str, dict[str, dict[str, Any]]] = {}
    for raw in data["routes"]:
        fields = entries.setdefault(f"{raw['method']} {raw['path']}", {})
        for entry in raw["fields"]:
            written = {"path": entry} if isinstance(entry, str) else dict(entry)
            fields[written.pop("path")] = written
    return Contract(path, agreement, entries)


# -- diff ------------------------------------------------------------------------------------


MORE, LESS, OTHER = "more", "less", "other"  # what a change does to what may leave


def diff(old: Contract, new: Contract) -> list[str]:
    """The lines saying what ``new`` changes against ``old``; empty if they allow the same.
    The last line sums up how many changes let more data leave, and how many less."""
    lines: list[str] = []
    effects: Counter[str] = Counter()
    old_routes = {_name(r): r for r in old.agreement.routes}
    new_routes = {_name(r): r for r in new.agreement.routes}
    for name in sorted(old_routes.keys() - new_routes.keys()):
        lines.append(f"route {name}: removed")
        effects[LESS] += 1
    for name in sorted(new_routes.keys() - old_routes.keys()):
        lines.append(f"route {name}: added")
        effects[MORE] += 1
        for path, entry in sorted(new.entries[name].items()):
            lines.append(f"  + {path}{_flags(entry, new_routes[name], path)}")
    for name in sorted(old_routes.keys() & new_routes.keys()):
        changes = _route_changes(
            old.entries[name], new.entries[name], old_routes[name], new_routes[name]
        )
        if changes:
            lines.append(f"route {name}:")
            lines.extend(f"  {change}" for change, _ in changes)
            effects.update(effect for _, effect in changes)
    if lines:
        lines.append(
            f"{effects[MORE]} change(s) let more leave, {effects[LESS]} let less leave, "
            f"{effects[OTHER]} other"
        )
    return lines


def _route_changes(
    old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]], before: Route, after: Route
) -> list[tuple[str, str]]:
    changes = []
    for path in sorted(new.keys() - old.keys()):
        changes.append((f"+ {path}{_flags(new[path], after, path)}", MORE))
    for path in sorted(old.keys() - new.keys()):
        changes.append((f"- {path}{_flags(old[path], before, path)}", LESS))
    for path in sorted(old.keys() & new.keys()):
        was, now = old[path], new[path]
        for key, label, narrower, wider in (
            ("requires_consent", "consent", "only with consent", "WIDER: without consent"),
            ("transform", "transform", "leaves transformed", "WIDER: leaves as it is"),
        ):
            if was.get(key) == now.get(key):
                continue
            effect = LESS if key not in was else MORE if key not in now else OTHER
            note = {LESS: f" ({narrower})", MORE: f" ({wider})", OTHER: ""}[effect]
            line = f"~ {path}: {label} {was.get(key) or 'none'} -> {now.get(key) or 'none'}"
            changes.append((line + note, effect))
        narrowing = {k: v for k, v in was.items() if k not in FLAG_KEYS}
        narrowed = {k: v for k, v in now.items() if k not in FLAG_KEYS}
        if narrowing != narrowed:
            line = f"~ {path}: narrowing {_compact(narrowing)} -> {_compact(narrowed)}"
            changes.append((line, LESS if not narrowing else MORE if not narrowed else OTHER))
        was_special, now_special = _special(before, path), _special(after, path)
        if was_special != now_special:
            line = (
                f"~ {path}: special category legal basis {was_special or 'none'} -> "
                f"{now_special or 'none'}"
            )
            changes.append((line, OTHER))
    if before.query != after.query:
        line = f"~ query: {sorted(before.query)} -> {sorted(after.query)}"
        changes.append((line, OTHER))
    if before.values != after.values:
        line = "~ values: what happens to invalid values or found identifiers changed"
        changes.append((line, OTHER))
    return changes


def _flags(entry: dict[str, Any], route: Route, path: str) -> str:
    """What a reader must notice about a field: special category, consent, transformation."""
    flags = []
    special = next((s for s in route.special_categories if s.field == path), None)
    if special is not None:
        flags.append(f"SPECIAL CATEGORY: {special.category}")
    if "requires_consent" in entry:
        flags.append(f"consent: {entry['requires_consent']}")
    if "transform" in entry:
        flags.append(f"transform: {entry['transform']}")
    narrowing = {k: v for k, v in entry.items() if k not in FLAG_KEYS}
    if narrowing:
        flags.append(f"narrowed: {_compact(narrowing)}")
    return f"  [{'; '.join(flags)}]" if flags else ""


def _special(route: Route, path: str) -> str | None:
    return next((s.legal_basis for s in route.special_categories if s.field == path), None)


def _compact(values: dict[str, Any]) -> str:
    if not values:
        return "none"
    return "{" + ", ".join(f"{k}: {v}" for k, v in sorted(values.items())) + "}"


def _name(route: Route) -> str:
    return f"{route.method} {route.path}"


def _diff(args: argparse.Namespace, settings: Settings) -> int:
    try:
        lines = diff(load(args.old, settings), load(args.new, settings))
    except PreviewError as error:
        print(f"poortwachter: {error}", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    return 1 if lines else 0


# -- dry-run ---------------------------------------------------------------------------------


def dry_run(
    contract: Contract,
    sample: bytes,
    route_name: str | None,
    school: School | None,
    today: date,
    schemas_dir: Path,
) -> list[str]:
    """What filtering ``sample`` under ``contract`` would do: paths and counts, never values."""
    agreement = contract.agreement
    routes = {_name(r): r for r in agreement.routes}
    if route_name is None:
        route = agreement.routes[0]
    else:
        wanted = " ".join(route_name.split())
        method, _, path = wanted.partition(" ")
        found = routes.get(f"{method.upper()} {path}")
        if found is None:
            raise PreviewError(f"{contract.path} has no such route; it has: {', '.join(routes)}")
        route = found
    schema = payload_schema.load(schemas_dir, route.payload)
    context = Transforms.for_supplier(os.urandom(32), agreement.supplier, today)
    lines = [
        f"contract: {contract.path} ({agreement.supplier} {agreement.label})",
        f"route: {_name(route)}",
    ]
    status = agreement.status_on(today)
    lines.append(
        f"agreement today: {status}" + ("" if status is Status.ACTIVE else " (nothing would flow)")
    )
    if school is not None and not agreement.schools.covers(school):
        lines.append(f"school {school}: not covered by this agreement (nothing would flow)")
    try:
        result, named = filter.payload(sample, route, schema, context=context)
    except Refusal as refusal:
        lines.append(f"refused: {refusal.problem} ({refusal.status_code})")
        return lines
    refused: str | None = None
    try:
        if school is not None:
            filter.same_school(named, school)
        filter.enforce(result, route)
    except Refusal as refusal:
        refused = f"{refusal.problem} ({refusal.status_code})"
    lines.append(f"records forwarded: {result.records}")
    lines.extend(_section("forwarded", _leaf_counts(result)))
    lines.extend(_section("transformed", _per_kind(result.transformed)))
    lines.extend(_section("withheld for lack of consent", result.withheld))
    lines.extend(_section("stripped (not allowed)", result.stripped))
    lines.extend(_section("invalid (left out)", _per_kind(result.invalid)))
    lines.extend(_section("flagged by inspection (left out)", _per_kind(result.inspected)))
    if refused is not None:
        lines.append(f"the gateway would refuse this transfer: {refused}; nothing would be sent")
    else:
        lines.append("nothing was sent")
    return lines


def _leaf_counts(result: Filtered) -> dict[str, int]:
    """How many values leave at each path (counted in what would be sent)."""
    counts: Counter[str] = Counter()
    for path in _leaves(msgspec.json.decode(result.body), ""):
        counts[path] += 1
    return dict(counts)


def _leaves(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, fieldpaths.child(path, key))
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item, fieldpaths.items(path))
    else:
        yield path


def _per_kind(counts: Counts) -> dict[str, str]:
    return {
        path: ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
        for path, kinds in counts.items()
    }


def _section(title: str, counts: dict[str, int] | dict[str, str]) -> list[str]:
    if not counts:
        return [f"{title}: none"]
    width = max(map(len, counts))
    return [f"{title}:"] + [f"  {path:<{width}}  {n}" for path, n in sorted(counts.items())]


def _dry_run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        school = School.parse(args.school) if args.school is not None else None
        contract = load(args.contract, settings)
        try:
            sample = args.sample.read_bytes()
        except OSError as error:
            raise PreviewError(f"{args.sample}: cannot read: {error.strerror}") from None
        try:
            document = msgspec.json.decode(sample)
        except (msgspec.DecodeError, UnicodeDecodeError):
            raise PreviewError(f"{args.sample}: not valid JSON") from None
        if not isinstance(document, dict):
            raise PreviewError(f"{args.sample}: a payload is a JSON object, and this is not one")
        today = datetime.now(settings.zone).date()
        lines = dry_run(contract, sample, args.route, school, today, settings.schemas_dir)
    except (PreviewError, SchoolCodeError) as error:
        print(f"poortwachter: {error}", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    return 0
