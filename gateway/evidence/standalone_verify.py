"""Check an export of Poortwachter's transfer log (``poortwachter export-log``) without the
gateway, with only Python 3.11 and the ``cryptography`` package:

    python standalone_verify.py EXPORT [--key VERIFIER_KEY] [--checkpoints FILE]

``--key`` is the log's public key as the school group gave it to you (else the export's own key
is used, which whoever wrote the export chose). Exits 0, or 1 with one line naming the file and
the first problem in it. Formats: c2sp.org/signed-note and tlog-checkpoint, RFC 9162 section
2.1 (proofs), RFC 8785 (entry bytes).
"""

import argparse
import base64
import hashlib
import json
import re
import sys
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

Key = tuple[str, bytes, Ed25519PublicKey]  # a verifier key's name, id and public key
FIELDS: dict[str, dict[str, Any]] = {  # each type of line in an export, and its fields
    "log": {"public_key": str},
    "checkpoint": {"size": int, "note": str, "consistency": list},
    "leaf": {"leaf_index": int, "seq": int, "body": (str, type(None)), "proof": list},
    "transfer": {"row": dict},
    "unsealed": {"seq": int, "body": str},
}


class Failed(Exception):
    """What is wrong, in one line, about ``file`` (None: the export)."""

    def __init__(self, message: str, file: str | None = None) -> None:
        super().__init__(message)
        self.file = file


def require(ok: object, problem: str, file: str | None = None) -> None:
    if not ok:
        raise Failed(problem, file)


def leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def hashes(texts: list[Any], what: str) -> list[bytes]:
    try:
        return [base64.b64decode(text, validate=True) for text in texts]
    except (TypeError, ValueError):
        raise Failed(f"{what} holds something other than base64 hashes") from None


def parse_key(text: str, file: str | None = None) -> Key:
    name, _, rest = text.strip().partition("+")
    key_id, _, key = rest.partition("+")
    raw = base64.b64decode(key) if key.isascii() and len(key) == 44 else b""
    is_key = raw[:1] == b"\x01" and len(raw) == 33
    require(is_key, "the key is not an Ed25519 verifier key (name+id+key)", file)
    hashed = hashlib.sha256(name.encode() + b"\n" + raw).digest()
    require(hashed[:4].hex() == key_id, "the key's id does not match the key", file)
    return name, bytes.fromhex(key_id), Ed25519PublicKey.from_public_bytes(raw[1:])


def open_checkpoint(note: str, key: Key, what: str) -> tuple[int, bytes]:
    """(size, root) of a checkpoint note signed by ``key``; Failed otherwise."""
    name, key_id, public = key
    text, sep, signatures = note.partition("\n\n")
    require(sep, f"{what} is not a signed note")
    text += "\n"
    signed = False
    for line in signatures.rstrip("\n").split("\n"):
        require(line.startswith("\u2014 "), f"{what} has a malformed signature line")
        who, _, blob = line[2:].partition(" ")
        raw = base64.b64decode(blob, validate=True)
        if who == name and raw[:4] == key_id:
            try:
                public.verify(raw[4:], text.encode())
            except InvalidSignature:
                raise Failed(f"{what}: its signature does not verify") from None
            signed = True
    require(signed, f"{what} is not signed by the log's key")
    lines = text.split("\n")
    require(lines[0] == name, f"{what} is for another log")
    return int(lines[1]), base64.b64decode(lines[2], validate=True)


def climb(fn: int, sn: int, seed: bytes, proof: list[bytes]) -> tuple[bytes, bytes] | None:
    """The walk up a proof that RFC 9162 2.1.3.2 and 2.1.4.2 share: (smaller, larger) root."""
    fr = sr = seed
    for c in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return (fr, sr) if sn == 0 else None


def verify_inclusion(index: int, size: int, hashed: bytes, proof: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2: the walk from the leaf ends at ``root``."""
    roots = climb(index, size - 1, hashed, proof) if 0 <= index < size else None
    return roots is not None and roots[1] == root


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
    return climb(fn, sn, path[0], path[1:]) == (old, new)


def known_notes(path: str) -> list[str]:
    """Checkpoints seen before: a checkpoint file (JSON lines with "note"), or signed notes."""
    with open(path, encoding="utf-8", errors="replace") as file:
        text = file.read()
    if not text.lstrip().startswith("{"):
        # A blank line not followed by a signature line ("\u2014 ") ends a note.
        return [n + "\n" for n in re.split("\n\n+(?!\u2014 )", text.strip("\n")) if n.strip()]
    try:
        notes = [json.loads(line)["note"] for line in text.splitlines() if line.strip()]
    except (ValueError, TypeError, KeyError):
        notes = [None]
    ok = all(isinstance(note, str) for note in notes)
    require(ok, 'not a checkpoint file (JSON lines with "note")', path)
    return notes


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
            fields = FIELDS.get(str(item.get("type")), {}) if isinstance(item, dict) else {}
            require(fields, f'line {number} is not a line of an export (no known "type")')
            for name in (n for n, kind in fields.items() if not isinstance(item.get(n, ...), kind)):
                raise Failed(f'line {number}: its "{name}" is missing or of the wrong type')
            items.append(item)
    why = "its first line is not the log's" if items else "it is empty"
    require(items and items[0]["type"] == "log", f"not an export of the transfer log ({why})")
    return items


def check(path: str, key_text: str | None = None, checkpoints: str | None = None) -> str:
    """Check the export at ``path``; returns a summary, raises Failed naming the problem."""
    notes = known_notes(checkpoints) if checkpoints else []
    items = read(path)
    key = parse_key(key_text, "--key") if key_text else parse_key(items[0]["public_key"])
    marks = [i for i in items if i["type"] == "checkpoint"]
    require(marks, "the export holds no checkpoint")
    size, root = open_checkpoint(marks[-1]["note"], key, "the latest checkpoint")
    roots: dict[int, bytes] = {}
    for mark in [marks[-1], *marks[:-1]]:  # the latest first: the others are proved against it
        m, old = open_checkpoint(mark["note"], key, f"checkpoint {mark['size']}")
        require(m == mark["size"], f"checkpoint {mark['size']}: its signed note is for size {m}")
        proof = hashes(mark["consistency"], f"checkpoint {m}: its consistency proof")
        ok = verify_consistency(m, size, old, root, proof)
        require(ok, f"checkpoint {m} is not consistent with the latest, {size}")
        roots[m] = old
    for i, note in enumerate(notes):
        m, old = open_checkpoint(note, key, f"known checkpoint {i + 1}")
        why = f"the export's latest {size}: the log was rolled back"
        require(m <= size, f"a known checkpoint has {m} leaves, {why}")
        require(roots.get(m, old) == old, f"known checkpoint {m} differs from the export's")
    said: dict[str, dict[str, Any]] = {}  # each transfer's columns as its entries say
    begun: set[str] = set()  # transfers with a begin entry in the signed tree
    next_index = None  # leaves come in order, none left out
    for item in (i for i in items if i["type"] in ("leaf", "unsealed")):
        if item["type"] == "leaf":  # an unsealed entry is not provable yet, but explains its row
            index, seq = item["leaf_index"], item["seq"]
            require(next_index in (None, index), f"leaf {next_index} is missing from the export")
            next_index = index + 1
            require(item["body"] is not None, f"leaf {index}: its entry {seq} is missing (deleted)")
            proof = hashes(item["proof"], f"entry {seq}: its inclusion proof")
            ok = verify_inclusion(index, size, leaf(item["body"].encode()), proof, root)
            require(ok, f"entry {seq} (leaf {index}) is not in the signed tree")
        entry = json.loads(item["body"])
        transfer = said.setdefault(entry["id"], {})
        kind = entry.pop("kind")
        entry.pop("begin", None)
        if item["type"] == "leaf" and kind != "outcome":
            begun.add(entry["id"])
        transfer.update(entry if kind == "outcome" or not transfer else {**entry, **transfer})
    rows = [i["row"] for i in items if i["type"] == "transfer"]
    for missing in sorted(begun - {row["id"] for row in rows}):
        raise Failed(f"transfer {missing} is in the log but has no row in the export")
    for row in rows:
        expected = said.get(row["id"], {})
        require(expected, f"transfer {row['id']} has no entry in the export")
        for column in (c for c, value in expected.items() if row.get(c) != value):
            raise Failed(f"transfer {row['id']}: its {column} differs from the log's")
    count = sum(i["type"] == "leaf" for i in items)
    return f"the export verifies: {count} entries in a signed tree of {size}"


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
