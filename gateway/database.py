"""The database: SQLite embedded by default, PostgreSQL for production and several processes.

``migrate`` applies the committed migrations in ``gateway/migrations`` (tortoise's own
migration framework); the gateway runs it at start-up, so a new version upgrades its schema.
A database that cannot be created, reached or used is a ``DatabaseError`` naming it (never
with its password) and saying why, in one line for a person.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tortoise import Tortoise
from tortoise.migrations.api import migrate as migrate_api

MODELS = [
    "gateway.access.models",
    "gateway.evidence.models",
    "gateway.console.models",
    "gateway.register.models",
]


class DatabaseError(Exception):
    """The database cannot be created, reached or used; the message says which and why."""


def sqlite_path(database_url: str) -> str | None:
    """The file of a SQLite URL (``:memory:`` for an in-memory one), None for any other."""
    if urlsplit(database_url).scheme != "sqlite":
        return None
    return database_url.removeprefix("sqlite://").split("?", 1)[0]


def describe(database_url: str) -> str:
    """The database as a person should see it: a SQLite file, or the URL without its password."""
    path = sqlite_path(database_url)
    if path is not None:
        return f"SQLite {path}"
    parts = urlsplit(database_url)
    if parts.password is None:
        return database_url
    user = f"{parts.username}:***@" if parts.username else ":***@"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, ""))


def _unusable(database_url: str, error: BaseException) -> DatabaseError:
    return DatabaseError(f"cannot use the database ({describe(database_url)}): {_reason(error)}")


def _reason(error: BaseException) -> str:
    text = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    return f"{type(error).__name__}: {' '.join(text.split())}" if text else type(error).__name__


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
    path = sqlite_path(database_url)
    if path is None:
        return database_url
    if path != ":memory:":
        parent = Path(path).parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            blocking = next((p for p in (parent, *parent.parents) if p.exists()), parent)
            why = f"{blocking} is a file" if not blocking.is_dir() else _reason(error)
            raise DatabaseError(f"cannot create the SQLite database {path}: {why}") from None
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
    try:
        await migrate_api(config=config(database_url))
    except DatabaseError:
        raise
    except Exception as error:
        raise _unusable(database_url, error) from error
    finally:
        await Tortoise.close_connections()


async def connect(database_url: str) -> None:
    try:
        await Tortoise.init(config=config(database_url), _enable_global_fallback=True)
    except DatabaseError:
        raise
    except Exception as error:
        raise _unusable(database_url, error) from error


async def close() -> None:
    await Tortoise.close_connections()


def must_exist(database_url: str) -> None:
    """DatabaseError if ``database_url`` is a SQLite file that does not exist: a command that
    only reads must not make a new, empty database (and then find nothing in it)."""
    path = sqlite_path(database_url)
    if path not in (None, ":memory:") and not Path(path).exists():
        raise DatabaseError(
            f"there is no database at {path}; start the gateway once (poortwachter serve) or "
            "run poortwachter migrate, or set GATEWAY_HOME or GATEWAY_DATABASE_URL"
        )


@contextlib.asynccontextmanager
async def opened(database_url: str) -> AsyncIterator[None]:
    """The database, migrated and connected, for a command-line task."""
    await migrate(database_url)
    await connect(database_url)
    try:
        yield
    finally:
        await close()
