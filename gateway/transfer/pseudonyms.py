"""What a transfer's transformations need: the supplier's pseudonym key and the transfer's day.

The gateway's pseudonym key lives in a file outside the database (``GATEWAY_PSEUDONYM_KEY_FILE``,
``var/pseudonym.key`` by default), read once; it is made, 0600, at the first start whose
contracts ask for a pseudonym, so that ``make run`` works for a newcomer. Each supplier's key is
derived from it (``gateway.formats.transforms.supplier_key``): losing the file changes every
pseudonym, so back it up with the database.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from gateway.formats import transforms
from gateway.formats.transforms import Transforms
from gateway.register.agreements import Agreement, Route
from gateway.settings import Settings


def needed(agreements: Iterable[Agreement]) -> bool:
    """Whether any route of ``agreements`` asks for a pseudonym."""
    return any("pseudonym" in r.policy.transforms for a in agreements for r in a.routes)


class PseudonymKey:
    """The gateway's pseudonym key, read (or made) the first time a transfer needs it."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._key: bytes | None = None

    def load(self) -> bytes:
        if self._key is None:
            self._key = transforms.read_key(self._path)
        return self._key

    def context(self, supplier: str, route: Route, today: date) -> Transforms | None:
        """What ``route``'s transformations need for ``supplier`` on ``today``; None if none."""
        used = route.policy.transforms
        if not used:
            return None
        key = self.load() if "pseudonym" in used else b""
        return Transforms.for_supplier(key, supplier, today)


def add_actions(key_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``poortwachter keys init-pseudonyms``."""
    init = key_commands.add_parser(
        "init-pseudonyms",
        help="make the pseudonym key (GATEWAY_PSEUDONYM_KEY_FILE, 0600); refused if one exists",
    )
    init.set_defaults(run=_init)


def _init(args: argparse.Namespace, settings: Settings) -> int:
    transforms.init_key(settings.pseudonym_key_file)
    print(
        f"pseudonym key written to {settings.pseudonym_key_file} (0600); back it up: "
        "without it every pseudonym changes"
    )
    return 0
