"""Raw SQL over the ORM's connection for the evidence's reads and the sealer's writes, in one
spelling for both databases: statements use ``$1, $2, ...``; for SQLite they become ``?``."""

from __future__ import annotations

import datetime as dt
import functools
import re
import uuid
from collections.abc import Sequence
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

_MARK = re.compile(r"\$\d+")


def client() -> BaseDBAsyncClient:
    found: BaseDBAsyncClient = connections.get("default")
    return found


@functools.cache
def spelled(sql: str, dialect: str) -> str:
    return sql if dialect == "postgres" else _MARK.sub("?", sql)


async def fetch(db: BaseDBAsyncClient, sql: str, *args: Any) -> list[Any]:
    """The rows of ``sql`` (each indexable by column name)."""
    _, rows = await db.execute_query(spelled(sql, db.capabilities.dialect), list(args))
    return list(rows)


async def execute_many(db: BaseDBAsyncClient, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    if rows:
        await db.execute_many(spelled(sql, db.capabilities.dialect), [list(r) for r in rows])


def as_datetime(value: Any) -> dt.datetime:
    """A timestamp as either driver returns it (SQLite: text), in UTC."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)  # type: ignore[no-any-return]


def as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def as_bytes(value: Any) -> bytes:
    return bytes(value)
