"""``poortwachter contracts ...``: reload the register, export it, list its versions.

Errors are plain lines on stderr (``gateway.cli.main`` prints a refused file set's problems
one a line); nothing here prints a traceback for a mistake a person can fix.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from gateway import database
from gateway.register import article30, loading, reloading, school_list, versions
from gateway.register.schools import School, SchoolCodeError
from gateway.settings import Settings
from gateway.tables import table


def add(commands: Any) -> Any:
    """The ``contracts`` group, on the ``poortwachter`` command's subparsers; returns its
    actions, for the preview commands (``diff``, ``dry-run``) to join."""
    group = commands.add_parser(
        "contracts", help="reload, export, list, diff and dry-run the agreement register"
    )
    actions = group.add_subparsers(metavar="ACTION", required=True)
    reload = actions.add_parser(
        "reload",
        help="check contracts/ and put it in force in every running gateway (about a second)",
    )
    reload.set_defaults(run=_reload)
    export = actions.add_parser(
        "export-register",
        help="the record of processing activities (AVG article 30) of contracts/",
    )
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--output", help="file to write (default: standard output)")
    export.set_defaults(run=_export)
    listing = actions.add_parser(
        "versions", help="every agreement version ever in force, from the database"
    )
    listing.add_argument("supplier", nargs="?", help="only this supplier's")
    listing.set_defaults(run=_versions)
    return actions


def _reload(args: argparse.Namespace, settings: Settings) -> int:
    # Validate before touching the database: a refused set changes nothing anywhere.
    enforced = loading.load(settings, os.environ)

    async def work() -> int:
        async with database.opened(settings.database_url):
            newest = await versions.latest()
            generation = await versions.publish(
                enforced.register.all(),
                enforced.schools_text,
                reloading.origin("contracts reload"),
            )
        count = len(enforced.register.all())
        if generation == newest:
            print(f"register generation {generation} is already in force ({count} version(s))")
        else:
            print(
                f"register generation {generation} stored ({count} version(s)); every running "
                "gateway puts it in force within about a second"
            )
        if enforced.notices:
            print(
                f"{len(enforced.notices)} fact(s) of the register not yet recorded "
                "(poortwachter check lists them)",
                file=sys.stderr,
            )
        print(f"database: {database.describe(settings.database_url)}", file=sys.stderr)
        return 0

    return asyncio.run(work())


def _export(args: argparse.Namespace, settings: Settings) -> int:
    enforced = loading.load(settings, os.environ)
    today = datetime.now(settings.zone).date()
    rows = article30.rows(enforced.register.all(), today)
    body = article30.to_csv(rows) if args.format == "csv" else article30.to_json(rows)
    if args.output:
        Path(args.output).write_bytes(body)
        print(f"{len(rows)} processing activit(ies) written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
    return 0


def _versions(args: argparse.Namespace, settings: Settings) -> int:
    database.must_exist(settings.database_url)

    async def work() -> int:
        async with database.opened(settings.database_url):
            found = await versions.history(args.supplier)
        rows = [
            (v.supplier, f"{v.reference} v{v.version}", v.sha256[:12],
             f"{v.valid_from} to {v.valid_until or 'open-ended'}",
             f"loaded {v.first_loaded_at:%Y-%m-%d %H:%M} to {v.last_loaded_at:%Y-%m-%d %H:%M}",
             v.source)
            for v in found
        ]  # fmt: skip
        for line in table(rows):
            print(line)
        if not found:
            print("no agreement versions stored yet", file=sys.stderr)
        return 0

    return asyncio.run(work())


def unknown_schools(settings: Settings, codes: list[str]) -> list[str]:
    """The codes among ``codes`` that ``config/schools.yaml`` does not list (none without it)."""
    schools, _, _ = school_list.load(settings.config_dir / "schools.yaml", settings.schemas_dir)
    known = []
    for code in codes:
        try:
            School.parse(code)
        except SchoolCodeError:
            continue  # keys.create refuses it with its own message
        known.append(code)
    return schools.unknown_codes(known)
