"""Value rules: what one field's value may be, read from the payload schema and narrowed by a
contract, never widened.

A rule answers two questions. ``violation(value)`` says what is wrong with one value, as a kind
the log counts (``type``, ``enum``, ``pattern``, ``format``, ``length``, ``range``); the
reference filter asks it of every value. ``bad_rows(column)`` answers for a whole column of
values at once, as the compiled filter holds them: almost always "nothing", found by a few
passes in C (the set of types, ``min``/``max``, one regular expression over the column joined
into one string), and only when that fails value by value, through ``violation``, so that both
filters name the same values with the same kinds.

Patterns in the schema are anchored (``^...$``) and match the whole value; ``format`` is one of
``date`` (a real calendar day, ``YYYY-MM-DD``), ``email`` and ``uri`` (http or https).
"""

from __future__ import annotations

import operator
import re
import re._parser as _parser  # type: ignore[import-not-found]  # the stdlib's parse of a pattern
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from typing import Any, Literal

from msgspec import UNSET, UnsetType

from gateway.formats.inspection import Kind as Content

Kind = Literal["type", "enum", "pattern", "format", "length", "range", "required", "transform"]
KINDS: tuple[Kind, ...] = (
    "type", "enum", "pattern", "format", "length", "range", "required", "transform",
)  # fmt: skip

_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1  # beyond 64 bits suppliers' parsers disagree
_NONE = type(None)
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (_NONE,),
}
_FORMATS = {
    "date": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "email": (
        "^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
        "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
    ),
    "uri": '^https?://[^\\s<>"{}|\\\\^`\\u0000-\\u001f\\u007f]+$',
}
FORMATS = frozenset(_FORMATS)
NARROWING_KEYS = frozenset({"enum", "pattern", "minLength", "maxLength", "minimum", "maximum"})
SHORT_COLUMN = 8
# Joins a column's strings for one regular-expression pass; see ``_Pattern.all_match``.
_SEPARATOR = "\x00"


class RuleError(ValueError):
    """A schema or contract asks for a value rule the gateway cannot enforce exactly."""


def _inner(pattern: str) -> str:
    """The part of an anchored pattern between ``^`` and ``$``; RuleError if it is not one."""
    if not (pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$")):
        raise RuleError(f"pattern {pattern!r} must be anchored: ^...$")
    inner = pattern[1:-1]
    depth, escaped, in_class = 0, False, False
    for char in inner:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            raise RuleError(f"pattern {pattern!r}: put alternatives in a group, ^(a|b)$")
    try:
        re.compile(inner)
    except re.error as error:
        raise RuleError(f"pattern {pattern!r} is not a regular expression: {error}") from None
    return inner


@dataclass(frozen=True)
class _Pattern:
    source: str  # as the schema or contract wrote it

    @cached_property
    def _whole(self) -> re.Pattern[str]:
        return re.compile(f"(?:{_inner(self.source)})")

    @cached_property
    def _joined(self) -> re.Pattern[str] | None:
        """Every value of a joined column, each followed by its separator; None where the
        pattern could match the separator itself (a value's match could run into the next)."""
        inner = _inner(self.source)
        if _may_match_char(_parser.parse(inner), ord(_SEPARATOR)):
            return None
        return re.compile(f"(?:(?:{inner}){_SEPARATOR})*")

    def matches(self, value: str) -> bool:
        return self._whole.fullmatch(value) is not None

    def all_match(self, values: Sequence[str]) -> bool:
        """True only if every value matches (False may still be all matching: ask each).

        One match over the values joined by a separator that no value holds and the pattern
        cannot match, so each value must match whole, and exactly up to its separator.
        """
        joined = self._joined
        if joined is None:
            return all(map(self._whole.fullmatch, values))
        text = _SEPARATOR.join(values) + _SEPARATOR
        if text.count(_SEPARATOR) != len(values):
            return False
        return joined.fullmatch(text) is not None


_CATEGORIES = {name: re.compile(f"\\{name}") for name in "dDsSwW"}
_CATEGORY_LETTERS = {
    "DIGIT": "d", "NOT_DIGIT": "D", "SPACE": "s", "NOT_SPACE": "S", "WORD": "w", "NOT_WORD": "W",
}  # fmt: skip


def _may_match_char(pattern: Any, char: int) -> bool:
    """Whether any atom of a parsed pattern could match the character ``char`` (conservative:
    True for anything this does not know)."""
    for op, argument in pattern:
        name = str(op)
        if name == "LITERAL":
            if argument == char:
                return True
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue  # zero-width
        elif name == "IN":
            if _class_matches(argument, char):
                return True
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            if _may_match_char(argument[2], char):
                return True
        elif name == "SUBPATTERN":
            if _may_match_char(argument[3], char):
                return True
        elif name == "ATOMIC_GROUP":
            if _may_match_char(argument, char):
                return True
        elif name == "BRANCH":
            if any(_may_match_char(branch, char) for branch in argument[1]):
                return True
        else:  # NOT_LITERAL, ANY, group references, ...: assume it could
            return True
    return False


def _class_matches(items: Any, char: int) -> bool:
    negate = bool(items) and str(items[0][0]) == "NEGATE"
    found = False
    for op, argument in items[1:] if negate else items:
        name = str(op)
        if name == "LITERAL":
            found = found or argument == char
        elif name == "RANGE":
            found = found or argument[0] <= char <= argument[1]
        elif name == "CATEGORY":
            letter = _CATEGORY_LETTERS.get(str(argument).removeprefix("CATEGORY_"))
            if letter is None:
                return True
            found = found or _CATEGORIES[letter].fullmatch(chr(char)) is not None
        else:
            return True
    return found != negate


@dataclass(frozen=True)
class ValueRule:
    """What one field's value may be. Built from a schema node, narrowed by a contract."""

    types: frozenset[str]
    enum: frozenset[Any] | None = None
    patterns: tuple[_Pattern, ...] = ()
    format: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    content: frozenset[Content] = field(default_factory=frozenset)  # identifiers it may hold

    @classmethod
    def from_schema(cls, node: Mapping[str, Any]) -> ValueRule:
        """The rule of a scalar schema node (``$ref`` already resolved)."""
        types = node.get("type")
        if types is None:
            if "enum" not in node:
                raise RuleError("a value with neither type nor enum cannot be checked")
            types = sorted({_json_type(v) for v in node["enum"]})
        types = frozenset([types] if isinstance(types, str) else types)
        unknown = types - set(_PYTHON_TYPES)
        if unknown:
            raise RuleError(f"type {sorted(unknown)[0]!r} is not a scalar type")
        format_ = node.get("format")
        if format_ is not None and format_ not in _FORMATS:
            raise RuleError(f"format {format_!r} is not one the gateway checks ({sorted(FORMATS)})")
        patterns = tuple(_Pattern(p) for p in ([node["pattern"]] if "pattern" in node else []))
        for pattern in patterns:
            _inner(pattern.source)
        content = node.get("x-content")
        if content is not None and content not in set(Content):
            raise RuleError(f"x-content {content!r} is not one of {sorted(Content)}")
        return cls(
            types=types,
            enum=frozenset(node["enum"]) if "enum" in node else None,
            patterns=patterns,
            format=format_,
            min_length=node.get("minLength"),
            max_length=node.get("maxLength"),
            minimum=node.get("minimum"),
            maximum=node.get("maximum"),
            content=frozenset([Content(content)] if content else []),
        )

    # -- one value -------------------------------------------------------------------------

    def violation(self, value: Any) -> Kind | None:
        """What is wrong with ``value`` under this rule, or None."""
        kind = type(value)
        if not any(kind in _PYTHON_TYPES[t] for t in self.types):
            return "type"
        if kind is _NONE:
            return None if self.enum is None or None in self.enum else "enum"
        if self.enum is not None and value not in self.enum:
            return "enum"
        if kind is str:
            if (self.min_length is not None and len(value) < self.min_length) or (
                self.max_length is not None and len(value) > self.max_length
            ):
                return "length"
            if not all(p.matches(value) for p in self.patterns):
                return "pattern"
            if self.format is not None and not _format_ok(self.format, value):
                return "format"
        elif kind is int or kind is float:
            if kind is int and not _INT_MIN <= value <= _INT_MAX:
                return "range"
            if value != value or value in (float("inf"), float("-inf")):
                return "range"
            if (self.minimum is not None and value < self.minimum) or (
                self.maximum is not None and value > self.maximum
            ):
                return "range"
        return None

    # -- a column of values ----------------------------------------------------------------

    def bad_rows(self, column: Sequence[Any]) -> list[int]:
        """Indexes of the values in ``column`` that break the rule (``UNSET`` is absent)."""
        # A short column is asked value by value: the passes over a whole column cost more
        # than they save below a handful of values.
        if len(column) > SHORT_COLUMN and self._column_ok(column):
            return []
        return [
            index
            for index, value in enumerate(column)
            if value is not UNSET and self.violation(value) is not None
        ]

    @cached_property
    def _allowed(self) -> frozenset[type]:
        return frozenset(t for name in self.types for t in _PYTHON_TYPES[name]) | {UnsetType}

    def _column_ok(self, column: Sequence[Any]) -> bool:
        """True only if every value is fine; False means "ask each value"."""
        kinds = set(map(type, column))
        if not kinds <= self._allowed:
            return False
        if self.enum is not None:
            present = set(column)
            present.discard(UNSET)
            if not present <= self.enum:
                return False
        if str in kinds and not self._strings_ok(column, kinds):
            return False
        return not ((int in kinds or float in kinds) and not self._numbers_ok(column))

    def _strings_ok(self, column: Sequence[Any], kinds: set[type]) -> bool:
        strings = column if kinds == {str} else [v for v in column if v.__class__ is str]
        if self.max_length is not None and max(map(len, strings)) > self.max_length:
            return False
        if self.min_length is not None and min(map(len, strings)) < self.min_length:
            return False
        if not all(p.all_match(strings) for p in self.patterns):
            return False
        if self.format is not None:
            if not _FORMAT_PATTERNS[self.format].all_match(strings):
                return False
            if self.format == "date":
                try:
                    list(map(date.fromisoformat, strings))
                except ValueError:
                    return False
        return True

    def _numbers_ok(self, column: Sequence[Any]) -> bool:
        numbers = [v for v in column if v.__class__ is int or v.__class__ is float]
        low, high = min(numbers), max(numbers)
        bounds_low = _INT_MIN if self.minimum is None else max(self.minimum, _INT_MIN)
        bounds_high = _INT_MAX if self.maximum is None else min(self.maximum, _INT_MAX)
        # NaN fails both comparisons, so it goes to the slow path and is named there.
        return bool(low >= bounds_low and high <= bounds_high)

    # -- narrowing -------------------------------------------------------------------------

    def widening(self, narrowing: Mapping[str, Any]) -> list[str]:
        """Why ``narrowing`` (a contract's field entry) would allow more than this rule does."""
        problems = []
        if "enum" in narrowing and self.enum is not None:
            extra = set(narrowing["enum"]) - self.enum
            if extra:
                problems.append(f"enum adds {sorted(map(str, extra))}, which the schema forbids")
        for key, ours, wider in (
            ("maxLength", self.max_length, operator.gt),
            ("minLength", self.min_length, operator.lt),
            ("maximum", self.maximum, operator.gt),
            ("minimum", self.minimum, operator.lt),
        ):
            if key in narrowing and ours is not None and wider(narrowing[key], ours):
                problems.append(f"{key} {narrowing[key]} is wider than the schema's {ours}")
        if ("minLength" in narrowing or "maxLength" in narrowing) and "string" not in self.types:
            problems.append("minLength/maxLength narrow strings, and this field is not one")
        if ("minimum" in narrowing or "maximum" in narrowing) and not (
            self.types & {"integer", "number"}
        ):
            problems.append("minimum/maximum narrow numbers, and this field is not one")
        if "pattern" in narrowing:
            try:
                _inner(narrowing["pattern"])
            except RuleError as error:
                problems.append(str(error))
        return problems

    def narrowed(
        self, narrowing: Mapping[str, Any], allow_content: Iterable[str] = ()
    ) -> ValueRule:
        """This rule with a contract's narrowing on top (check ``widening`` first)."""
        rule = self
        if "enum" in narrowing:
            enum = frozenset(narrowing["enum"])
            rule = replace(rule, enum=enum if rule.enum is None else rule.enum & enum)
        if "pattern" in narrowing:
            rule = replace(rule, patterns=(*rule.patterns, _Pattern(narrowing["pattern"])))
        for key, attribute, pick in (
            ("maxLength", "max_length", min),
            ("minLength", "min_length", max),
            ("maximum", "maximum", min),
            ("minimum", "minimum", max),
        ):
            if key in narrowing:
                ours = getattr(rule, attribute)
                value = narrowing[key] if ours is None else pick(ours, narrowing[key])
                rule = replace(rule, **{attribute: value})
        return replace(rule, content=rule.content | frozenset(map(Content, allow_content)))


_FORMAT_PATTERNS = {name: _Pattern(pattern) for name, pattern in _FORMATS.items()}


def _format_ok(format_: str, value: str) -> bool:
    if not _FORMAT_PATTERNS[format_].matches(value):
        return False
    if format_ == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
    return True


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    raise RuleError(f"enum value {value!r} is not a scalar")
