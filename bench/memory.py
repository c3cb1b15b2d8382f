"""Part 4, memory: the gateway's peak RSS while one large sync passes through it."""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass
from pathlib import Path

from servers import HOST, SYNC_PATH
from tools import BenchError

MIB = 1024 * 1024


def status_kib(pid: int, field: str) -> int:
    """A ``kB`` line of /proc/<pid>/status: VmHWM is the peak resident set, VmRSS the current."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise BenchError(f"no {field} in /proc/{pid}/status")


@dataclass(frozen=True)
class MemoryResult:
    pupils: int
    body_bytes: int
    baseline_rss_bytes: int  # after start-up and one small sync
    peak_rss_bytes: int  # VmHWM after the large sync
    seconds: float  # the large sync, end to end

    @property
    def peak_over_body(self) -> float:
        return self.peak_rss_bytes / self.body_bytes

    @property
    def added_over_body(self) -> float:
        return (self.peak_rss_bytes - self.baseline_rss_bytes) / self.body_bytes


def post_file(port: int, path: Path, headers: dict[str, str], timeout: float = 300) -> int:
    """POST the file at ``path`` streamed from disk; returns the status."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout, blocksize=1 << 20)
    try:
        with path.open("rb") as body:
            size = path.stat().st_size
            connection.request(
                "POST", SYNC_PATH, body=body, headers={**headers, "Content-Length": str(size)}
            )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def measure(
    pid: int, port: int, headers: dict[str, str], warm: Path, large: Path, pupils: int
) -> MemoryResult:
    """Peak RSS of process ``pid`` (the gateway at ``port``) for one sync of ``large``."""
    if (status := post_file(port, warm, headers)) != 200:
        raise BenchError(f"the warm-up sync was answered {status}")
    baseline = status_kib(pid, "VmRSS") * 1024
    start = time.perf_counter()
    status = post_file(port, large, headers)
    seconds = time.perf_counter() - start
    if status != 200:
        raise BenchError(f"the {pupils}-pupil sync was answered {status}, not 200")
    return MemoryResult(
        pupils=pupils,
        body_bytes=large.stat().st_size,
        baseline_rss_bytes=baseline,
        peak_rss_bytes=status_kib(pid, "VmHWM") * 1024,
        seconds=seconds,
    )
