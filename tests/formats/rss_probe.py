"""Run in a fresh process: build one worst-case body, filter it as a transfer does, and print the
peak memory the transfer cost (resident set, from the kernel) over the body's size.

    python tests/formats/rss_probe.py BODY POLICY MEGABYTES

The body is built to a file first and a new process reads it, so what is
measured is the body read into memory (1x, as the receive step holds it) plus everything the
filter, the encoding and the hash add on top.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gateway import samples  # noqa: E402
from gateway.formats import payload_schema  # noqa: E402
from gateway.formats.bounds import TooComplex  # noqa: E402
from gateway.formats.json_compiled import CompiledPolicy  # noqa: E402
from gateway.register.policy import FieldPolicy  # noqa: E402

SCHEMA = payload_schema.load(ROOT / "schemas", "las-sync")
BASISPOORT = [
    "school.brin", "school.dependance", "school.basispoort_id", "groepen[].groepskey",
    "groepen[].naam", "groepen[].jaargroep", "leerlingen[].basispoort_id",
    "leerlingen[].leerlingkey", "leerlingen[].voornaam", "leerlingen[].tussenvoegsel",
    "leerlingen[].achternaam", "leerlingen[].geboortedatum", "leerlingen[].geslacht",
    "leerlingen[].groepskey", "leerlingen[].groepsnaam", "leerlingen[].jaargroep",
]  # fmt: skip
EVERYTHING = sorted(p for p, f in SCHEMA.fields.items() if f.kind == "scalar")
POLICIES = {"basispoort": BASISPOORT, "everything": EVERYTHING}


def _repeat(
    record: bytes, size: int, prefix: bytes = b'{"leerlingen": [', end: bytes = b"]}"
) -> bytes:
    count = max(1, (size - len(prefix)) // (len(record) + 1))
    return prefix + b",".join([record] * count) + end


def body(kind: str, size: int) -> bytes:
    """A body of about ``size`` bytes, of a kind chosen to make the filter build the most."""
    if kind == "realistic":
        pupils = max(1, size // 1650)
        return json.dumps(samples.sync(pupils)).encode()
    if kind == "allowed-only":  # nothing to strip: what is sent is as large as what came
        pupil = {k: v for k, v in samples.pupil(__import__("random").Random(1), 1).items()
                 if f"leerlingen[].{k}" in BASISPOORT}  # fmt: skip
        return _repeat(json.dumps(pupil).encode(), size)
    if kind == "many-small-stripped":  # every known key present, each a tiny value
        keys = [f.path.split(".")[-1] for f in SCHEMA.fields.values()
                if f.path.startswith("leerlingen[].") and f.path.count(".") == 1]  # fmt: skip
        record = (
            "{" + ",".join(f'"{k}":0' for k in keys if k != "leerlingkey") + ',"leerlingkey":"a"}'
        )
        return _repeat(record.encode(), size)
    if kind == "dense-parents":  # nested objects as densely as the bounds let through
        parents = ",".join(['{"voornaam":"An"}'] * 40)
        return _repeat(('{"leerlingkey":"a","ouders":[' + parents + "]}").encode(), size)
    if kind == "every-record-untyped":  # each record needs the reference filter
        return _repeat(b'{"leerlingkey":"LL-1","voornaam":"Sanne","Sanne de Vries":1}', size)
    if kind == "top-level-untyped":  # the top level needs the tolerant path
        pupils = max(1, size // 1650)
        document: dict[str, Any] = samples.sync(pupils)
        document["x"] = 1
        return json.dumps(document).encode()
    if kind == "minimal-records":  # records as small as the bounds let through, all allowed
        per_record = max(40, size // 190_000)  # just under GATEWAY_MAX_RECORDS
        key = "L" * (per_record - len('{"leerlingkey":""},'))
        return _repeat(('{"leerlingkey":"' + key + '"}').encode(), size)
    if kind == "dense-allowed-parents":  # as many nested objects as the bounds let through
        parents = ",".join(['{"voornaam":"Annabel-Sophie-Marie"}'] * 40)
        return _repeat(('{"leerlingkey":"a","ouders":[' + parents + "]}").encode(), size)
    if kind == "tiny-items":  # items that are no records, as many as the body holds
        return _repeat(b"0", size)
    if kind == "tiny-nulls":
        return _repeat(b"null", size)
    if kind == "tiny-strings":
        return _repeat(b'""', size)
    if kind == "long-strings":  # values far over their maxLength
        name = "x" * (size // 8)
        return json.dumps({"groepen": [{"groepskey": "g", "naam": name}] * 7}).encode()
    raise SystemExit(f"no body {kind!r}")


def _reset_peak() -> None:
    """Start the kernel's peak resident set (VmHWM) afresh from now (Linux 4.0 and later)."""
    Path("/proc/self/clear_refs").write_text("5")


def _peak() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main() -> None:
    kind, policy_name, megabytes = sys.argv[1], sys.argv[2], float(sys.argv[3])
    if len(sys.argv) == 4:  # build the body, then measure in a fresh process
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as file:
            file.write(body(kind, int(megabytes * 1024 * 1024)))
        subprocess.run([sys.executable, __file__, *sys.argv[1:], file.name], check=True)
        return
    path = Path(sys.argv[4])
    compiled = CompiledPolicy(FieldPolicy.from_paths(POLICIES[policy_name], SCHEMA), SCHEMA)
    gc.collect()
    _reset_peak()
    before = _rss()
    raw = bytearray(path.stat().st_size)  # as the receive step holds it: one buffer
    with path.open("rb") as file:
        file.readinto(raw)
    path.unlink()
    size = len(raw)
    refused = ""
    try:
        result, _ = compiled.filtered(raw)
        del raw
        hashlib.sha256(result.body).hexdigest()
    except TooComplex as error:
        refused = error.reason
    cost = _peak() - before
    print(json.dumps({"body": size, "cost": cost, "ratio": cost / size, "refused": refused}))


if __name__ == "__main__":
    main()
