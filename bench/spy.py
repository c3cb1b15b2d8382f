"""BENCH_PROFILE=1: sample the gateway with py-spy while wrk loads it, and list where the time
goes (self time by function, and time spent inside each function including what it calls)."""

# ruff: noqa: S603 - the benchmark runs py-spy, a fixed command, against its own gateway
from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

_ENTRY = {"<module> (gateway/__main__.py)", "main (gateway/cli.py)", "_serve (gateway/cli.py)"}
_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def py_spy() -> str | None:
    """py-spy next to the running Python (``pip install py-spy`` into the venv), or on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.is_file() else shutil.which("py-spy")


@contextlib.contextmanager
def sampling(pid: int, seconds: float, output: Path) -> Iterator[None]:
    """py-spy records ``pid`` (and its subprocesses) for ``seconds`` while the block runs."""
    binary = py_spy()
    assert binary is not None, "checked before the run"
    command = [binary, "record", "--pid", str(pid), "--duration", f"{int(seconds)}"]
    command += ["--rate", "250", "--format", "raw", "--nonblocking", "--subprocesses"]
    command += ["--output", str(output)]
    with (output.with_suffix(".log")).open("wb") as log:
        recorder = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield
    finally:
        try:
            recorder.wait(timeout=seconds + 30)
        except subprocess.TimeoutExpired:
            recorder.kill()
            recorder.wait()


def _short(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    file = match["file"]
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
    return f"{match['function']} ({file})"


def _thread(frames: list[str]) -> str:
    if any(f.startswith("_connection_worker_thread (aiosqlite") for f in frames):
        return "aiosqlite"
    return "thread" if any(f.startswith("Thread._bootstrap ") for f in frames) else "main"


def top(output: Path, count: int = 15) -> dict[str, list[tuple[str, float]]]:
    """Where the samples are: by function on top of the stack (self time, with its thread), and
    by the project's own functions anywhere on the stack (inclusive time), as shares of all
    samples of all threads."""
    own: Counter[str] = Counter()
    inside: Counter[str] = Counter()
    total = 0
    for line in output.read_text(errors="replace").splitlines():
        stack, _, samples = line.rpartition(" ")
        if not stack or not samples.isdigit():
            continue
        frames = [_short(f) for f in stack.split(";") if not f.startswith("process ")]
        n = int(samples)
        total += n
        if frames:
            own[f"{frames[-1]} [{_thread(frames)}]"] += n
            for frame in {f for f in frames if " (gateway/" in f and f not in _ENTRY}:
                inside[frame] += n
    if not total:
        return {"self": [], "inclusive": []}
    return {
        "self": [(f, n / total) for f, n in own.most_common(count)],
        "inclusive": [(f, n / total) for f, n in inside.most_common(count)],
    }
