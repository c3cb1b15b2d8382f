"""The gateway as a real process: ``python -m gateway`` commands and a served gateway."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def cli(env: dict[str, str], *args: str) -> str:
    """Run ``python -m gateway ARGS`` and return what it printed on stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def _start(
    env: dict[str, str], log: Path, args: tuple[str, ...]
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve", "--port", str(port), *args],
            cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return process, port


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@contextlib.asynccontextmanager
async def served(
    env: dict[str, str], log: Path, *args: str, scheme: str = "http", verify: Any = True
) -> AsyncIterator[tuple[subprocess.Popen[bytes], str]]:
    """``python -m gateway serve ARGS`` on a free port, once /healthz answers 200."""
    process, port = _start(env, log, args)
    url = f"{scheme}://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(verify=verify) as probe:
            deadline = time.monotonic() + 30
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if (await probe.get(f"{url}/healthz")).status_code == 200:
                        break
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the gateway did not start"
                await asyncio.sleep(0.1)
        yield process, url
    finally:
        _stop(process)


@contextlib.contextmanager
def served_sync(env: dict[str, str], log: Path, *args: str) -> Iterator[str]:
    """``served`` for synchronous tests: yields the URL."""
    process, port = _start(env, log, args)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the gateway did not start"
            time.sleep(0.1)
        yield url
    finally:
        _stop(process)
