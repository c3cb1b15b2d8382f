"""``make bench``: the gateway's performance, as ratios measured side by side in one run.

1. filter core against the naive approach (orjson, dict comprehensions) on the same payloads;
2. the gateway against nginx as a plain reverse proxy, same upstream, same wrk load, plus the
   latency the gateway adds at half its maximum rate (open loop);
3. the durable transfer log against none (GATEWAY_BENCH_WITHOUT_LOG=1, benchmark only);
4. the gateway's peak RSS for one 100,000-pupil sync, and for the worst bodies the receive
   step can be given (streamed chunked, gzip with a BOM, padding at the decompression ratio);
5. fairness: the p50 latency a 100,000-pupil sync being filtered adds to 1-pupil transfers;
6. XML: the gateway's UWLR/EDEXML steps on a 1,000-pupil response against a plain lxml
   parse-and-serialise of the same bytes (bench/xmlfilter.py).

Run from the repository root: ``.venv/bin/python bench/run.py`` (or ``make bench``). Settings,
all optional: BENCH_QUICK=1 (a ~2-minute smoke run), BENCH_DURATION (seconds per wrk run),
BENCH_CONNECTIONS, BENCH_THREADS, BENCH_ROUNDS, BENCH_PARTS (any of
filter,proxy,memory,fairness,xml), BENCH_SIZES (pupils per request through the proxies; default
1,100,1000),
BENCH_PROFILE=1 (after the measurements, sample the gateway with py-spy under the same load).
Results: printed, and written to .bench/results.json and .bench/results.md;
``bench/run.py --report [results.json]`` prints the tables of an earlier run again (and
rewrites .bench/results.md from it).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shlex
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import FrameType
from typing import Any

import cpu
import fairness
import filtercore
import loadgen
import memory
import payloads
import report
import servers
import spy
import tools
import xmlfilter

from gateway.settings import Settings

OUT = payloads.CACHE
PARTS = ("filter", "proxy", "memory", "fairness", "xml")
Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Plan:
    quick: bool = False
    parts: tuple[str, ...] = PARTS
    filter_sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
    filter_max_runs: int = 30
    filter_budget_s: float = 10.0  # per size; at least filter_min_runs runs whatever it takes
    filter_min_runs: int = 3
    sizes: tuple[int, ...] = (1, 100, 1_000)  # pupils per request through the proxies
    seconds: float = 10.0  # per wrk run
    warmup_s: float = 2.0
    threads: int = 1
    connections: int = 32
    rounds: int = 2  # wrk runs per target and size, all targets in turn; the median is kept
    two_workers: bool = True
    open_loop_s: float = 10.0
    latency_rounds: int = 3  # odd, so the median round is a real one
    memory_pupils: int = 100_000
    receive_memory: bool = True  # part 4: also the receive step's worst bodies
    fairness_rate: float = 20.0  # 1-pupil transfers a second, beside the large syncs
    fairness_s: float = 15.0  # each open loop (alone, then during large syncs)
    profile: bool = False
    xml_pupils: int = 1_000  # part 6: the "1,000-pupil response"
    xml_runs: int = 20

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Plan:
        quick = env.get("BENCH_QUICK") == "1"
        base = (
            cls(
                quick=True,
                filter_max_runs=5,
                filter_budget_s=2.0,
                filter_min_runs=1,
                seconds=3.0,
                warmup_s=1.0,
                rounds=1,
                two_workers=False,
                open_loop_s=3.0,
                latency_rounds=1,
                fairness_s=6.0,
                xml_runs=5,
            )
            if quick
            else cls()
        )
        parts = tuple(p for p in env.get("BENCH_PARTS", ",".join(PARTS)).split(",") if p)
        unknown = set(parts) - set(PARTS)
        if unknown:
            raise tools.BenchError(f"BENCH_PARTS: unknown {sorted(unknown)}; known {PARTS}")
        return cls(
            **{
                **asdict(base),
                "parts": parts,
                "seconds": float(env.get("BENCH_DURATION", base.seconds)),
                "threads": int(env.get("BENCH_THREADS", base.threads)),
                "connections": int(env.get("BENCH_CONNECTIONS", base.connections)),
                "rounds": max(1, int(env.get("BENCH_ROUNDS", base.rounds))),
                "profile": env.get("BENCH_PROFILE") == "1",
                "sizes": _sizes(env.get("BENCH_SIZES"), base.sizes),
            }
        )


def _sizes(text: str | None, default: tuple[int, ...]) -> tuple[int, ...]:
    """BENCH_SIZES: pupils per request through the proxies, e.g. ``100`` or ``1,100``."""
    if not text:
        return default
    try:
        sizes = tuple(sorted({int(n) for n in text.split(",")}))
    except ValueError:
        message = f"BENCH_SIZES: numbers of pupils, e.g. 1,100; not {text!r}"
        raise tools.BenchError(message) from None
    if any(n < 1 for n in sizes):
        raise tools.BenchError(f"BENCH_SIZES: at least one pupil each, not {text!r}")
    return sizes


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- part 1 ----------------------------------------------------------------------------------


def run_filter(plan: Plan) -> Rows:
    rows: Rows = []
    for pupils in plan.filter_sizes:
        raw = payloads.body(pupils)
        say(f"filter core: {pupils:,} pupils ({len(raw) / 1e6:.1f} MB)")
        result = filtercore.measure(
            pupils,
            raw,
            max_runs=plan.filter_max_runs,
            min_runs=plan.filter_min_runs,
            budget_s=plan.filter_budget_s,
        )
        rows.append(
            {
                **asdict(result),
                "pupils_per_s": {name: result.pupils_per_s(name) for name in result.seconds},
                "ratio": result.ratio,
            }
        )
        del raw
    return rows


# --- parts 2 and 3 ---------------------------------------------------------------------------


def run_ceiling(plan: Plan) -> Rows:
    """The body work alone for each size (no HTTP, no log): the ceiling of one process."""
    rows: Rows = []
    for pupils in plan.sizes:
        raw = payloads.body(pupils)
        runs = max(5, min(500, int(2_000_000 / len(raw))))
        seconds = filtercore.body_work_seconds(raw, runs=runs)
        rows.append({"pupils": pupils, "seconds": seconds, "rps": 1 / seconds, "runs": runs})
        say(f"body work alone, {pupils:,} pupils: {seconds * 1000:.3f} ms")
    return rows


@dataclass(frozen=True)
class Target:
    name: str
    port: int
    pid: int
    headers: dict[str, str]


def _gateway_target(
    stack: contextlib.ExitStack,
    name: str,
    env: dict[str, str],
    key: str,
    workdir: Path,
    workers: int = 1,
) -> Target:
    say(f"starting {report.LABELS[name]}")
    process, port = stack.enter_context(
        servers.gateway(name, env, workdir / f"{name}.log", workers=workers)
    )
    return Target(name, port, process.pid, servers.sync_headers(key))


def _sqlite_gateways(
    stack: contextlib.ExitStack, workdir: Path, upstream_port: int
) -> list[Target]:
    found = []
    for name, extra in (("gw-sqlite", {}), ("gw-sqlite-nolog", {"GATEWAY_BENCH_WITHOUT_LOG": "1"})):
        env = servers.gateway_env(
            f"sqlite://{workdir / name}.sqlite3", upstream_port, workdir / name, **extra
        )
        found.append(_gateway_target(stack, name, env, servers.create_key(env), workdir))
    return found


def _postgres_gateways(
    stack: contextlib.ExitStack, workdir: Path, upstream_port: int, plan: Plan
) -> list[Target]:
    if servers.postgres_version() is None:
        say("PostgreSQL does not answer on 127.0.0.1:5432: its gateways are skipped")
        return []
    url = stack.enter_context(servers.postgres_database())
    env = servers.gateway_env(url, upstream_port, workdir / "gw-pg")
    key = servers.create_key(env)
    found = [
        _gateway_target(stack, "gw-pg", env, key, workdir),
        _gateway_target(
            stack, "gw-pg-nolog", {**env, "GATEWAY_BENCH_WITHOUT_LOG": "1"}, key, workdir
        ),
    ]
    if plan.two_workers:
        found.append(_gateway_target(stack, "gw-pg-2w", env, key, workdir, workers=2))
    return found


def _nginx_targets(
    stack: contextlib.ExitStack, nginx: str, workdir: Path, upstream_port: int, plan: Plan
) -> list[Target]:
    largest = max(payloads.path(n).stat().st_size for n in plan.sizes)
    buffer = f"{max(16, 2 * largest // (1 << 20) + 1)}m"  # the body stays in memory
    found = [_lua_target(stack, nginx, workdir, upstream_port, buffer)]
    for name, workers in (("nginx", 1), ("nginx-2w", 2)):
        if workers > 1 and not plan.two_workers:
            continue
        process, port = stack.enter_context(
            servers.nginx_proxy(nginx, workdir / name, upstream_port, workers, buffer)
        )
        found.append(Target(name, port, process.pid, servers.sync_headers("nginx-ignores-this")))
    return found


def _lua_target(
    stack: contextlib.ExitStack, nginx: str, workdir: Path, upstream_port: int, buffer: str
) -> Target:
    """The peer a Kong or OpenResty user would build, checked once to forward exactly the
    fields the gateway forwards for the same sync."""
    tools.ensure_lua(servers.lua_available())
    process, port = stack.enter_context(
        servers.nginx_lua_proxy(nginx, workdir / "nginx-lua", upstream_port, 1, buffer)
    )
    raw = payloads.body(100)
    theirs = filtercore.field_paths(json.loads(servers.lua_filtered(port, raw)))
    ours = filtercore.field_paths(json.loads(filtercore.gateway_filter(raw)[0]))
    if theirs != ours:
        raise tools.BenchError(
            f"the Lua peer forwards other fields than the gateway: only theirs "
            f"{sorted(theirs - ours)}, only ours {sorted(ours - theirs)}"
        )
    say(f"the Lua peer forwards exactly the gateway's {len(ours)} field paths")
    return Target("nginx-lua", port, process.pid, servers.sync_headers("nginx-ignores-this"))


def _median_of(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def _aggregate(target: str, pupils: int, runs: list[loadgen.WrkResult]) -> dict[str, Any]:
    return {
        "target": target,
        "pupils": pupils,
        "rps": statistics.median(r.rps for r in runs),
        "p50_ms": statistics.median(r.p50_ms for r in runs),
        "p99_ms": statistics.median(r.p99_ms for r in runs),
        "errors": sum(r.errors for r in runs),
        "requests": sum(r.requests for r in runs),
        "cpu_us_per_request": _median_of(r.cpu_us_per_request for r in runs),
        "runs": [
            asdict(r) | {"rps": r.rps, "cpu_us_per_request": r.cpu_us_per_request} for r in runs
        ],
    }


@dataclass(frozen=True)
class Loader:
    """wrk with the plan's threads and connections, a script per target and size."""

    wrk: str
    plan: Plan
    scripts: dict[tuple[str, int], Path]

    @classmethod
    def build(cls, wrk: str, plan: Plan, targets: list[Target], workdir: Path) -> Loader:
        scripts = {
            (t.name, n): loadgen.wrk_script(workdir, f"{t.name}-{n}", payloads.path(n), t.headers)
            for t in targets
            for n in plan.sizes
        }
        return cls(wrk, plan, scripts)

    def __call__(self, target: Target, pupils: int, seconds: float) -> loadgen.WrkResult:
        before = cpu.seconds(target.pid)
        result = loadgen.wrk(
            self.wrk,
            f"http://{servers.HOST}:{target.port}{servers.SYNC_PATH}",
            self.scripts[target.name, pupils],
            threads=self.plan.threads,
            connections=self.plan.connections,
            seconds=seconds,
        )
        return replace(result, cpu_seconds=cpu.seconds(target.pid) - before)


def run_throughput(plan: Plan, load: Loader, targets: list[Target]) -> Rows:
    """wrk against every target, size by size, so that the ratios are measured close in time."""
    warm = 100 if 100 in plan.sizes else plan.sizes[0]
    for target in targets:
        say(f"warming up {target.name}")
        load(target, warm, plan.warmup_s)
    measured: dict[tuple[str, int], list[loadgen.WrkResult]] = {}
    for round_ in range(plan.rounds):
        for pupils in plan.sizes:
            for target in targets:
                result = load(target, pupils, plan.seconds)
                say(
                    f"round {round_ + 1}: {pupils:>5,} pupils  {target.name:<16}"
                    f"{result.rps:>9,.0f} req/s  p50 {result.p50_ms:7.2f} ms"
                    f"  p99 {result.p99_ms:7.2f} ms  errors {result.errors}"
                )
                measured.setdefault((target.name, pupils), []).append(result)
    return [
        _aggregate(target.name, pupils, measured[target.name, pupils])
        for pupils in plan.sizes
        for target in targets
    ]


def run_profile(plan: Plan, load: Loader, targets: list[Target]) -> Rows:
    """py-spy on the SQLite gateway (log on) under the same wrk load, outside the timed runs."""
    gateway = next((t for t in targets if t.name == "gw-sqlite"), None)
    if gateway is None:
        return []
    found: Rows = []
    for pupils in (n for n in (1, 100) if n in plan.sizes):
        output = OUT / f"profile-{gateway.name}-{pupils}.txt"
        say(f"profiling {gateway.name} with py-spy, {pupils} pupils")
        with spy.sampling(gateway.pid, plan.seconds, output):
            load(gateway, pupils, plan.seconds)
        found.append({"target": gateway.name, "pupils": pupils, "raw": str(output)})
        found[-1] |= spy.top(output)
    return found


# open-loop runs: (rate taken from this gateway's maximum, targets sent to at half of it)
LATENCY_GROUPS = (
    ("gw-sqlite", ("gw-sqlite", "gw-sqlite-nolog", "nginx")),
    ("gw-pg", ("gw-pg", "gw-pg-nolog")),
)


def run_latency(plan: Plan, targets: list[Target], throughput: Rows) -> Rows:
    """Open loop at half a gateway's maximum rate (100 pupils): directly to the upstream, then
    through each target, so the difference in p50 is what the target adds. Repeated for each
    round (direct first every time); the table gives the median round."""
    by_name = {t.name: t for t in targets}
    max_rps = {r["target"]: r["rps"] for r in throughput if r["pupils"] == 100}
    body = payloads.body(100)
    rounds: dict[str, list[dict[str, Any]]] = {}
    for round_ in range(plan.latency_rounds):
        for rate_of, names in LATENCY_GROUPS:
            if rate_of not in max_rps:
                continue
            rate = max_rps[rate_of] / 2
            direct = _open_loop(by_name["upstream"], body, rate, plan.open_loop_s)
            for name in (n for n in names if n in by_name):
                through = _open_loop(by_name[name], body, rate, plan.open_loop_s)
                added = through.p50_ms - direct.p50_ms
                say(
                    f"round {round_ + 1}: open loop {rate:,.0f} req/s: {name} p50 "
                    f"{through.p50_ms:.2f} ms, direct p50 {direct.p50_ms:.2f} ms, "
                    f"added {added:.2f} ms"
                )
                rounds.setdefault(name, []).append(
                    {
                        "target": name,
                        "rate_of": rate_of,
                        **asdict(through),
                        "direct_p50_ms": direct.p50_ms,
                        "direct_p99_ms": direct.p99_ms,
                        "direct_lag_p50_ms": direct.lag_p50_ms,
                        "added_p50_ms": added,
                    }
                )
    return [_median_round(runs) for runs in rounds.values()]


def _median_round(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the median added p50, with every round's added p50 beside it."""
    ordered = sorted(runs, key=lambda r: r["added_p50_ms"])
    return {
        **ordered[(len(ordered) - 1) // 2],
        "added_p50_rounds": [r["added_p50_ms"] for r in runs],
    }


def _open_loop(target: Target, body: bytes, rate: float, seconds: float) -> loadgen.OpenLoopResult:
    url = f"http://{servers.HOST}:{target.port}{servers.SYNC_PATH}"
    return loadgen.open_loop(url, body, target.headers, rate=rate, seconds=seconds)


def nginx_spills(workdir: Path) -> None:
    """Fail if the nginx proxies wrote any request body to disk: their buffer was too small."""
    for log in workdir.glob("nginx*/nginx.log"):
        text = log.read_text(errors="replace")
        if "buffered to a temporary file" in text or "/client_body/" in text:
            raise tools.BenchError(f"nginx spilled request bodies to disk, see {log}")


def run_proxy(
    plan: Plan, binaries: dict[str, str], workdir: Path, upstream_port: int, upstream_pid: int
) -> tuple[Rows, Rows, Rows]:
    with contextlib.ExitStack() as stack:
        upstream = Target("upstream", upstream_port, upstream_pid, servers.sync_headers("-"))
        targets = [
            upstream,
            *_nginx_targets(stack, binaries["nginx"], workdir, upstream_port, plan),
            *_sqlite_gateways(stack, workdir, upstream_port),
            *_postgres_gateways(stack, workdir, upstream_port, plan),
        ]
        order = list(report.LABELS)
        targets.sort(key=lambda t: order.index(t.name))
        load = Loader.build(binaries["wrk"], plan, targets, workdir)
        throughput = run_throughput(plan, load, targets)
        latency = run_latency(plan, targets, throughput)
        profiles = run_profile(plan, load, targets) if plan.profile else []
        nginx_spills(workdir)
        say("stopping the proxies")
    return throughput, latency, profiles


# --- part 4 ----------------------------------------------------------------------------------


def _memory_gateway(
    stack: contextlib.ExitStack, workdir: Path, upstream_port: int, name: str, limit: int
) -> tuple[servers.Process, int, dict[str, str]]:
    env = servers.gateway_env(
        f"sqlite://{workdir / name}.sqlite3",
        upstream_port,
        workdir / name,
        GATEWAY_MAX_BODY_BYTES=str(limit),
    )
    key = servers.create_key(env)
    process, port = stack.enter_context(servers.gateway(name, env, workdir / f"{name}.log"))
    return process, port, servers.sync_headers(key)


def run_memory(plan: Plan, workdir: Path, upstream_port: int) -> dict[str, Any]:
    large = payloads.path(plan.memory_pupils)
    limit = 2 * large.stat().st_size
    with contextlib.ExitStack() as stack:
        process, port, headers = _memory_gateway(stack, workdir, upstream_port, "gw-memory", limit)
        say(f"memory: one {plan.memory_pupils:,}-pupil sync ({large.stat().st_size / 1e6:.0f} MB)")
        result = memory.measure(
            process.pid, port, headers, payloads.path(100), large, plan.memory_pupils
        )
    return {
        **asdict(result),
        "peak_over_body": result.peak_over_body,
        "added_over_body": result.added_over_body,
    }


def run_receive_memory(plan: Plan, workdir: Path, upstream_port: int) -> Rows:
    """Each of the receive step's worst bodies through a gateway of its own (peak RSS is a
    process's peak), at the default decompression ratio."""
    large = payloads.path(plan.memory_pupils)
    limit = 2 * large.stat().st_size
    ratio = Settings().max_decompression_ratio
    rows: Rows = []
    for number, case in enumerate(memory.receive_cases(large, payloads.CACHE, ratio)):
        with contextlib.ExitStack() as stack:
            name = f"gw-receive-{number}"
            process, port, headers = _memory_gateway(stack, workdir, upstream_port, name, limit)
            say(f"memory through receive: {case.name} ({case.wire.stat().st_size / 1e6:.1f} MB)")
            result = memory.measure_receive(process.pid, port, headers, payloads.path(100), case)
        rows.append(
            {
                **asdict(result),
                "peak_over_body": result.peak_over_body,
                "added_over_body": result.added_over_body,
            }
        )
    return rows


# --- part 5 ----------------------------------------------------------------------------------


def run_fairness(plan: Plan, workdir: Path, upstream_port: int) -> dict[str, Any]:
    large = payloads.path(plan.memory_pupils)
    limit = 2 * large.stat().st_size
    with contextlib.ExitStack() as stack:
        _process, port, headers = _memory_gateway(
            stack, workdir, upstream_port, "gw-fairness", limit
        )
        say(
            f"fairness: 1-pupil transfers at {plan.fairness_rate:g}/s, alone and beside "
            f"{plan.memory_pupils:,}-pupil syncs, {plan.fairness_s:g} s each"
        )
        result = fairness.measure(
            port,
            headers,
            payloads.body(1),
            large,
            plan.memory_pupils,
            rate=plan.fairness_rate,
            seconds=plan.fairness_s,
        )
    say(
        f"fairness: p50 {result.alone_p50_ms:.2f} ms alone, {result.during_p50_ms:.2f} ms "
        f"beside {result.large_syncs} large syncs: added {result.added_p50_ms:.2f} ms"
    )
    return {**asdict(result), "added_p50_ms": result.added_p50_ms,
            "added_p99_ms": result.added_p99_ms}  # fmt: skip


# --- the run ---------------------------------------------------------------------------------


def command_line() -> str:
    settings = " ".join(
        f"{k}={shlex.quote(v)}" for k, v in os.environ.items() if k.startswith("BENCH_")
    )
    return f"{settings} {sys.executable} {' '.join(sys.argv)}".strip()


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through every finally: nothing is left running


@contextlib.contextmanager
def upstream_server(nginx: str, workdir: Path) -> Iterator[tuple[int, int]]:
    with servers.nginx_upstream(nginx, workdir / "upstream") as (process, port):
        yield port, process.pid


def run(plan: Plan) -> dict[str, Any]:
    binaries = tools.ensure_tools()
    if plan.profile and spy.py_spy() is None:
        raise tools.BenchError("BENCH_PROFILE=1 needs py-spy: .venv/bin/pip install py-spy")
    results: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": command_line(),
        "code": tools.code_state(),
        "plan": asdict(plan),
        "machine": tools.machine(binaries, servers.postgres_version()),
    }
    say(f"plan: {'quick' if plan.quick else 'full'} run of {', '.join(plan.parts)}")
    if "filter" in plan.parts:
        results["filter"] = run_filter(plan)
    if "xml" in plan.parts:
        say(f"XML: {plan.xml_pupils:,}-pupil UWLR response and EDEXML export")
        results["xml"] = xmlfilter.measure(plan.xml_pupils, plan.xml_runs)
    with tempfile.TemporaryDirectory(prefix="poortwachter-bench-") as tmp:
        workdir = Path(tmp)
        results["machine"]["fsync_p50_where_sqlite_logs"] = f"{tools.fsync_ms(workdir):.2f} ms"
        if {"proxy", "memory", "fairness"} & set(plan.parts):
            for pupils in {*plan.sizes, plan.memory_pupils}:
                payloads.path(pupils)  # build what is missing before anything is timed
            with upstream_server(binaries["nginx"], workdir) as (upstream_port, upstream_pid):
                if "proxy" in plan.parts:
                    results["ceiling"] = run_ceiling(plan)
                    proxy = run_proxy(plan, binaries, workdir, upstream_port, upstream_pid)
                    results["throughput"], results["latency"], results["profile"] = proxy
                if "memory" in plan.parts:
                    results["memory"] = run_memory(plan, workdir, upstream_port)
                    if plan.receive_memory:
                        results["memory_receive"] = run_receive_memory(plan, workdir, upstream_port)
                if "fairness" in plan.parts:
                    results["fairness"] = run_fairness(plan, workdir, upstream_port)
    results["machine"]["load_average_at_end"] = tools.load_average()
    results["targets"] = report.targets(results)
    return results


def write_markdown(results: dict[str, Any]) -> None:
    OUT.mkdir(exist_ok=True)
    lines = [f"Command: `{results['command']}`", "", "Machine:", ""]
    lines += [f"- {line}" for line in report.machine_lines(results)]
    lines += ["", *(report.markdown(table) for table in report.tables(results))]
    (OUT / "results.md").write_text("\n".join(lines))


def show(results: dict[str, Any]) -> None:
    print()
    for line in report.machine_lines(results):
        print(line)
    print()
    for table in report.tables(results):
        print(report.text(table))


def main(argv: list[str]) -> int:
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    if argv and argv[0] != "--report":
        print(f"bench/run.py: unknown argument {argv[0]!r} (try --help)", file=sys.stderr)
        return 2
    if argv[:1] == ["--report"]:
        results = json.loads(Path(argv[1] if len(argv) > 1 else OUT / "results.json").read_text())
        results["targets"] = report.targets(results)
        show(results)
        write_markdown(results)
        return 0
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        plan = Plan.from_env(os.environ)
        results = run(plan)
    except tools.BenchError as error:
        print(f"\nbench: {error}", file=sys.stderr)
        return 1
    show(results)
    OUT.mkdir(exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    write_markdown(results)
    print(f"results: {OUT / 'results.json'} and {OUT / 'results.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
