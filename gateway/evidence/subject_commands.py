"""``poortwachter subject``, ``purge`` and ``keys init-subjects``: the access request and the
subject index's retention, on the command line.

The identifier an FG looks up is never printed back, nor written anywhere; ``subject -`` reads
it from stdin, so that it stays out of the shell's history and the process list too.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import msgspec

from gateway import database
from gateway.evidence import subject_api, subject_index
from gateway.evidence.subjects import SubjectKey
from gateway.register.schools import School, SchoolCodeError
from gateway.settings import Settings


def add(commands: Any, key_commands: Any) -> None:
    """The commands, on ``poortwachter``'s parser and its ``keys`` parser."""
    init = key_commands.add_parser(
        "init-subjects", help="create the subject index's key file (back it up)"
    )
    init.set_defaults(run=_init)

    subject = commands.add_parser(
        "subject", help="an access request: every transfer that held one pupil"
    )
    subject.add_argument(
        "identifier",
        help="leerlingkey, ECK iD or Basispoort id; - reads it from stdin (stays out of history)",
    )
    subject.add_argument("--school", help="only transfers for this school (BRIN)")
    subject.add_argument("--json", action="store_true", help="JSON, as the API answers")
    subject.set_defaults(run=_subject)

    purge = commands.add_parser(
        "purge", help="remove subject-index rows older than a date (never log entries)"
    )
    when = purge.add_mutually_exclusive_group(required=True)
    when.add_argument("--before", type=_day, help="rows of transfers started before DATE")
    when.add_argument(
        "--expired", action="store_true", help="rows past GATEWAY_SUBJECT_RETENTION_DAYS"
    )
    purge.add_argument(
        "--force", action="store_true", help="also rows still within the retention term"
    )
    purge.set_defaults(run=_purge)


def before_serving(settings: Settings) -> None:
    """Read, or on a fresh install make, the subject key before ``serve`` starts any worker:
    a missing key beside an index with rows is one plain line, not a traceback from each
    worker, and workers do not race to make it."""

    async def work() -> None:
        async with database.opened(settings.database_url):
            await subject_index.gateway_key(settings)

    asyncio.run(work())


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a date: YYYY-MM-DD") from None


def _init(args: argparse.Namespace, settings: Settings) -> int:
    path = settings.subject_key_path
    SubjectKey.create(path)
    print(f"created {path} (mode 0600): back it up; the subject index cannot be read without it")
    return 0


def _subject(args: argparse.Namespace, settings: Settings) -> int:
    identifier = sys.stdin.readline() if args.identifier == "-" else args.identifier
    identifier = identifier.strip()
    if not identifier or len(identifier) > subject_api.MAX_IDENTIFIER:
        raise ValueError(f"the identifier must be 1 to {subject_api.MAX_IDENTIFIER} characters")
    school = None
    if args.school:
        try:
            school = str(School.parse(args.school))
        except SchoolCodeError:
            raise ValueError("--school is not a BRIN (99XX or 99XX01)") from None
    database.must_exist(settings.database_url)
    key = SubjectKey.read(settings.subject_key_path)

    async def work() -> list[subject_index.Held]:
        async with database.opened(settings.database_url):
            return await subject_index.transfers_holding(key, identifier, school)

    found = asyncio.run(work())
    if args.json:
        items = [subject_api.item(held) for held in found]
        print(msgspec.json.encode({"items": items}).decode())
        return 0
    for held in found:
        agreement = f"{held.agreement_reference or '-'} {held.agreement_version or '-'}"
        print(
            f"{held.started_at.astimezone(settings.zone):%Y-%m-%d %H:%M}  "
            f"{held.supplier or '-':<16} {held.school or '-':<7} {agreement:<28} "
            f"{held.outcome:<15} {held.transfer_id}"
        )
        print(f"    fields: {', '.join(held.fields) or '-'}")
    print(f"{len(found)} transfer(s) held this pupil", file=sys.stderr)
    return 0


def _purge(args: argparse.Namespace, settings: Settings) -> int:
    today = datetime.now(settings.zone).date()
    oldest_kept = today - timedelta(days=settings.subject_retention_days)
    before: date = oldest_kept if args.expired else args.before
    if before > oldest_kept and not args.force:
        raise ValueError(
            f"{before} is within the retention term of {settings.subject_retention_days} days "
            f"(GATEWAY_SUBJECT_RETENTION_DAYS): the earliest date allowed is {oldest_kept}; "
            "--force to purge anyway"
        )
    moment = datetime.combine(before, time.min, tzinfo=settings.zone).astimezone(UTC)
    database.must_exist(settings.database_url)

    async def work() -> int:
        async with database.opened(settings.database_url):
            return await subject_index.purge(moment)

    removed = asyncio.run(work())
    print(f"removed the subject index of {removed} transfer(s) before {before}; log entries kept")
    return 0
