"""The processes under test: nginx (fast upstream and reverse proxy), the gateway, PostgreSQL.

Every process is started in its own session and stopped by its process group when its context
manager exits, whatever happened; every wait is bounded.
"""

# ruff: noqa: S603 - the benchmark runs its own fixed commands (wrk, nginx, psql, apt-get)
from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tools import BenchError

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
BRIN = "99XX"
SYNC_PATH = "/proxy/basispoort/sync"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _stop(process: Process) -> None:
    if process.popen.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.popen.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.popen.wait(STOP_TIMEOUT_S)
    # stragglers of the group (uvicorn workers, nginx workers) once the leader is gone
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def started(
    name: str,
    command: list[str],
    log: Path,
    ready: Callable[[], bool],
    env: dict[str, str] | None = None,
) -> Iterator[Process]:
    """Run ``command`` until the block ends, once ``ready()`` is true (polled, bounded)."""
    with log.open("wb") as out:
        popen = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    process = Process(name, popen, log)
    try:
        _wait_ready(process, ready)
        yield process
    finally:
        _stop(process)


def _wait_ready(process: Process, ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise BenchError(
                f"{process.name} exited with {process.popen.returncode} while starting; "
                f"its log ({process.log}):\n{process.tail()}"
            )
        with contextlib.suppress(OSError, http.client.HTTPException):
            if ready():
                return
        time.sleep(0.2)
    raise BenchError(
        f"{process.name} was not ready after {START_TIMEOUT_S:.0f} s; "
        f"its log ({process.log}):\n{process.tail()}"
    )


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 5.0,
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# --- nginx -----------------------------------------------------------------------------------

_NGINX_COMMON = """\
daemon off;
worker_processes {workers};
pid {prefix}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
{server}
}}
"""

_UPSTREAM_SERVER = """\
    server {{
        listen {host}:{port} backlog=4096;
        client_max_body_size 0;
        location / {{
            default_type application/json;
            return 200 '{{"ok":true}}';
        }}
    }}"""

# proxy_request_buffering stays on (the default): nginx, like the gateway, takes the whole body
# before it sends anything upstream, in memory as long as it fits client_body_buffer_size.
_PROXY_SERVER = """\
    upstream fast {{
        server {host}:{upstream_port};
        keepalive 128;
    }}
    server {{
        listen {host}:{port} backlog=4096;
        client_max_body_size 0;
        client_body_buffer_size {body_buffer};
        location / {{
            proxy_pass http://fast;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}"""


def _nginx_conf(prefix: Path, workers: int, server: str) -> Path:
    prefix.mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(_NGINX_COMMON.format(workers=workers, prefix=prefix, server=server))
    return conf


def _answers_post(port: int) -> bool:
    """Two POSTs with a 2 MB body on one kept-alive connection both get {"ok":true}: nginx
    reads and discards the body of a ``return`` before it takes the next request."""
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        for _ in range(2):
            connection.request("POST", SYNC_PATH, body=b"x" * 2_000_000)
            response = connection.getresponse()
            if response.status != 200 or response.read() != b'{"ok":true}':
                return False
        return True
    finally:
        connection.close()


@contextlib.contextmanager
def nginx_upstream(nginx: str, prefix: Path, workers: int = 1) -> Iterator[tuple[Process, int]]:
    """The fast upstream: answers every request with ``{"ok":true}``."""
    port = free_port()
    server = _UPSTREAM_SERVER.format(host=HOST, port=port)
    conf = _nginx_conf(prefix, workers, server)
    command = [nginx, "-c", str(conf), "-p", str(prefix)]
    with started("nginx upstream", command, prefix / "nginx.log", lambda: _answers_post(port)) as p:
        yield p, port


@contextlib.contextmanager
def nginx_proxy(
    nginx: str, prefix: Path, upstream_port: int, workers: int, body_buffer: str
) -> Iterator[tuple[Process, int]]:
    """nginx as a plain reverse proxy (``proxy_pass``) to the fast upstream."""
    port = free_port()
    server = _PROXY_SERVER.format(
        host=HOST, port=port, upstream_port=upstream_port, body_buffer=body_buffer
    )
    conf = _nginx_conf(prefix, workers, server)
    command = [nginx, "-c", str(conf), "-p", str(prefix)]
    name = f"nginx proxy ({workers} worker{'s' if workers > 1 else ''})"
    with started(name, command, prefix / "nginx.log", lambda: _answers_post(port)) as process:
        yield process, port


# --- the OpenResty-style peer: nginx with a Lua allowlist filter -------------------------------

# Debian's lua-nginx-module needs the NDK loaded first; nginx's own nginx.conf loads neither,
# since ours is a conf of its own.
LUA_MODULES = (
    Path("/usr/lib/nginx/modules/ndk_http_module.so"),
    Path("/usr/lib/nginx/modules/ngx_http_lua_module.so"),
)

# The Basispoort set as a Kong or OpenResty user would write it: decode, keep the allowed keys,
# encode. No value checks, no content inspection, no log: the job the gateway does, minus what
# only the gateway does. The same function answers /__filtered (the body it would forward),
# so the benchmark can check once that exactly the allowed fields come out.
_LUA_FILTER = """\
    init_by_lua_block {{
        cjson = require "cjson.safe"
        local allowed = {{
            school = {{brin = true, dependance = true, basispoort_id = true}},
            groepen = {{groepskey = true, naam = true, jaargroep = true}},
            leerlingen = {{basispoort_id = true, leerlingkey = true, voornaam = true,
                           tussenvoegsel = true, achternaam = true, geboortedatum = true,
                           geslacht = true, groepskey = true, groepsnaam = true,
                           jaargroep = true}},
        }}
        local function keep(record, keys)
            if type(record) ~= "table" then return nil end
            local out = {{}}
            for key, value in pairs(record) do
                if keys[key] and type(value) ~= "table" then out[key] = value end
            end
            return out
        end
        function allowlist(body)
            local doc = cjson.decode(body or "")
            if type(doc) ~= "table" then return nil end
            local out = {{}}
            if doc.school ~= nil then out.school = keep(doc.school, allowed.school) end
            for _, name in ipairs({{"groepen", "leerlingen"}}) do
                if type(doc[name]) == "table" then
                    local list = {{}}
                    for _, record in ipairs(doc[name]) do
                        local kept = keep(record, allowed[name])
                        if kept then list[#list + 1] = kept end
                    end
                    out[name] = list
                end
            end
            return cjson.encode(out)
        end
    }}
"""

_LUA_PROXY_SERVER = """\
    upstream fast {{
        server {host}:{upstream_port};
        keepalive 128;
    }}
    server {{
        listen {host}:{port} backlog=4096;
        client_max_body_size 0;
        client_body_buffer_size {body_buffer};
        location = /__filtered {{
            content_by_lua_block {{
                ngx.req.read_body()
                local filtered = allowlist(ngx.req.get_body_data())
                if not filtered then return ngx.exit(400) end
                ngx.print(filtered)
            }}
        }}
        location / {{
            rewrite_by_lua_block {{
                ngx.req.read_body()
                local filtered = allowlist(ngx.req.get_body_data())
                if not filtered then return ngx.exit(400) end
                ngx.req.set_body_data(filtered)
            }}
            proxy_pass http://fast;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}"""


def lua_available() -> bool:
    return all(module.is_file() for module in LUA_MODULES)


@contextlib.contextmanager
def nginx_lua_proxy(
    nginx: str, prefix: Path, upstream_port: int, workers: int, body_buffer: str
) -> Iterator[tuple[Process, int]]:
    """nginx with the Lua allowlist filter in ``rewrite_by_lua``, then ``proxy_pass``."""
    port = free_port()
    server = _LUA_FILTER.format() + _LUA_PROXY_SERVER.format(
        host=HOST, port=port, upstream_port=upstream_port, body_buffer=body_buffer
    )
    conf = _nginx_conf(prefix, workers, server)
    modules = "".join(f"load_module {module};\n" for module in LUA_MODULES)
    conf.write_text(modules + conf.read_text())
    command = [nginx, "-c", str(conf), "-p", str(prefix)]
    log = prefix / "nginx.log"
    with started("nginx + Lua filter", command, log, lambda: _lua_answers(port)) as process:
        yield process, port


def _lua_answers(port: int) -> bool:
    sent = b'{"leerlingen": [{"leerlingkey": "a", "bsn": "1"}]}'
    status, body = request(port, "POST", "/__filtered", sent)
    return status == 200 and body == b'{"leerlingen":[{"leerlingkey":"a"}]}'


def lua_filtered(port: int, body: bytes) -> bytes:
    """What the Lua peer forwards for ``body``."""
    status, filtered = request(port, "POST", "/__filtered", body, timeout=30)
    if status != 200:
        raise BenchError(f"the Lua peer answered {status} to its own check")
    return filtered


# --- PostgreSQL ------------------------------------------------------------------------------

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"


def _pg(command: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PGCONNECT_TIMEOUT": "5"}
    return subprocess.run(
        [command, "-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def postgres_version() -> str | None:
    """The server's version, or None when PostgreSQL does not answer on 127.0.0.1:5432."""
    query = "SELECT version(), current_setting('synchronous_commit'), current_setting('fsync')"
    try:
        result = _pg("psql", "-d", "postgres", "-tA", "-F", "|", "-c", query)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    version, synchronous_commit, fsync = result.stdout.strip().split("|")
    short = " ".join(version.split()[:2])
    return f"{short} (synchronous_commit={synchronous_commit}, fsync={fsync})"


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database for this run (dropped afterwards); yields its URL."""
    name = f"poortwachter_bench_{os.getpid()}"
    _pg("dropdb", "--if-exists", "--force", name)
    created = _pg("createdb", name)
    if created.returncode != 0:
        raise BenchError(f"createdb {name} failed: {created.stderr.strip()}")
    try:
        yield f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        _pg("dropdb", "--if-exists", "--force", name)


# --- the gateway -----------------------------------------------------------------------------


def gateway_env(database_url: str, upstream_port: int, var: Path, **extra: str) -> dict[str, str]:
    """A benchmarked gateway's environment; its keys and checkpoints go in ``var`` (beside its
    database), not in the checkout's var/, where a developer's own gateway keeps its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(
        GATEWAY_DATABASE_URL=database_url,
        GATEWAY_LOG_KEY_FILE=str(var / "log-signing.key"),
        GATEWAY_CHECKPOINT_FILE=str(var / "checkpoints.jsonl"),
        GATEWAY_SUBJECT_KEY_FILE=str(var / "subject.key"),
        GATEWAY_PSEUDONYM_KEY_FILE=str(var / "pseudonym.key"),
        GATEWAY_HOST=HOST,
        GATEWAY_UPSTREAM_BASISPOORT=f"http://{HOST}:{upstream_port}/",
        # the per-key limits would answer 429 to the load generator: off for the benchmark
        GATEWAY_RATE_PER_CLIENT="0",
        GATEWAY_CONCURRENCY_PER_CLIENT="0",
        **extra,
    )
    return env


def create_key(env: dict[str, str]) -> str:
    """A source key for the bench client and school 99XX."""
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "keys", "create", "--client", "bench", "--schools", BRIN],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    key = result.stdout.strip().splitlines()[0] if result.stdout.strip() else ""
    if result.returncode != 0 or not key.startswith("pw_"):
        raise BenchError(f"poortwachter keys create failed:\n{result.stderr[-2000:]}")
    return key


def _healthy(port: int) -> bool:
    status, _ = request(port, "GET", "/healthz", timeout=2)
    return status == 200


@contextlib.contextmanager
def gateway(
    name: str, env: dict[str, str], log: Path, workers: int = 1
) -> Iterator[tuple[Process, int]]:
    """``poortwachter serve`` on a free port, ready once ``/healthz`` answers 200."""
    port = free_port()
    command = [sys.executable, "-m", "gateway", "serve", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    env = {**env, "GATEWAY_PORT": str(port)}
    with started(name, command, log, lambda: _healthy(port), env) as process:
        yield process, port


def sync_headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "X-School": BRIN, "Content-Type": "application/json"}
