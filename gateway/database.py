"""The database: SQLite embedded by default, PostgreSQL for production and several processes.

``migrate`` applies the committed migrations in ``gateway/migrations`` (tortoise's own
migration framework); the gateway runs it at start-up, so a new version upgrades its schema.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tortoise import Tortoise
from tortoise.migrations.api import migrate as migrate_api

MODELS = ["gateway.access.models", "gateway.evidence.models", "gateway.console.models"]


def config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": _connection(database_url)},
        "apps": {
            "gateway": {
                "models": MODELS,
                "default_connection": "default",
                "migrations": "gateway.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _connection(database_url: str) -> str | dict[str, Any]:
    parts = urlsplit(database_url)
    if parts.scheme != "sqlite":
        return database_url
    path = database_url.removeprefix("sqlite://").split("?", 1)[0]
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return {
        "engine": "tortoise.backends.sqlite",
        "credentials": {
            "file_path": path,
            # A transfer is forwarded only once its entry is durable: fsync every commit.
            "synchronous": "FULL",
            "journal_mode": "WAL",
            "busy_timeout": 5000,
        },
    }


async def migrate(database_url: str) -> None:
    await migrate_api(config=config(database_url))
    await Tortoise.close_connections()


async def connect(database_url: str) -> None:
    await Tortoise.init(config=config(database_url), _enable_global_fallback=True)


async def close() -> None:
    await Tortoise.close_connections()


@contextlib.asynccontextmanager
async def opened(database_url: str) -> AsyncIterator[None]:
    """The database, migrated and connected, for a command-line task."""
    await migrate(database_url)
    await connect(database_url)
    try:
        yield
    finally:
        await close()
