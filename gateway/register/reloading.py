"""Reload without downtime: a new generation of the register, in every process.

``poortwachter contracts reload`` (or SIGHUP to a gateway process) reads ``contracts/`` and
``config/schools.yaml``, refuses an invalid set with every problem named (the versions in
force stay), and otherwise stores the set as the register's next generation in the database.
Every gateway process polls the newest generation about once a second and, when it is new to
it, loads it from the database and swaps its register whole. A transfer holds the agreement
version it resolved, so one in flight finishes under the version it started with.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Mapping

from gateway.register import loading, versions
from gateway.settings import Settings
from gateway.transfer.pipeline import Gateway

logger = logging.getLogger("gateway.register")

POLL_SECONDS = 1.0


def origin(what: str) -> str:
    return f"{what} on {socket.gethostname()} pid {os.getpid()}"[:100]


async def reload_files(settings: Settings, environ: Mapping[str, str], what: str) -> int:
    """Validate ``contracts/`` and publish it as the next generation; its number.
    InvalidConfiguration (nothing stored) if any file has a problem."""
    enforced = loading.load(settings, environ)
    return await versions.publish(enforced.register.all(), enforced.schools_text, origin(what))


class Reloader:
    """Keeps a gateway's register at the newest generation in the database."""

    def __init__(
        self,
        gateway: Gateway,
        settings: Settings,
        environ: Mapping[str, str],
        schools_text: str | None,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._schools_text = schools_text  # as read at start-up
        self._gateway = gateway
        self._settings = settings
        self._environ = environ
        self._poll_seconds = poll_seconds
        self._task: asyncio.Task[None] | None = None
        self._refused: set[int] = set()  # generations that do not load here (logged once)
        self._hangup = False

    async def start(self) -> None:
        """Publish what this process loaded at start-up, then follow the newest generation."""
        register = self._gateway.register
        register.generation = await versions.publish(
            register.all(), self._schools_text, origin("start-up")
        )
        self._task = asyncio.create_task(self._follow(), name="register-reload")
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGHUP, self._hangup_received)
            self._hangup = True

    async def stop(self) -> None:
        if self._hangup:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _hangup_received(self) -> None:
        logger.info("SIGHUP: reading contracts/ again")
        asyncio.get_running_loop().create_task(self.reload_files("SIGHUP"))

    async def reload_files(self, what: str) -> int | None:
        """Read ``contracts/`` again; the new generation, or None when refused (logged)."""
        try:
            generation = await reload_files(self._settings, self._environ, what)
        except loading.InvalidConfiguration as error:
            logger.error(
                "reload refused, the agreement versions in force stay: %d problem(s): %s",
                len(error.problems),
                "; ".join(str(p) for p in error.problems),
            )
            return None
        except Exception:
            logger.exception("reload failed, the agreement versions in force stay")
            return None
        await self.follow_once()
        return generation

    async def _follow(self) -> None:
        failing = False  # say so once per outage, not every second
        while True:
            await asyncio.sleep(self._poll_seconds)
            try:
                await self.follow_once()
            except Exception as error:
                if not failing:
                    logger.error(
                        "cannot read the register's generation (%s); the versions in force "
                        "stay, trying again every %g s",
                        type(error).__name__,
                        self._poll_seconds,
                    )
                failing = True
            else:
                if failing:
                    logger.info("the register's generation can be read again")
                failing = False

    async def follow_once(self) -> None:
        """Load the newest generation if it is newer than this process's register."""
        newest = await versions.latest()
        current = self._gateway.register
        if newest <= current.generation or newest in self._refused:
            return
        texts, schools = await versions.texts_of(newest)
        try:
            register = loading.register_from_texts(
                self._settings,
                texts,
                schools,
                self._gateway.suppliers,
                self._gateway.payload_schemas,
                newest,
            )
        except loading.InvalidConfiguration as error:
            self._refused.add(newest)
            logger.error(
                "register generation %d does not load here, the versions in force stay: %s",
                newest,
                "; ".join(str(p) for p in error.problems),
            )
            return
        self._gateway.register = register
        logger.info(
            "register generation %d in force: %s",
            newest,
            ", ".join(f"{a.supplier} {a.label}" for a in register.all()),
        )
