"""Reference payloads: ``gateway.samples.sync(n)`` as JSON bytes, cached under ``.bench/``.

The 100,000-pupil sync takes seconds to build, so each size is written once per version of
``gateway/samples.py`` (its hash is part of the file name) and read back on later runs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import msgspec

from gateway import samples

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".bench"
BRIN = "99XX"


def _samples_version() -> str:
    source = Path(samples.__file__).read_bytes()
    return hashlib.sha256(source).hexdigest()[:12]


def path(pupils: int) -> Path:
    """The cached JSON file of a ``pupils``-pupil sync, written first if it is missing."""
    target = CACHE / f"sync-{pupils}-{BRIN}-{_samples_version()}.json"
    if not target.is_file():
        CACHE.mkdir(exist_ok=True)
        partial = target.with_suffix(".partial")
        partial.write_bytes(msgspec.json.encode(samples.sync(pupils, brin=BRIN)))
        partial.replace(target)
    return target


def body(pupils: int) -> bytes:
    """A ``pupils``-pupil sync as JSON bytes."""
    return path(pupils).read_bytes()
