"""XML routes of a contract: a UWLR profile as the allowlist, and what to do with the rest.

A route whose ``payload`` names a profile carries XML, not JSON, and lists no fields: the
profile is the allowlist (a profile forbids what it does not name).

- ``edexml-<version>-<set>``: an EDEXML 2.1 export the source pushes to the supplier
  (``/proxy/<supplier>/<path>``), filtered by that profile's EDEXML allowlist;
- ``uwlr-<version>-<set>``: the answer to a HaalLeerlinggegevens the supplier pulls from the
  LAS (``/uwlr/<supplier>/<path>``, ``direction: pull``), filtered by the profile's UWLR
  allowlist.

``xml.on_invalid`` says what happens to a filtered document that does not validate against the
profile (``flag``: it leaves and the log counts it; ``refuse``: nothing leaves), and
``xml.toevoegingen`` names the vendor blocks that may leave; every other block is stripped.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.formats import xml_profile
from gateway.formats.xml_profile import Allowlist, Profile, ProfileError, Profiles

PUSH = "push"
PULL = "pull"
_NAME = re.compile(r"^(edexml|uwlr)-(\d\.\d)-(smalle-set|lvs-set)$")


@dataclass(frozen=True, slots=True)
class XmlHandling:
    """How one XML route is filtered and judged."""

    profile: Profile
    allowlist: Allowlist  # the profile's, with the contract's vendor blocks let through
    direction: str  # PUSH or PULL
    refuse_invalid: bool  # xml.on_invalid: refuse (else flag)

    @property
    def xsdversie(self) -> str:
        """The ``xsdversie`` a request for this profile names (UWLR 2.2: ``2.2``)."""
        return self.profile.version


def is_xml(payload: str) -> bool:
    return _NAME.fullmatch(payload) is not None


@functools.cache
def profiles(schemas_dir: Path) -> Profiles:
    """Every profile, read once per schemas directory (about 40 ms)."""
    return xml_profile.load(schemas_dir)


def handling(raw: dict[str, Any], schemas_dir: Path) -> tuple[XmlHandling | None, list[str]]:
    """The XML handling of a route as the contract file has it, or the problems that stop it.

    Each problem is a message and the key (under the route) it is about, joined by ``\\0``.
    """
    payload: str = raw["payload"]
    match = _NAME.fullmatch(payload)
    assert match is not None
    kind, version, set_name = match.groups()
    direction = raw.get("direction", PUSH)
    problems: list[str] = []
    if kind == "uwlr" and direction != PULL:
        problems.append(
            f"direction\0{payload!r} is the answer a supplier pulls: say direction: pull"
        )
    if kind == "edexml" and direction != PUSH:
        problems.append(
            f"direction\0{payload!r} is an export pushed to the supplier: direction is push"
        )
    if direction == PULL and raw["method"] != "POST":
        problems.append("method\0a UWLR service is called with POST")
    try:
        profile = profiles(schemas_dir).get(version, set_name)
    except KeyError:
        return None, [*problems, f"payload\0there is no UWLR {version} {set_name} profile"]
    settings = raw.get("xml", {})
    allowlist = profile.uwlr if kind == "uwlr" else profile.edexml
    for index, block in enumerate(settings.get("toevoegingen", [])):
        try:
            allowlist = allowlist.with_block(block["parent"], block["type"], block["fields"])
        except ProfileError as error:
            problems.append(f"xml/toevoegingen/{index}/parent\0{error}")
    if problems:
        return None, problems
    return (
        XmlHandling(
            profile=profile,
            allowlist=allowlist,
            direction=direction,
            refuse_invalid=settings.get("on_invalid", "flag") == "refuse",
        ),
        [],
    )
