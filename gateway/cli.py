"""``poortwachter``: run the gateway, check contracts, manage keys, see a demo.

Errors are plain messages on stderr with a non-zero exit code; nothing here prints a traceback
for a mistake a person can fix.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from datetime import datetime

from gateway import __version__, database, logs
from gateway.access import keys, secret_commands, users
from gateway.access.models import ApiKey
from gateway.evidence import commands as evidence
from gateway.evidence import subject_commands
from gateway.register import commands as register_commands
from gateway.register import loading, preview
from gateway.settings import Settings, SettingsError
from gateway.tables import table
from gateway.transfer import pseudonyms


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        settings = Settings.from_env(os.environ)
        result: int = args.run(args, settings)
        return result
    except SettingsError as error:
        print(f"poortwachter: {error}", file=sys.stderr)
        return 2
    except database.DatabaseError as error:
        print(f"poortwachter: {error}", file=sys.stderr)
        return 1
    except loading.InvalidConfiguration as error:
        print(
            f"poortwachter: {len(error.problems)} problem(s) in contracts or config:",
            file=sys.stderr,
        )
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as error:
        print(f"poortwachter: {error}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="poortwachter", description="Privacy gateway: pupil data leaves only as agreed."
    )
    parser.add_argument("--version", action="version", version=f"poortwachter {__version__}")
    commands = parser.add_subparsers(metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the gateway")
    serve.add_argument("--host", help="address to listen on (GATEWAY_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (GATEWAY_PORT, 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (PostgreSQL)")
    serve.add_argument("--ssl-certfile", help="serve TLS directly with this certificate (PEM)")
    serve.add_argument("--ssl-keyfile", help="the certificate's private key (PEM)")
    serve.add_argument(
        "--ssl-ca-certs", help="CA that signs source systems' client certificates (PEM)"
    )
    serve.add_argument(
        "--client-cert",
        choices=["none", "optional", "required"],
        default="none",
        help="ask for client certificates (mutual TLS; needs --ssl-ca-certs)",
    )
    serve.set_defaults(run=_serve)

    check = commands.add_parser("check", help="validate contracts/ and config/, list every problem")
    check.set_defaults(run=_check)
    preview.add_actions(register_commands.add(commands))

    migrate = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate.set_defaults(run=_migrate)

    key = commands.add_parser("keys", help="create, list and revoke API keys")
    key_commands = key.add_subparsers(metavar="ACTION", required=True)
    create = key_commands.add_parser("create", help="make a key; it is printed once")
    create.add_argument("--client", required=True, help="source system or person, e.g. parnassys")
    create.add_argument("--role", choices=keys.ROLES, default="source")
    create.add_argument("--schools", default="", help="comma-separated BRIN codes: 99XX,98YY")
    create.add_argument(
        "--certificate",
        help="PEM client certificate the key must come with (mutual TLS, serve --ssl-ca-certs)",
    )
    create.set_defaults(run=_keys_create)
    listing = key_commands.add_parser("list", help="list keys (never the keys themselves)")
    listing.set_defaults(run=_keys_list)
    revoke = key_commands.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(run=_keys_revoke)
    pseudonyms.add_actions(key_commands)
    subject_commands.add(commands, key_commands)
    secret_commands.add(commands)

    evidence.add(commands, key_commands)

    user = commands.add_parser("users", help="create, list and disable FG console accounts")
    user_commands = user.add_subparsers(metavar="ACTION", required=True)
    make = user_commands.add_parser(
        "create", help="make an account; the password is asked, or read from stdin"
    )
    make.add_argument("--name", required=True, help="the sign-in name, e.g. fg@opron.nl")
    make.add_argument("--role", choices=users.ROLES, default="fg")
    make.set_defaults(run=_users_create)
    password = user_commands.add_parser("password", help="set a new password for an account")
    password.add_argument("--name", required=True)
    password.set_defaults(run=_users_password)
    user_list = user_commands.add_parser("list", help="list accounts (never their passwords)")
    user_list.set_defaults(run=_users_list)
    disable = user_commands.add_parser("disable", help="disable an account; it cannot sign in")
    disable.add_argument("--name", required=True)
    disable.set_defaults(run=_users_disable)

    demo = commands.add_parser(
        "demo", help="push a sample sync through a gateway to a sample supplier"
    )
    demo.add_argument(
        "--pupils", type=_pupils, default=30, help=f"pupils in the sample sync (1 to {MAX_PUPILS})"
    )
    demo.set_defaults(run=_demo)

    sample = commands.add_parser(
        "sample-supplier", help="run a stand-in for a supplier that prints what it receives"
    )
    sample.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    sample.add_argument("--port", type=int, default=8081, help="port to listen on (8081)")
    sample.set_defaults(run=_sample_supplier)
    return parser


MAX_PUPILS = 50_000  # about 80 MB of sync, under the default body limit


def _pupils(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_PUPILS:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_PUPILS}")
    return int(text)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import ssl

    import uvicorn

    from gateway.protocol import GatewayProtocol

    host = args.host or settings.host
    port = args.port or settings.port
    if bool(args.ssl_certfile) != bool(args.ssl_keyfile):
        raise ValueError("--ssl-certfile and --ssl-keyfile go together")
    if args.client_cert != "none" and not (args.ssl_certfile and args.ssl_ca_certs):
        raise ValueError("--client-cert needs --ssl-certfile, --ssl-keyfile and --ssl-ca-certs")
    if args.workers > 1 and settings.database_url.startswith("sqlite"):
        raise ValueError("several workers need PostgreSQL (GATEWAY_DATABASE_URL)")
    enforced = loading.load(settings, os.environ)  # refuse to start on any problem, before binding
    if pseudonyms.needed(enforced.register.all()):
        pseudonyms.PseudonymKey(settings.pseudonym_key_file).load()  # made once, before workers
    # Reach and migrate the database once, here: an unreachable database is one clear line,
    # not a traceback from every worker's start-up, and workers do not migrate side by side.
    asyncio.run(database.migrate(settings.database_url))
    logs.configure(settings.log_format)
    subject_commands.before_serving(settings)
    evidence.ensure_signing_key(settings)  # once, before workers start side by side
    logging.getLogger("gateway").info("database: %s", database.describe(settings.database_url))
    tls: dict[str, object] = {}
    if args.ssl_certfile:
        tls = {
            "ssl_certfile": args.ssl_certfile,
            "ssl_keyfile": args.ssl_keyfile,
            "ssl_ca_certs": args.ssl_ca_certs,
            "ssl_cert_reqs": {
                "none": ssl.CERT_NONE,
                "optional": ssl.CERT_OPTIONAL,
                "required": ssl.CERT_REQUIRED,
            }[args.client_cert],
        }
    uvicorn.run(
        "gateway.app:from_environment",
        factory=True,
        host=host,
        port=port,
        workers=args.workers,
        loop="uvloop",
        http=GatewayProtocol,
        ws="none",  # no protocol upgrades: every request is HTTP the gateway judges
        access_log=False,
        log_config=None,  # uvicorn's lines go through the gateway's log (GATEWAY_LOG_FORMAT)
        **tls,  # type: ignore[arg-type]
    )
    return 0


def _check(args: argparse.Namespace, settings: Settings) -> int:
    enforced = loading.load(settings, os.environ)
    now = datetime.now(settings.zone)
    for agreement in enforced.register.all():
        print(
            f"ok  {agreement.source}: {agreement.supplier} {agreement.label}, "
            f"{len(agreement.routes)} route(s), {agreement.status_at(now)} now"
        )
    for supplier in enforced.suppliers.values():
        print(f"ok  supplier {supplier.slug} -> {supplier.upstream}")
    for warning in enforced.warnings:
        print(f"warn  {warning}")
    for notice in enforced.notices:
        print(f"warn  {notice}")
    if enforced.notices:
        print(
            f"{len(enforced.notices)} fact(s) not yet recorded: the gateway runs, "
            "but the register is incomplete until they are"
        )
    return 0


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(database.migrate(settings.database_url))
    print(f"database schema is up to date: {database.describe(settings.database_url)}")
    return 0


def _keys_create(args: argparse.Namespace, settings: Settings) -> int:
    schools = [s.strip() for s in args.schools.split(",") if s.strip()]
    certificate = None
    if args.certificate:
        from pathlib import Path

        from gateway.access.tls import pem_fingerprint

        certificate = pem_fingerprint(Path(args.certificate).read_bytes())

    async def work() -> int:
        async with database.opened(settings.database_url):
            key, record = await keys.create(args.client, args.role, schools, certificate)
        print(key)
        scope = ", ".join(record.schools) if record.schools else "FG review"
        print(
            f"key {record.id} for {record.client} ({record.role}: {scope}); "
            "store it now, it is not shown again",
            file=sys.stderr,
        )
        _say_database(settings)
        for code in register_commands.unknown_schools(settings, schools):
            print(f"warning: school {code} is not in config/schools.yaml", file=sys.stderr)
        return 0

    return asyncio.run(work())


def _keys_list(args: argparse.Namespace, settings: Settings) -> int:
    database.must_exist(settings.database_url)

    async def work() -> int:
        async with database.opened(settings.database_url):
            records = await ApiKey.all().order_by("id")
        rows = [
            (r.id, f"{r.prefix}…", r.role, r.client, ",".join(r.schools) or "-",
             f"revoked {r.revoked_at:%Y-%m-%d}" if r.revoked_at else "active")
            for r in records
        ]  # fmt: skip
        for line in table(rows, right=[0]):
            print(line)
        _say_database(settings)
        return 0

    return asyncio.run(work())


def _keys_revoke(args: argparse.Namespace, settings: Settings) -> int:
    database.must_exist(settings.database_url)

    async def work() -> int:
        async with database.opened(settings.database_url):
            revoked = await keys.revoke(args.id)
        if not revoked:
            print(f"poortwachter: no active key {args.id}", file=sys.stderr)
            return 1
        print(f"key {args.id} revoked")
        _say_database(settings)
        return 0

    return asyncio.run(work())


def _say_database(settings: Settings) -> None:
    """Which database a command used, on stderr (stdout may be a key, or a listing)."""
    print(f"database: {database.describe(settings.database_url)}", file=sys.stderr)


def _sample_supplier(args: argparse.Namespace, settings: Settings) -> int:
    from gateway import demo

    try:
        return asyncio.run(demo.serve_sample_supplier(args.host, args.port))
    except KeyboardInterrupt:
        return 0


def _read_password() -> str:
    """Asked twice on a terminal; otherwise the first line of stdin (for scripts)."""
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise ValueError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _users_create(args: argparse.Namespace, settings: Settings) -> int:
    password = _read_password()
    users.check_password(password)

    async def work() -> int:
        async with database.opened(settings.database_url):
            user = await users.Accounts().create(args.name, args.role, password)
        print(f"account {user.id} {user.name} ({user.role}) created", file=sys.stderr)
        return 0

    return asyncio.run(work())


def _users_password(args: argparse.Namespace, settings: Settings) -> int:
    password = _read_password()
    users.check_password(password)

    async def work() -> int:
        async with database.opened(settings.database_url):
            changed = await users.Accounts().set_password(args.name, password)
        if not changed:
            print("poortwachter: no such account", file=sys.stderr)
            return 1
        print("password changed", file=sys.stderr)
        return 0

    return asyncio.run(work())


def _users_list(args: argparse.Namespace, settings: Settings) -> int:
    from gateway.access.models import User

    async def work() -> int:
        async with database.opened(settings.database_url):
            records = await User.all().order_by("id")
        rows = [
            (
                r.id,
                r.role,
                r.name,
                f"disabled {r.disabled_at:%Y-%m-%d}" if r.disabled_at else "active",
            )
            for r in records
        ]
        for line in table(rows, right=[0]):
            print(line)
        return 0

    return asyncio.run(work())


def _users_disable(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> int:
        async with database.opened(settings.database_url):
            disabled = await users.Accounts().disable(args.name)
        if not disabled:
            print("poortwachter: no active account with that name", file=sys.stderr)
            return 1
        print("account disabled; it can no longer sign in", file=sys.stderr)
        return 0

    return asyncio.run(work())


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from gateway import demo

    return asyncio.run(demo.run(settings, pupils=args.pupils))
