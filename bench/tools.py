"""The tools the benchmark drives (wrk, nginx), installed from Debian's packages if missing,
and a description of the machine the numbers come from."""

# ruff: noqa: S603, S607 - the benchmark runs its own fixed commands (wrk, nginx, psql, apt-get)
from __future__ import annotations

import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

# binary -> Debian packages that provide it, in order of preference
PACKAGES = {"wrk": ("wrk",), "nginx": ("nginx-light", "nginx")}
_SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"])


class BenchError(RuntimeError):
    """Something the benchmark needs is not there or did not start; the message says what."""


def which(binary: str) -> str | None:
    return shutil.which(binary, path=_SBIN_PATH)


def _candidate(package: str) -> str | None:
    """The version apt would install, or None."""
    try:
        out = subprocess.run(
            ["apt-cache", "policy", package], capture_output=True, text=True, check=False
        ).stdout
    except FileNotFoundError:
        return None
    match = re.search(r"Candidate:\s*(\S+)", out)
    return match.group(1) if match and match.group(1) != "(none)" else None


def _apt(*args: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    result = subprocess.run(["apt-get", *args], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise BenchError(f"apt-get {' '.join(args)} failed:\n{result.stderr[-2000:]}")


# The OpenResty-style peer (issue #8): Debian's Lua module for nginx and lua-cjson.
LUA_PACKAGES = ("libnginx-mod-http-lua", "lua-cjson")


def ensure_lua(present: bool) -> None:
    """Install the Lua module and cjson for nginx unless ``present``."""
    if present:
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise BenchError(f"install as root: apt-get install -y {' '.join(LUA_PACKAGES)}")
    if not all(_candidate(p) for p in LUA_PACKAGES):
        _apt("update", "-qq")
    print(f"bench: apt-get install -y {' '.join(LUA_PACKAGES)}", file=sys.stderr)
    _apt("install", "-y", "-qq", *LUA_PACKAGES)


def ensure_tools() -> dict[str, str]:
    """Path of each binary, installing its Debian package first where it is missing."""
    missing = {binary: pkgs for binary, pkgs in PACKAGES.items() if which(binary) is None}
    if missing:
        if shutil.which("apt-get") is None or os.geteuid() != 0:
            names = ", ".join(missing)
            raise BenchError(
                f"{names} missing; install as root: apt-get install -y wrk nginx-light"
            )
        updated = False
        for binary, packages in missing.items():
            package = next((p for p in packages if _candidate(p)), None)
            if package is None and not updated:
                print("bench: apt-get update (no candidate for", binary, "yet)", file=sys.stderr)
                _apt("update", "-qq")
                updated = True
                package = next((p for p in packages if _candidate(p)), None)
            if package is None:
                raise BenchError(f"no Debian package for {binary} ({', '.join(packages)})")
            print(f"bench: apt-get install -y {package}", file=sys.stderr)
            _apt("install", "-y", "-qq", package)
    paths = {binary: which(binary) for binary in PACKAGES}
    for binary, found in paths.items():
        if found is None:
            raise BenchError(f"{binary} is still not on PATH after installing it")
    return {binary: str(found) for binary, found in paths.items()}


def _output(*command: str) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (result.stdout + result.stderr).strip()


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def fsync_ms(directory: Path, count: int = 50) -> float:
    """Median time of one fsync of a 4 KiB append in ``directory``: what a durable commit costs
    at the least on this disk."""
    probe = directory / "fsync-probe"
    times = []
    with probe.open("wb") as out:
        for _ in range(count):
            out.write(b"x" * 4096)
            out.flush()
            start = time.perf_counter()
            os.fsync(out.fileno())
            times.append(time.perf_counter() - start)
    probe.unlink()
    return statistics.median(times) * 1000


def code_state() -> dict[str, str]:
    """The commit measured, and which files under gateway/ differ from it."""
    root = Path(__file__).resolve().parent.parent
    head = _output("git", "-C", str(root), "rev-parse", "--short", "HEAD")
    changed = _output("git", "-C", str(root), "status", "--porcelain", "--", "gateway")
    return {"commit": head, "gateway_changes": " ".join(changed.split()) or "none"}


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine(tools: dict[str, str], postgres_version: str | None) -> dict[str, str]:
    wrk_version = _output(tools["wrk"], "-v").splitlines()[0]
    debian = Path("/etc/debian_version")
    return {
        "cpus": f"{len(os.sched_getaffinity(0))} usable (nproc), {os.cpu_count()} online",
        "cpu_model": _cpu_model(),
        "memory": f"{_memory_gib():.1f} GiB",
        "kernel": platform.release(),
        "os": f"Debian {debian.read_text().strip()}" if debian.is_file() else platform.platform(),
        "python": platform.python_version(),
        "nginx": _output(tools["nginx"], "-v").removeprefix("nginx version: "),
        "wrk": wrk_version.split(" [")[0],
        "postgresql": postgres_version or "not available",
        "load_average_at_start": load_average(),
    }
