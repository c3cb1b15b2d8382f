"""Supplier credentials at rest: encrypted in a file, under keys in another, instead of plain
environment variables.

The secrets file (``GATEWAY_SECRETS_FILE``) maps a name to a Fernet token (AES-128-CBC with
HMAC-SHA256, from ``cryptography``); the key file (``GATEWAY_SECRETS_KEY_FILE``) holds one
Fernet key a line, the newest first. A name stands where an environment variable would:
``credentials: {env: BASISPOORT_TOKEN}`` in ``config/suppliers.yaml`` finds the secret
``BASISPOORT_TOKEN`` when the environment does not set it (the environment wins). The
passphrase of an encrypted client-certificate key (``tls.client_key_password: {env: NAME}``,
``gateway.access.client_key``) is found the same way.

Rotation without downtime: ``rotate`` first adds a new key at the top of the key file, then
re-encrypts every secret under it; the old keys stay below it, so a gateway starting at any
moment in between decrypts with one or the other (``MultiFernet``). The values do not change,
so gateways already running keep working and need no restart. ``retire`` then drops every key
but the newest, once every secret has been re-encrypted under it.

Both files are written whole to a temporary file and renamed over the old one, mode 0600.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

NAME = re.compile(r"[A-Z][A-Z0-9_]{0,99}")


class SecretsError(ValueError):
    """The secrets or their keys cannot be used; the message says which and why, never a value."""


@dataclass(frozen=True)
class SecretFiles:
    secrets_file: Path
    key_file: Path

    # -- reading -----------------------------------------------------------------------------

    def tokens(self) -> dict[str, str]:
        """Every secret's encrypted token, by name ({} when there is no secrets file)."""
        try:
            data = json.loads(self.secrets_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise SecretsError(
                f"{self.secrets_file} cannot be read ({type(error).__name__})"
            ) from None
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()
        ):
            raise SecretsError(f"{self.secrets_file} is not a secrets file (names to tokens)")
        return data

    def keys(self) -> list[bytes]:
        """The Fernet keys, newest first."""
        try:
            text = self.key_file.read_text(encoding="ascii")
        except FileNotFoundError:
            raise SecretsError(
                f"the secrets key file {self.key_file} does not exist "
                "(poortwachter secrets set creates it)"
            ) from None
        except (OSError, UnicodeDecodeError) as error:
            raise SecretsError(f"{self.key_file} cannot be read ({type(error).__name__})") from None
        keys = [line.encode() for line in text.split()]
        for key in keys:
            try:
                Fernet(key)
            except ValueError:
                raise SecretsError(
                    f"{self.key_file} holds a line that is not a Fernet key"
                ) from None
        if not keys:
            raise SecretsError(f"{self.key_file} holds no key")
        return keys

    def values(self) -> dict[str, str]:
        """Every secret decrypted, by name ({} without a secrets file, and no key file needed)."""
        tokens = self.tokens()
        if not tokens:
            return {}
        crypt = MultiFernet([Fernet(key) for key in self.keys()])
        values = {}
        for name, token in tokens.items():
            try:
                values[name] = crypt.decrypt(token.encode()).decode()
            except (InvalidToken, UnicodeDecodeError):
                raise SecretsError(
                    f"the secret {name} cannot be decrypted with any key in {self.key_file}"
                ) from None
        return values

    def listing(self) -> list[tuple[str, datetime, int]]:
        """Each secret's name, when it was last encrypted, and which key (1: the newest)
        decrypts it; never its value."""
        tokens = self.tokens()
        if not tokens:
            return []
        fernets = [Fernet(key) for key in self.keys()]
        found = []
        for name, token in sorted(tokens.items()):
            for number, fernet in enumerate(fernets, 1):
                try:
                    fernet.decrypt(token.encode())
                except InvalidToken:
                    continue
                at = datetime.fromtimestamp(fernet.extract_timestamp(token.encode()), UTC)
                found.append((name, at, number))
                break
            else:
                raise SecretsError(f"the secret {name} cannot be decrypted with any key")
        return found

    # -- writing -----------------------------------------------------------------------------

    def set(self, name: str, value: str) -> None:
        """Encrypt ``value`` as ``name`` under the newest key (a key file is made if none)."""
        if not NAME.fullmatch(name):
            raise SecretsError(
                "a secret's name is upper-case letters, digits and _ (like BP_TOKEN)"
            )
        if not value:
            raise SecretsError("the value is empty")
        if not self.key_file.exists():
            _write(self.key_file, Fernet.generate_key().decode() + "\n")
        tokens = self.tokens()
        tokens[name] = Fernet(self.keys()[0]).encrypt(value.encode()).decode()
        _write(self.secrets_file, json.dumps(tokens, indent=2, sort_keys=True) + "\n")

    def remove(self, name: str) -> bool:
        tokens = self.tokens()
        if tokens.pop(name, None) is None:
            return False
        _write(self.secrets_file, json.dumps(tokens, indent=2, sort_keys=True) + "\n")
        return True

    def rotate(self) -> int:
        """A new key first in the key file (the old ones kept), then every secret re-encrypted
        under it. Returns how many secrets were re-encrypted."""
        old = self.keys()
        tokens = self.tokens()
        crypt = MultiFernet([Fernet(key) for key in old])
        for name, token in tokens.items():  # every one readable before anything changes
            try:
                crypt.decrypt(token.encode())
            except InvalidToken:
                raise SecretsError(
                    f"the secret {name} cannot be decrypted; nothing rotated"
                ) from None
        new = Fernet.generate_key()
        _write(self.key_file, "\n".join(k.decode() for k in (new, *old)) + "\n")
        crypt = MultiFernet([Fernet(new), *(Fernet(key) for key in old)])
        rotated = {name: crypt.rotate(token.encode()).decode() for name, token in tokens.items()}
        _write(self.secrets_file, json.dumps(rotated, indent=2, sort_keys=True) + "\n")
        return len(rotated)

    def retire(self) -> int:
        """Drop every key but the newest, once every secret decrypts with it. Returns how many
        keys were dropped."""
        keys = self.keys()
        newest = Fernet(keys[0])
        for name, token in self.tokens().items():
            try:
                newest.decrypt(token.encode())
            except InvalidToken:
                raise SecretsError(
                    f"the secret {name} is not under the newest key yet: run secrets rotate"
                ) from None
        _write(self.key_file, keys[0].decode() + "\n")
        return len(keys) - 1


def with_secrets(files: SecretFiles, environ: Mapping[str, str]) -> Mapping[str, str]:
    """``environ`` with every stored secret beside it; a variable set in ``environ`` wins."""
    values = files.values()
    return {**values, **environ} if values else environ


def _write(path: Path, text: str) -> None:
    """``text`` as the whole of ``path``, mode 0600, replacing it at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
