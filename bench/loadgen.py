"""Load: wrk for the maximum rate (closed loop), and a small open-loop client in Python for
latency at a fixed rate (wrk2 is not in Debian)."""

# ruff: noqa: S603 - the benchmark runs its own fixed commands (wrk, nginx, psql, apt-get)
from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import uvloop
from tools import BenchError

# wrk's done() hook prints one JSON line: exact counts and percentiles, no text parsing.
_LUA = """\
wrk.method = "POST"
{headers}
local file = assert(io.open("{body}", "rb"))
wrk.body = file:read("*a")
file:close()

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors and non-2xx/3xx answers
    cpu_seconds: float | None = None  # the target's processes, during the run

    @property
    def cpu_us_per_request(self) -> float | None:
        if self.cpu_seconds is None or not self.requests:
            return None
        return self.cpu_seconds / self.requests * 1e6

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def wrk_script(directory: Path, name: str, body: Path, headers: dict[str, str]) -> Path:
    lines = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
    script = directory / f"{name}.lua"
    script.write_text(_LUA.format(headers=lines, body=body))
    return script


def wrk(
    binary: str,
    url: str,
    script: Path,
    *,
    threads: int,
    connections: int,
    seconds: float,
) -> WrkResult:
    """One wrk run; bounded by its duration plus a margin."""
    command = [
        binary,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "30s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 60, check=False
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk did not finish: {' '.join(command)}") from None
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if result.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    data = json.loads(line.removeprefix("BENCH "))
    errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=errors,
    )


@dataclass(frozen=True)
class OpenLoopResult:
    rate: float  # requests a second asked for
    sent: int
    errors: int
    p50_ms: float  # from the moment each request was due, so client lag counts too
    p99_ms: float
    lag_p50_ms: float  # how late the client itself sent, the health of the measurement


async def _open_loop(
    url: str, body: bytes, headers: dict[str, str], rate: float, count: int, max_seconds: float
) -> OpenLoopResult:
    # time.perf_counter, not loop.time(): uvloop's clock moves in whole milliseconds.
    clock = time.perf_counter
    latencies: list[float] = []
    lags: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=512)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(due: float, measured: bool) -> None:
            nonlocal errors
            sent = clock()
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    ok = response.status == 200
            except (aiohttp.ClientError, TimeoutError):
                ok = False
            if measured:
                latencies.append(clock() - due)
                lags.append(sent - due)
                errors += not ok

        warmup = min(count // 10, 200)
        start = clock()
        tasks = []
        for index in range(warmup + count):
            due = start + index / rate
            if due - start > max_seconds:
                break
            delay = due - clock()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(due, index >= warmup)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    if not latencies:
        raise BenchError(f"the open-loop client got no answers from {url}")
    return OpenLoopResult(
        rate=rate,
        sent=len(latencies),
        errors=errors,
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=statistics.quantiles(latencies, n=100)[98] * 1000 if len(latencies) > 1 else 0.0,
        lag_p50_ms=statistics.median(lags) * 1000,
    )


def open_loop(
    url: str, body: bytes, headers: dict[str, str], *, rate: float, seconds: float
) -> OpenLoopResult:
    """Send at ``rate`` a second for ``seconds`` (at most 20,000 requests), whatever the
    answers take, and record each latency."""
    count = max(50, min(20_000, int(rate * seconds)))
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(_open_loop(url, body, headers, rate, count, seconds * 1.5 + 5))
