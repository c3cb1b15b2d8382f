"""CPU time a process tree used, from /proc: the cost of a request in CPU, which a shared
machine's noise moves far less than requests a second."""

from __future__ import annotations

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw.rsplit(")", 1)[1].split()  # fields after the command name, from "state" on


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def seconds(pid: int) -> float:
    """User plus system CPU seconds of ``pid`` and every live descendant (all threads)."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        fields = _stat(current)
        if fields is None:
            continue
        total += (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime
        pending += _children(current)
    return total
