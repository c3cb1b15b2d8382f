"""The log's commands: ``keys init-log``, ``verify``, ``prove`` and ``export-log``."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import uuid
from pathlib import Path
from typing import Any

from gateway import database
from gateway.evidence.audit import AuditError, export, prove
from gateway.evidence.note import MalformedKey, Verifier, parse_verifier_key
from gateway.evidence.sealer import signing_key
from gateway.evidence.signing import SigningKeyError, create_signing_key, verifier_key
from gateway.evidence.verify import verify
from gateway.settings import Settings


def add(commands: Any, keys: Any) -> None:
    """Add the commands to the top-level parser and ``init-log`` to the ``keys`` group."""
    init = keys.add_parser(
        "init-log", help="create the transfer log's signing key and print its public key"
    )
    init.set_defaults(run=_init_log)

    check = commands.add_parser(
        "verify", help="recompute the transfer log's tree and check every checkpoint"
    )
    check.add_argument("--key", help="the log's public verifier key (default: from the key file)")
    check.set_defaults(run=_verify)

    proof = commands.add_parser("prove", help="a transfer's log entries with inclusion proofs")
    proof.add_argument("transfer_id", metavar="TRANSFER_ID", type=_uuid)
    proof.set_defaults(run=_prove)

    out = commands.add_parser(
        "export-log", help="entries, checkpoints and proofs as JSON lines, for an auditor"
    )
    out.add_argument("--from", dest="start", type=_day, help="first day (YYYY-MM-DD, UTC)")
    out.add_argument("--to", dest="end", type=_day, help="last day, included (YYYY-MM-DD)")
    out.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")
    out.set_defaults(run=_export)


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a transfer id is a UUID (X-Transfer-Id)") from None


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a day is YYYY-MM-DD") from None


def ensure_signing_key(settings: Settings) -> None:
    """Before serving: the signing key, created (and said where) if there is none yet."""
    try:
        signing_key(settings.log_key_file, settings.log_origin, create=True)
    except SigningKeyError as error:
        raise ValueError(str(error)) from None


def _verifier(settings: Settings, key: str | None) -> Verifier:
    if key:
        try:
            return parse_verifier_key(key)
        except MalformedKey:
            raise ValueError("--key is not a verifier key (<name>+<id>+<base64 key>)") from None
    try:
        return signing_key(settings.log_key_file, settings.log_origin, create=False).verifier()
    except SigningKeyError as error:
        raise ValueError(f"{error} (or pass --key)") from None


def _init_log(args: argparse.Namespace, settings: Settings) -> int:
    settings.log_key_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        signer = create_signing_key(settings.log_key_file, settings.log_origin)
    except SigningKeyError as error:
        raise ValueError(str(error)) from None
    print(verifier_key(signer))
    print(f"signing key written to {settings.log_key_file} (mode 0600)", file=sys.stderr)
    print("publish the line above: anyone can check the log's checkpoints with it", file=sys.stderr)
    return 0


def _verify(args: argparse.Namespace, settings: Settings) -> int:
    verifier = _verifier(settings, args.key)
    database.must_exist(settings.database_url)

    async def work() -> int:
        async with database.opened(settings.database_url):
            report = await verify(
                verifier,
                settings.checkpoint_file,
                settings.cosignature_file,
                cosigner=settings.cosigner,
            )
        for problem in report.problems:
            print(f"  {problem}", file=sys.stderr)
        for note in report.notes:
            print(f"  note: {note}")
        print(report.summary(), file=sys.stdout if report.ok else sys.stderr)
        return 0 if report.ok else 1

    return asyncio.run(work())


def _prove(args: argparse.Namespace, settings: Settings) -> int:
    database.must_exist(settings.database_url)

    async def work() -> int:
        async with database.opened(settings.database_url):
            try:
                found = await prove(args.transfer_id)
            except AuditError as error:
                print(f"poortwachter: {error}", file=sys.stderr)
                return 1
        print(json.dumps(found, indent=2, ensure_ascii=False))
        return 0

    return asyncio.run(work())


def _export(args: argparse.Namespace, settings: Settings) -> int:
    verifier = _verifier(settings, None)
    start = dt.datetime.combine(args.start or dt.date(1970, 1, 1), dt.time(), dt.UTC)
    end_day = (args.end or dt.date(9998, 12, 31)) + dt.timedelta(days=1)
    end = dt.datetime.combine(end_day, dt.time(), dt.UTC)
    if end <= start:
        raise ValueError("--to is before --from")
    database.must_exist(settings.database_url)

    async def work() -> int:
        async with database.opened(settings.database_url):
            try:
                if args.output is None:
                    counts = await export(sys.stdout, verifier, start, end)
                else:
                    with args.output.open("w", encoding="utf-8") as out:
                        counts = await export(out, verifier, start, end)
            except AuditError as error:
                print(f"poortwachter: {error}", file=sys.stderr)
                return 1
        said = ", ".join(f"{n} {what}" for what, n in counts.items())
        print(f"exported {said}", file=sys.stderr)
        return 0

    return asyncio.run(work())
