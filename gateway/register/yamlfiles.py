"""Reading the YAML files people edit (contracts, supplier config) with line numbers for errors.

Dates stay strings, so that the JSON Schemas decide what a valid date is, and every problem can
point at the line it is about.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one file, where a person can find it."""

    file: str
    location: str  # "routes[0].fields[3]", "" for the whole file
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line is not None else "")
        at = f" at {self.location}" if self.location else ""
        return f"{where}{at}: {self.message}"


class YamlFileError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True)
class YamlDocument:
    file: str
    data: Any
    lines: dict[tuple[str | int, ...], int]

    def line(self, location: Sequence[str | int]) -> int | None:
        key = tuple(location)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get(())

    def problem(self, location: Sequence[str | int], message: str) -> Problem:
        return Problem(self.file, render(location), self.line(location), message)


def render(location: Sequence[str | int]) -> str:
    out = ""
    for part in location:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def read(path: Path, label: str | None = None) -> YamlDocument:
    name = label or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise YamlFileError(Problem(name, "", None, f"cannot read: {error}")) from error
    return parse(text, name)


def parse(text: str, name: str) -> YamlDocument:
    """``text`` (read from the file ``name``, or kept in the database) as a document."""
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise YamlFileError(Problem(name, "", line, f"not valid YAML: {error}")) from error
    lines = dict(_lines(node, ())) if node is not None else {}
    return YamlDocument(name, data, lines)


def _lines(
    node: yaml.Node, location: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], int]]:
    yield location, node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _lines(value, (*location, str(key.value)))
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            yield from _lines(value, (*location, index))
