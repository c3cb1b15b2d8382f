"""The ``poortwachter`` command line, run as a real subprocess (``python -m gateway``)."""

from __future__ import annotations

import asyncio
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gateway import __version__, samples
from tests.conftest import ROOT, RunningGateway, Upstream, plain_environ


@dataclass
class Run:
    code: int
    out: str
    err: str


async def cli(*args: str, database: str | None, cwd: Path = ROOT, **env: str) -> Run:
    """Run ``python -m gateway ARGS`` in ``cwd`` (the repository root) with a clean GATEWAY_*
    environment: ``database`` as GATEWAY_DATABASE_URL (None: not set) and ``env``."""
    environ = plain_environ()
    if database is not None:
        environ["GATEWAY_DATABASE_URL"] = database
    environ |= env
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        *args,
        cwd=cwd,
        env=environ,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode())


@pytest.fixture
def database(database_url: str) -> str:
    """The test database (SQLite in tmp_path, or the wiped test PostgreSQL), for the CLI."""
    return database_url


def assert_plain(run: Run) -> None:
    """A person-readable failure: non-zero, one message from poortwachter, no traceback."""
    assert run.code != 0
    assert "Traceback" not in run.err
    assert run.err.startswith("poortwachter: ")
    assert run.out == ""


async def test_check_lists_the_shipped_contracts(database: str) -> None:
    """``check`` on the shipped contracts exits 0 and names each agreement and supplier."""
    run = await cli("check", database=database)
    assert run.code == 0, run.err
    assert "contracts/basispoort.yaml: basispoort OPRON-BASISPOORT v2018.1, 4 route(s)" in run.out
    assert "supplier basispoort -> https://basispoort.invalid/" in run.out
    assert run.err == ""


def _line_of(text: str, fragment: str) -> int:
    """The 1-based line of the first line containing ``fragment``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


async def test_check_lists_every_problem_with_file_line_and_location(
    database: str, tmp_path: Path
) -> None:
    """``check`` on broken contracts exits 1 and lists each problem as file:line at location."""
    shipped = (ROOT / "contracts" / "basispoort.yaml").read_text()
    contracts = tmp_path / "broken"
    contracts.mkdir()
    schema_broken = shipped.replace("reference: OPRON-BASISPOORT", "reference: 12").replace(
        "valid_from: 2018-07-03", "valid_from: not-a-date"
    )
    fields_broken = shipped.replace("- school.brin", "- school.nonsense").replace(
        "- leerlingen[].jaargroep", "- leerlingen[].schoenmaat"
    )
    (contracts / "a.yaml").write_text(schema_broken)
    (contracts / "b.yaml").write_text(fields_broken)
    run = await cli("check", database=database, GATEWAY_CONTRACTS_DIR=str(contracts))
    assert run.code == 1
    assert "Traceback" not in run.err
    assert "ok " not in run.out
    a, b = contracts / "a.yaml", contracts / "b.yaml"
    expected = [
        f"{a}:{_line_of(schema_broken, 'reference: 12')} at agreement.reference:",
        f"{a}:{_line_of(schema_broken, 'not-a-date')} at agreement.valid_from:",
        f"{b}:{_line_of(fields_broken, 'school.nonsense')} at routes[0].fields[0]:",
        f"{b}:{_line_of(fields_broken, 'schoenmaat')} at routes[0].fields[15]:",
    ]
    for problem in expected:
        assert problem in run.err, run.err
    assert "'school.nonsense' is not a field" in run.err
    count = int(re.search(r"poortwachter: (\d+) problem", run.err)[1])  # type: ignore[index]
    assert count == len([line for line in run.err.splitlines() if line.startswith("  ")])
    assert count >= len(expected)


async def test_check_without_contracts_says_so(database: str, tmp_path: Path) -> None:
    """``check`` on an empty contracts directory exits 1 and says there are no contract files."""
    run = await cli("check", database=database, GATEWAY_CONTRACTS_DIR=str(tmp_path))
    assert run.code == 1
    assert "no contract files" in run.err
    assert "Traceback" not in run.err


async def test_keys_create_prints_the_key_once_and_list_never_shows_it(database: str) -> None:
    """A new key is printed once, alone on stdout; ``keys list`` shows client and schools only."""
    created = await cli(
        "keys", "create", "--client", "parnassys", "--schools", "99XX,98YY", database=database
    )
    assert created.code == 0, created.err
    [key] = created.out.splitlines()
    assert re.fullmatch(r"pw_[A-Za-z0-9_-]{40,}", key)
    assert key not in created.err
    assert "parnassys" in created.err and "98YY, 99XX" in created.err
    listed = await cli("keys", "list", database=database)
    assert listed.code == 0, listed.err
    [row] = listed.out.splitlines()
    assert "parnassys" in row and "98YY,99XX" in row and "source" in row and "active" in row
    assert key not in listed.out + listed.err
    assert key[10:20] not in listed.out  # not even a part beyond the listed prefix


async def test_keys_create_fg(database: str) -> None:
    """``--role fg`` makes an FG key without schools."""
    created = await cli("keys", "create", "--role", "fg", "--client", "fg", database=database)
    assert created.code == 0, created.err
    assert created.out.startswith("pw_")
    assert "FG review" in created.err
    listed = await cli("keys", "list", database=database)
    assert re.search(r"\bfg\s+fg\s+-\s+active", listed.out), listed.out


async def test_keys_list_columns_line_up_whatever_the_role(database: str) -> None:
    """A ``supplier`` key (the longest role) and a long client name do not push the columns
    after them out of line: each column starts at the same place on every row."""
    for args in (
        ["--client", "parnassys", "--schools", "99XX"],
        ["--role", "fg", "--client", "fg"],
        ["--role", "supplier", "--client", "basispoort-met-een-lange-naam", "--schools", "99XX"],
    ):
        assert (await cli("keys", "create", *args, database=database)).code == 0
    listed = await cli("keys", "list", database=database)
    rows = listed.out.splitlines()
    assert len(rows) == 3, listed.out
    assert [row.split()[2] for row in rows] == ["source", "fg", "supplier"], listed.out
    starts = {tuple(m.start() for m in re.finditer(r"\S+", row)) for row in rows}
    assert len(starts) == 1, listed.out  # no value holds a space: one start per column


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--client", "parnassys"], "needs at least one school"),
        (["--client", "parnassys", "--schools", " , "], "needs at least one school"),
        (["--client", "parnassys", "--schools", "99XX,Veendam"], "'Veendam' is not a school code"),
        (["--client", "parnassys", "--schools", "99xx"], "'99xx' is not a school code"),
        (["--client", "fg", "--role", "fg", "--schools", "99XX"], "not tied to schools"),
    ],
    ids=["no schools", "blank schools", "bad school code", "lower case", "fg with schools"],
)
async def test_keys_create_refuses_with_a_plain_message(
    database: str, args: list[str], says: str
) -> None:
    """A key that cannot be made gives a plain message, no key on stdout, and nothing stored."""
    run = await cli("keys", "create", *args, database=database)
    assert_plain(run)
    assert says in run.err
    listed = await cli("keys", "list", database=database)
    assert listed.out == ""


async def test_keys_create_with_an_unknown_role_is_a_usage_error(database: str) -> None:
    """``--role admin`` is refused by the argument parser (exit 2), naming the choices."""
    run = await cli("keys", "create", "--client", "x", "--role", "admin", database=database)
    assert run.code == 2
    assert "invalid choice" in run.err and "Traceback" not in run.err


async def test_keys_revoke_revokes_once(database: str) -> None:
    """``keys revoke ID`` revokes the key; revoking it again, or an unknown id, exits 1."""
    await cli("keys", "create", "--client", "parnassys", "--schools", "99XX", database=database)
    await cli("keys", "create", "--client", "esis", "--schools", "98YY", database=database)
    listed = await cli("keys", "list", database=database)
    ids = {line.split()[3]: line.split()[0] for line in listed.out.splitlines()}
    revoked = await cli("keys", "revoke", ids["parnassys"], database=database)
    assert revoked.code == 0, revoked.err
    assert f"key {ids['parnassys']} revoked" in revoked.out
    rows = {
        line.split()[3]: line
        for line in (await cli("keys", "list", database=database)).out.splitlines()
    }
    assert "revoked" in rows["parnassys"]
    assert "active" in rows["esis"]
    again = await cli("keys", "revoke", ids["parnassys"], database=database)
    assert (again.code, again.out) == (1, "")
    assert f"no active key {ids['parnassys']}" in again.err
    unknown = await cli("keys", "revoke", "999", database=database)
    assert unknown.code == 1


async def test_a_cli_key_authenticates_until_revoked(
    start_gateway: Any, upstream: Upstream, database_url: str
) -> None:
    """A key made with the CLI is accepted by a running gateway; once revoked it gets 401."""
    gateway: RunningGateway = await start_gateway(key_cache_seconds=0)
    created = await cli(
        "keys", "create", "--client", "esis", "--schools", "98YY", database=database_url
    )
    assert created.code == 0, created.err
    key = created.out.strip()
    payload = samples.sync(1, brin="98YY")
    response = await gateway.push(payload, headers=gateway.headers(key=key, school="98YY"))
    assert response.status_code == 200, response.text
    refused = await gateway.push(payload, headers=gateway.headers(key=key, school="99XX"))
    assert refused.status_code == 403  # the schools given on the command line hold
    key_id = re.search(r"key (\d+) for esis", created.err)[1]  # type: ignore[index]
    assert (await cli("keys", "revoke", key_id, database=database_url)).code == 0
    response = await gateway.push(payload, headers=gateway.headers(key=key, school="98YY"))
    assert response.status_code == 401
    assert response.json()["type"] == "/problems/unauthenticated"
    assert len(upstream.received) == 1
    [entry, *_] = await gateway.transfers()
    assert (entry["outcome"], entry["status"]) == ("blocked", 401)


async def test_migrate_brings_an_empty_database_up_to_date(database: str) -> None:
    """``migrate`` on an empty database exits 0 and ``keys list`` then works on it."""
    run = await cli("migrate", database=database)
    assert run.code == 0, run.err
    assert "up to date" in run.out
    assert (await cli("migrate", database=database)).code == 0  # and again: nothing to do
    assert (await cli("keys", "list", database=database)).code == 0


async def test_version(database: str) -> None:
    """``--version`` prints the package version and exits 0."""
    run = await cli("--version", database=database)
    assert run.code == 0
    assert run.out.strip() == f"poortwachter {__version__}"


async def test_no_command_prints_help(database: str) -> None:
    """Without a command, the usage is printed and the exit code is 2."""
    run = await cli(database=database)
    assert run.code == 2
    assert "usage: poortwachter" in run.out
    assert "check" in run.out and "keys" in run.out


async def test_a_bad_setting_is_exit_2_with_a_plain_message(database: str) -> None:
    """GATEWAY_PORT=abc stops any command with exit 2 and a plain message, no traceback."""
    run = await cli("check", database=database, GATEWAY_PORT="abc")
    assert run.code == 2
    assert run.out == ""
    assert run.err.startswith("poortwachter: ") and "'abc'" in run.err
    assert "Traceback" not in run.err


async def test_a_bad_setting_names_the_variable(database: str) -> None:
    """The message for GATEWAY_PORT=abc names GATEWAY_PORT, so a person knows what to fix."""
    run = await cli("check", database=database, GATEWAY_PORT="abc")
    assert "GATEWAY_PORT" in run.err


def _a_file(tmp_path: Path) -> Path:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    return blocker


UNUSABLE_DATABASES = [
    # (case, GATEWAY_DATABASE_URL given tmp_path and a free port, what the one line says)
    ("garbage", lambda tmp, port: "garbage", "is not a database URL"),
    ("mysql", lambda tmp, port: "mysql://pw:geheim@db.example/pw", "MySQL is not supported"),
    ("sqlite: without //", lambda tmp, port: "sqlite:var/x.sqlite3", "write sqlite://PATH"),
    ("SQLite parent is a file",
     lambda tmp, port: f"sqlite://{_a_file(tmp)}/x.sqlite3", "not-a-directory is a file"),
    ("PostgreSQL not answering",
     lambda tmp, port: f"postgres://postgres:geheim@127.0.0.1:{port}/pw",
     "cannot use the database"),
]  # fmt: skip


@pytest.mark.parametrize("command", [["keys", "create", "--client", "x", "--schools", "99XX"],
                                     ["migrate"], ["serve", "--port", "0"]],
                         ids=["keys create", "migrate", "serve"])  # fmt: skip
@pytest.mark.parametrize(
    ("case", "url", "says"), UNUSABLE_DATABASES, ids=[u[0] for u in UNUSABLE_DATABASES]
)
async def test_a_database_that_cannot_be_used_is_one_plain_line(
    tmp_path: Path, command: list[str], case: str, url: Any, says: str
) -> None:
    """A database URL that is no database, MySQL, ``sqlite:`` without ``//``, a SQLite file
    under a file, or a PostgreSQL that does not answer is one line on stderr (no traceback, no
    password), for a key, a migration and ``serve``; ``sqlite:var`` makes no directory."""
    from tests.processes import free_port

    run = await cli(*command, database=url(tmp_path, free_port()), cwd=tmp_path)
    assert_plain(run)
    assert says in run.err, run.err
    assert len(run.err.strip().splitlines()) == 1, run.err
    assert "geheim" not in run.err
    assert not (tmp_path / "sqlite:var").exists() and not (ROOT / "sqlite:var").exists()


async def test_every_key_command_says_which_database_it_used(tmp_path: Path) -> None:
    """``keys create`` and ``keys list`` name the database they used, and run from another
    directory they use the same one (GATEWAY_HOME), making no database where they run."""
    home = tmp_path / "home"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    database = home / "var" / "poortwachter.sqlite3"
    created = await cli("keys", "create", "--client", "parnassys", "--schools", "99XX",
                        database=None, cwd=tmp_path, GATEWAY_HOME=str(home))  # fmt: skip
    assert created.code == 0, created.err
    assert f"database: SQLite {database}" in created.err
    listed = await cli("keys", "list", database=None, cwd=elsewhere, GATEWAY_HOME=str(home))
    assert listed.code == 0, listed.err
    assert "parnassys" in listed.out
    assert f"database: SQLite {database}" in listed.err
    assert list(elsewhere.iterdir()) == []


async def test_listing_keys_of_a_database_that_does_not_exist_creates_none(
    tmp_path: Path,
) -> None:
    """``keys list`` where there is no database yet says so and makes no empty one."""
    home = tmp_path / "empty-home"
    run = await cli("keys", "list", database=None, cwd=tmp_path, GATEWAY_HOME=str(home))
    assert_plain(run)
    assert "there is no database at" in run.err and str(home) in run.err
    assert not home.exists()


@pytest.mark.parametrize("pupils", ["0", "-1", "many", "1000000"])
async def test_demo_with_an_impossible_number_of_pupils_is_a_usage_error(
    database: str, pupils: str
) -> None:
    """``demo --pupils 0`` (or a negative, a word, a million) is a usage error, not a crash."""
    run = await cli("demo", "--pupils", pupils, database=database)
    assert run.code == 2
    assert "--pupils: must be a whole number from 1 to" in run.err
    assert "Traceback" not in run.err


async def test_check_lists_every_problem_of_a_file_and_of_the_config(
    database: str, tmp_path: Path
) -> None:
    """A contract with three schema errors and a field the payload does not have, and a
    supplier config with two errors: ``check`` lists all six, not the first of each file."""
    shipped = (ROOT / "contracts" / "basispoort.yaml").read_text()
    broken = (
        shipped.replace("reference: OPRON-BASISPOORT", "reference: 12")
        .replace("valid_from: 2018-07-03", "valid_from: not-a-date")
        .replace("  name: Basispoort", "  name: 7")
        .replace("- leerlingen[].jaargroep", "- leerlingen[].schoenmaat", 1)
    )
    contracts, config = tmp_path / "contracts", tmp_path / "config"
    contracts.mkdir()
    config.mkdir()
    (contracts / "a.yaml").write_text(broken)
    (config / "suppliers.yaml").write_text(
        "suppliers:\n  basispoort:\n    upstream: ftp://x/\n    connect_timeout: -1\n"
    )
    run = await cli("check", database=database, GATEWAY_CONTRACTS_DIR=str(contracts),
                    GATEWAY_CONFIG_DIR=str(config))  # fmt: skip
    assert run.code == 1
    listed = [line.strip() for line in run.err.splitlines() if line.startswith("  ")]
    for fragment in (
        "agreement.reference",
        "agreement.valid_from",
        "supplier.name",
        "'leerlingen[].schoenmaat' is not a field",
        "suppliers.basispoort.upstream",
        "suppliers.basispoort.connect_timeout",
    ):
        assert any(fragment in line for line in listed), (fragment, run.err)  # fmt: skip
    assert "no endpoint" not in run.err  # the supplier is named, though its config is broken


async def test_users_create_reads_the_password_from_stdin(database: str) -> None:
    """``users create`` takes the password from stdin when it is not a terminal, stores only its
    hash, and ``users list`` shows the account without it."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "gateway", *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**plain_environ(), "GATEWAY_DATABASE_URL": database, "PATH": "/usr/bin"},
            check=False,
        )

    made = run(
        "users", "create", "--name", "FG@opron.nl", "--role", "fg", stdin="een lang wachtwoord\n"
    )
    assert made.returncode == 0, made.stderr
    assert "fg@opron.nl (fg) created" in made.stderr
    listed = run("users", "list")
    assert "fg@opron.nl" in listed.stdout and "wachtwoord" not in listed.stdout + listed.stderr
    short = run("users", "create", "--name", "x", stdin="kort\n")
    assert short.returncode == 1 and short.stderr.startswith("poortwachter: a password has")


async def test_keys_init_pseudonyms_makes_the_key_once(tmp_path: Path) -> None:
    """The pseudonym key is written 0600 where GATEWAY_PSEUDONYM_KEY_FILE says, and a second
    run refuses to replace it with one plain line."""
    key_file = tmp_path / "keys" / "pseudonym.key"
    made = await cli(
        "keys", "init-pseudonyms", database=None, GATEWAY_PSEUDONYM_KEY_FILE=str(key_file)
    )
    assert made.code == 0, made.err
    assert (key_file.stat().st_mode & 0o777) == 0o600
    key = key_file.read_text()
    again = await cli(
        "keys", "init-pseudonyms", database=None, GATEWAY_PSEUDONYM_KEY_FILE=str(key_file)
    )
    assert_plain(again)
    assert "already" in again.err and key_file.read_text() == key
