"""Part 4, memory: the gateway's peak RSS while one large sync passes through it, and while the
worst bodies the receive step can be given pass through it (``receive_cases``)."""

from __future__ import annotations

import gzip
import http.client
import random
import time
import zlib
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


def post_file(
    port: int, path: Path, headers: dict[str, str], timeout: float = 300, *, chunked: bool = False
) -> int:
    """POST the file at ``path`` streamed from disk (chunked: without a Content-Length, as a
    LAS streaming an export would); returns the status."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout, blocksize=1 << 20)
    try:
        with path.open("rb") as body:
            size = path.stat().st_size
            framing = {} if chunked else {"Content-Length": str(size)}
            connection.request(
                "POST", SYNC_PATH, body=body, headers={**headers, **framing}, encode_chunked=chunked
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


# --- the receive step's worst inputs -----------------------------------------------------------

BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class ReceiveCase:
    name: str
    wire: Path  # what is sent
    encoding: str | None  # Content-Encoding
    body_bytes: int  # what the gateway has to filter, once received and decompressed


@dataclass(frozen=True)
class ReceiveResult:
    case: str
    wire_bytes: int
    body_bytes: int
    baseline_rss_bytes: int
    peak_rss_bytes: int
    status: int
    seconds: float

    @property
    def peak_over_body(self) -> float:
        return self.peak_rss_bytes / self.body_bytes

    @property
    def added_over_body(self) -> float:
        return (self.peak_rss_bytes - self.baseline_rss_bytes) / self.body_bytes


def receive_cases(large: Path, directory: Path, max_ratio: float) -> list[ReceiveCase]:
    """The bodies that cost the receive step the most memory for their size, built once:

    - the large sync streamed chunked (the buffer grows as it comes, no length to size it by);
    - the same, gzip'd, with a byte-order mark (decompression, and a BOM that must not cost a
      copy);
    - a sync whose stripped padding compresses just under GATEWAY_MAX_DECOMPRESSION_RATIO: the
      most body the fewest bytes on the wire can make the gateway hold.
    """
    raw = large.read_bytes()
    gzipped = directory / f"{large.stem}-bom.json.gz"
    if not gzipped.is_file():
        gzipped.write_bytes(gzip.compress(BOM + raw, 6))
    dense = directory / f"ratio-{int(max_ratio)}.json.gz"
    if not dense.is_file():
        dense.write_bytes(_at_ratio(len(raw), max_ratio * 0.9))
    dense_size = len(zlib.decompress(dense.read_bytes(), 16 + zlib.MAX_WBITS))
    return [
        ReceiveCase("sync, chunked", large, None, len(raw)),
        ReceiveCase("sync with a BOM, gzip, chunked", gzipped, "gzip", len(raw) + len(BOM)),
        ReceiveCase(f"padding at {max_ratio * 0.9:g}x, gzip, chunked", dense, "gzip", dense_size),
    ]


def _at_ratio(size: int, ratio: float) -> bytes:
    """gzip of a sync about ``size`` bytes long whose pupils carry a stripped padding field
    (notities), compressing about ``ratio`` times (but not more): the padding's share of random
    hex is found on a small sample first."""
    low, high = 0, 1200  # random hex characters per pupil
    while low < high:
        middle = (low + high) // 2
        sample = _padded_sync(2000, middle)
        if len(zlib.decompress(sample, 16 + zlib.MAX_WBITS)) / len(sample) > ratio:
            low = middle + 1
        else:
            high = middle
    return _padded_sync(size // 1300, low)


def _padded_sync(pupils: int, noise: int) -> bytes:
    rng = random.Random(2026)  # noqa: S311 - filler, not secrets
    parts = [b'{"school": {"brin": "99XX"}, "leerlingen": [']
    for number in range(pupils):
        pad = rng.randbytes(noise // 2 + 1).hex()[:noise].encode() + b"x" * (1200 - noise)
        parts.append(b'{"leerlingkey": "LL-%06d", "notities": "%s"},' % (number, pad))
    parts[-1] = parts[-1].rstrip(b",")
    parts.append(b"]}")
    return gzip.compress(b"".join(parts), 6)


def measure_receive(
    pid: int, port: int, headers: dict[str, str], warm: Path, case: ReceiveCase
) -> ReceiveResult:
    """Peak RSS of the gateway ``pid`` for one body of ``case``, sent chunked."""
    if (status := post_file(port, warm, headers)) != 200:
        raise BenchError(f"the warm-up sync was answered {status}")
    baseline = status_kib(pid, "VmRSS") * 1024
    sent = {**headers, **({"Content-Encoding": case.encoding} if case.encoding else {})}
    start = time.perf_counter()
    status = post_file(port, case.wire, sent, chunked=True)
    seconds = time.perf_counter() - start
    if status != 200:
        raise BenchError(f"receive case {case.name!r} was answered {status}, not 200")
    return ReceiveResult(
        case=case.name,
        wire_bytes=case.wire.stat().st_size,
        body_bytes=case.body_bytes,
        baseline_rss_bytes=baseline,
        peak_rss_bytes=status_kib(pid, "VmHWM") * 1024,
        status=status,
        seconds=seconds,
    )
