"""The few SQL phrases the console needs that SQLite and PostgreSQL spell differently.

The console reads the transfer log with plain SQL (aggregates over 100,000 entries do not go
through model objects); each query collects its parameters in a ``Sql`` as it is written, so
that no value is ever part of the statement's text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise import connections


@dataclass
class Sql:
    """One statement's parameters, in the placeholder style of ``dialect``."""

    dialect: str  # "sqlite" or "postgres"
    params: list[Any] = field(default_factory=list)

    @classmethod
    def connected(cls) -> Sql:
        return cls(connections.get("default").capabilities.dialect)

    def p(self, value: Any) -> str:
        """A placeholder for ``value``."""
        self.params.append(value)
        return "?" if self.dialect == "sqlite" else f"${len(self.params)}"

    def time(self, moment: datetime) -> str:
        """A placeholder for a moment, compared as the log stores it (UTC)."""
        utc = moment.astimezone(UTC)
        # SQLite keeps the ORM's ISO text, which sorts as time does; PostgreSQL a timestamptz.
        return self.p(utc.isoformat(" ") if self.dialect == "sqlite" else utc)

    def has_path(self, column: str, path: str) -> str:
        """Whether a JSON list of paths, or object keyed by path, ``column`` holds ``path``."""
        if self.dialect == "sqlite":
            # JSON text: the path with its quotes appears only as that element or key.
            return f"instr({column}, {self.p(json.dumps(path))}) > 0"
        return f"jsonb_exists({column}, {self.p(path)})"

    def nonempty(self, column: str) -> str:
        """Whether the JSON object ``column`` has any key."""
        if self.dialect == "sqlite":
            return f"{column} <> '{{}}'"
        return f"{column} <> '{{}}'::jsonb"

    def hour(self, column: str) -> str:
        """The UTC hour of a moment as ``YYYY-MM-DD HH`` (Amsterdam's offsets are whole hours)."""
        if self.dialect == "sqlite":
            return f"substr({column}, 1, 13)"
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')"

    def each_count(self, column: str, alias: str) -> tuple[str, str, str]:
        """FROM item, key and count expressions over a JSON object of counts ``column``."""
        if self.dialect == "sqlite":
            return f"json_each({column}) AS {alias}", f"{alias}.key", f"{alias}.value"
        return (
            f"jsonb_each_text({column}) AS {alias}(key, value)",
            f"{alias}.key",
            f"CAST({alias}.value AS BIGINT)",
        )


async def rows(sql: Sql, statement: str) -> list[dict[str, Any]]:
    result = await connections.get("default").execute_query_dict(statement, sql.params)
    return list(result)


def moment(value: Any) -> datetime:
    """A moment read by plain SQL: SQLite gives the stored text, PostgreSQL a datetime."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)
