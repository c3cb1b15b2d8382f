"""Check an export of Poortwachter's transfer log (``poortwachter export-log``) without the
gateway: Python 3.11 and the ``cryptography`` package only, in this one file.

    python standalone_verify.py EXPORT [--key VERIFIER_KEY] [--checkpoints FILE]

``--key`` is the log's public key as you received it from the school group (the export's own
key is used otherwise, with a warning: whoever wrote the export chose it). ``--checkpoints`` is
a checkpoint file kept outside the gateway's database (JSON lines with ``note``), or a file of
checkpoint notes seen before: each must be consistent with the export. Exits 0 if everything
checks, 1 naming the file and the first thing in it that does not. Formats: c2sp.org/signed-note,
c2sp.org/tlog-checkpoint, RFC 9162 section 2.1 (proofs), RFC 8785 (entry bytes).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class Failed(Exception):
    """What is wrong, in one line, about ``file`` (None: the export)."""

    def __init__(self, message: str, file: str | None = None) -> None:
        super().__init__(message)
        self.file = file


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def hashes(texts: list[Any], what: str) -> list[bytes]:
    try:
        return [base64.b64decode(text, validate=True) for text in texts]
    except (TypeError, ValueError):
        raise Failed(f"{what} holds something other than base64 hashes") from None


Key = tuple[str, bytes, Ed25519PublicKey]


def parse_key(text: str, file: str | None = None) -> Key:
    name, _, rest = text.strip().partition("+")
    key_id, _, key = rest.partition("+")
    raw = base64.b64decode(key) if key.isascii() and len(key) == 44 else b""
    if raw[:1] != b"\x01" or len(raw) != 33:
        raise Failed("the key is not an Ed25519 verifier key (name+id+key)", file)
    if hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() != key_id:
        raise Failed("the key's id does not match the key", file)
    return name, bytes.fromhex(key_id), Ed25519PublicKey.from_public_bytes(raw[1:])


def open_checkpoint(note: str, key: Key, what: str) -> tuple[int, bytes]:
    """(size, root) of a checkpoint note signed by ``key``; Failed otherwise."""
    name, key_id, public = key
    text, sep, signatures = note.partition("\n\n")
    if not sep:
        raise Failed(f"{what} is not a signed note")
    text += "\n"
    signed = False
    for line in signatures.rstrip("\n").split("\n"):
        if not line.startswith("\u2014 "):
            raise Failed(f"{what} has a malformed signature line")
        who, _, blob = line[2:].partition(" ")
        raw = base64.b64decode(blob, validate=True)
        if who == name and raw[:4] == key_id:
            try:
                public.verify(raw[4:], text.encode())
            except InvalidSignature:
                raise Failed(f"{what}: its signature does not verify") from None
            signed = True
    if not signed:
        raise Failed(f"{what} is not signed by the log's key")
    lines = text.split("\n")
    if lines[0] != name:
        raise Failed(f"{what} is for another log")
    return int(lines[1]), base64.b64decode(lines[2], validate=True)


def verify_inclusion(index: int, size: int, hashed: bytes, proof: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, hashed
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(m: int, n: int, old: bytes, new: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 section 2.1.4.2 (equal sizes: equal roots and no proof)."""
    if m == n:
        return old == new and not proof
    if not 0 < m < n or not proof:
        return False
    path = [old, *proof] if m & (m - 1) == 0 else list(proof)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old and sr == new


def known_notes(path: str) -> list[str]:
    with open(path, encoding="utf-8", errors="replace") as file:
        text = file.read()
    if not text.lstrip().startswith("{"):
        return [n + "\n" for n in text.split("\n\n\n") if n.strip()]  # notes, a blank line apart
    try:
        notes = [json.loads(line)["note"] for line in text.splitlines() if line.strip()]
    except (ValueError, TypeError, KeyError):
        notes = [None]
    if not all(isinstance(note, str) for note in notes):
        raise Failed('not a checkpoint file (JSON lines with "note")', path)
    return notes


# Each type of line in an export and the fields check() reads from it (see audit.py).
FIELDS: dict[str, dict[str, Any]] = {
    "log": {"public_key": str},
    "checkpoint": {"size": int, "note": str, "consistency": list},
    "leaf": {"leaf_index": int, "seq": int, "body": (str, type(None)), "proof": list},
    "transfer": {"row": dict},
    "unsealed": {"seq": int, "body": str},
}


def read(path: str) -> list[dict[str, Any]]:
    """The export's lines, each a JSON object with the fields of its type; Failed otherwise."""
    items = []
    with open(path, "rb") as file:
        for number, line in enumerate(file, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as error:  # a line cut short, or another file
                why = f"{error.msg}: column {error.colno}"
                raise Failed(f"line {number} is not JSON ({why})") from None
            except UnicodeDecodeError:
                raise Failed(f"line {number} is not JSON (not UTF-8 text)") from None
            fields = FIELDS.get(str(item.get("type"))) if isinstance(item, dict) else None
            if fields is None:
                raise Failed(f'line {number} is not a line of an export (no known "type")')
            for name in (n for n, kind in fields.items() if not isinstance(item.get(n, ...), kind)):
                raise Failed(f'line {number}: its "{name}" is missing or of the wrong type')
            items.append(item)
    if not items or items[0]["type"] != "log":
        why = "its first line is not the log's" if items else "it is empty"
        raise Failed(f"not an export of the transfer log ({why})")
    return items


def check(path: str, key_text: str | None = None, checkpoints: str | None = None) -> str:
    """Check the export at ``path``; returns a summary, raises Failed naming the problem."""
    notes = known_notes(checkpoints) if checkpoints else []
    items = read(path)
    key = parse_key(key_text, "--key") if key_text else parse_key(items[0]["public_key"])
    marks = [i for i in items if i["type"] == "checkpoint"]
    if not marks:
        raise Failed("the export holds no checkpoint")
    size, root = open_checkpoint(marks[-1]["note"], key, "the latest checkpoint")
    roots: dict[int, bytes] = {}
    for mark in [marks[-1], *marks[:-1]]:  # the latest first: the others are proved against it
        m, old = open_checkpoint(mark["note"], key, f"checkpoint {mark['size']}")
        if m != mark["size"]:
            raise Failed(f"checkpoint {mark['size']}: its signed note is for size {m}")
        proof = hashes(mark["consistency"], f"checkpoint {m}: its consistency proof")
        if not verify_consistency(m, size, old, root, proof):
            raise Failed(f"checkpoint {m} is not consistent with the latest, {size}")
        roots[m] = old
    for i, note in enumerate(notes):
        m, old = open_checkpoint(note, key, f"known checkpoint {i + 1}")
        if m > size:
            raise Failed(
                f"a known checkpoint has {m} leaves, the export's latest {size}: "
                "the log was rolled back"
            )
        if m in roots and roots[m] != old:
            raise Failed(f"known checkpoint {m} differs from the export's")
    said: dict[str, dict[str, Any]] = {}
    expected_index, count = None, 0
    for item in (i for i in items if i["type"] in ("leaf", "unsealed")):
        if item["type"] == "unsealed":  # not provable yet; it still explains its row
            merge(said, json.loads(item["body"]))
            continue
        count += 1
        index = item["leaf_index"]
        if expected_index is not None and index != expected_index:
            raise Failed(f"leaf {expected_index} is missing from the export")
        expected_index = index + 1
        if item["body"] is None:
            raise Failed(f"leaf {index}: its entry {item['seq']} is missing (deleted)")
        body = item["body"].encode()
        proof = hashes(item["proof"], f"entry {item['seq']}: its inclusion proof")
        if not verify_inclusion(index, size, leaf(body), proof, root):
            raise Failed(f"entry {item['seq']} (leaf {index}) is not in the signed tree")
        merge(said, json.loads(body))
    last_leaf = marks[-1]["size"] - 1
    if expected_index is not None and expected_index - 1 > last_leaf:
        raise Failed("the export has leaves beyond its latest checkpoint")
    begun = {json.loads(i["body"])["id"] for i in items if i["type"] == "leaf"
             and json.loads(i["body"])["kind"] != "outcome"}  # fmt: skip
    rows = {i["row"]["id"] for i in items if i["type"] == "transfer"}
    for missing in sorted(begun - rows):
        raise Failed(f"transfer {missing} is in the log but has no row in the export")
    for item in (i for i in items if i["type"] == "transfer"):
        row = item["row"]
        expected = said.get(row["id"])
        if expected is None:
            raise Failed(f"transfer {row['id']} has no entry in the export")
        for column, value in expected.items():
            if row.get(column) != value:
                raise Failed(f"transfer {row['id']}: its {column} differs from the log's")
    return f"the export verifies: {count} entries in a signed tree of {size}"


def merge(said: dict[str, dict[str, Any]], entry: dict[str, Any]) -> None:
    """A transfer's columns as its entries say: the outcome over the begin entry."""
    transfer = said.setdefault(entry["id"], {})
    kind = entry.pop("kind")
    entry.pop("begin", None)
    transfer.update(entry if kind == "outcome" or not transfer else {**entry, **transfer})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check an export of the transfer log.")
    parser.add_argument("export")
    parser.add_argument("--key", help="the log's public key, as the school group gave it")
    parser.add_argument("--checkpoints", help="checkpoints seen before (the checkpoint file)")
    args = parser.parse_args(argv)
    if not args.key:
        print("warning: using the export's own key; pass --key to check against yours")
    try:
        print(check(args.export, args.key, args.checkpoints))
        return 0
    except Failed as error:
        problem = f"{error.file or args.export}: {error}"
    except OSError as error:
        problem = f"{error.filename}: {error.strerror}"
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as error:  # deeper down
        problem = f"{args.export}: not a well-formed export ({type(error).__name__}: {error})"
    print(f"FAILED: {problem}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
