"""Key files: a new key is written once, to a file nobody else can read, and never replaced.

The log's signing key, the subject index's key and the pseudonym key each live in a file
outside the database; replacing any of them would orphan what was made under it (signed
checkpoints, index rows, pseudonyms), so a new one is only ever written where no file is.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_new(path: Path, text: str) -> None:
    """Write ``text`` to a new file at ``path``, mode exactly 0600 whatever the umask, synced
    to disk. FileExistsError if any file is there already; on another OSError the file is not
    left behind half written."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            os.fchmod(file.fileno(), 0o600)
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
    except OSError:
        path.unlink(missing_ok=True)
        raise
