"""``poortwachter secrets set|list|remove|rotate``: supplier credentials and client-key
passphrases encrypted at rest (``gateway.access.secrets``). A value is read from stdin, never
from the command line, and never printed."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from gateway.access.secrets import SecretFiles, SecretsError
from gateway.settings import Settings
from gateway.tables import table


def add(commands: Any) -> None:
    secrets = commands.add_parser(
        "secrets", help="supplier credentials encrypted at rest (set, list, remove, rotate)"
    )
    actions = secrets.add_subparsers(metavar="ACTION", required=True)
    put = actions.add_parser(
        "set", help="store a secret under NAME; the value is read from stdin (first line)"
    )
    put.add_argument(
        "name",
        help="the name a credentials: or tls.client_key_password: env: gives, e.g. BP_TOKEN",
    )
    put.set_defaults(run=_set)
    listing = actions.add_parser("list", help="names, when set, and under which key (no values)")
    listing.set_defaults(run=_list)
    remove = actions.add_parser("remove", help="remove a secret")
    remove.add_argument("name")
    remove.set_defaults(run=_remove)
    rotate = actions.add_parser(
        "rotate",
        help="re-encrypt every secret under a new key (the old key is kept until --retire)",
    )
    rotate.add_argument(
        "--retire", action="store_true", help="drop every key but the newest, after a rotate"
    )
    rotate.set_defaults(run=_rotate)


def _files(settings: Settings) -> SecretFiles:
    if settings.secrets_file is None or settings.secrets_key_file is None:
        raise SecretsError("no secrets file is configured (GATEWAY_SECRETS_FILE)")
    return SecretFiles(settings.secrets_file, settings.secrets_key_file)


def _set(args: argparse.Namespace, settings: Settings) -> int:
    if sys.stdin.isatty():
        import getpass

        value = getpass.getpass(f"Value of {args.name}: ")
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    files = _files(settings)
    files.set(args.name, value)
    print(f"{args.name} stored encrypted in {files.secrets_file} (key file {files.key_file})")
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    rows = [
        (name, f"set {at:%Y-%m-%d %H:%M} UTC", f"key {key}")
        for name, at, key in _files(settings).listing()
    ]
    for line in table(rows):
        print(line)
    return 0


def _remove(args: argparse.Namespace, settings: Settings) -> int:
    if not _files(settings).remove(args.name):
        print("poortwachter: no secret of that name", file=sys.stderr)
        return 1
    print(f"{args.name} removed")
    return 0


def _rotate(args: argparse.Namespace, settings: Settings) -> int:
    files = _files(settings)
    if args.retire:
        dropped = files.retire()
        print(f"dropped {dropped} old key(s) from {files.key_file}")
        return 0
    count = files.rotate()
    print(
        f"re-encrypted {count} secret(s) under a new key; the old key stays in {files.key_file} "
        "(running gateways need neither); drop it with: poortwachter secrets rotate --retire"
    )
    return 0
