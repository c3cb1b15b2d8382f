"""The register's versions in the database: every agreement version ever in force, and the
generations that say which versions are in force now.

``publish`` stores a validated set of contract texts as the next generation (or finds it is the
current one already); every gateway process polls ``latest`` and loads a generation new to it
(``gateway.register.reloading``). A version's row stays when its file changes or is removed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError

from gateway.register.agreements import Agreement
from gateway.register.contract_files import ContractText
from gateway.register.models import AgreementText, RegisterGeneration


async def publish(agreements: Iterable[Agreement], schools: str | None, origin: str) -> int:
    """Store ``agreements`` (each with its file's text) and the school list's text, and make
    them the register's newest generation, unless they are the newest already; its number."""
    now = datetime.now(UTC)
    versions = [a for a in agreements]
    hashes = [a.sha256 for a in versions]
    for agreement in versions:
        await _keep(agreement, now)
    # No transaction around the read and the insert: on SQLite a read that turns into a write
    # fails at once when another process writes. Two processes publishing the same set at once
    # (workers starting together) make two equal generations, which is harmless.
    newest = await RegisterGeneration.all().order_by("-generation").first()
    if (
        newest is not None
        and sorted(newest.versions) == sorted(hashes)
        and newest.schools == schools
    ):
        return newest.generation
    made = await RegisterGeneration.create(
        created_at=now, origin=origin[:100], versions=hashes, schools=schools
    )
    return made.generation


async def _keep(agreement: Agreement, now: datetime) -> None:
    updated = await AgreementText.filter(sha256=agreement.sha256).update(last_loaded_at=now)
    if updated:
        return
    until = agreement.valid_until
    try:
        await AgreementText.create(
            sha256=agreement.sha256,
            supplier=agreement.supplier,
            reference=agreement.reference,
            version=agreement.version,
            source=agreement.source.rsplit("/", 1)[-1][:300],
            text=agreement.text,
            valid_from=agreement.valid_from.isoformat(),
            valid_until=None
            if until is None
            else until.isoformat()
            + (f"T{agreement.until_time.isoformat()}" if agreement.until_time else ""),
            first_loaded_at=now,
            last_loaded_at=now,
        )
    except IntegrityError:
        # Another process stored the same text a moment ago.
        await AgreementText.filter(sha256=agreement.sha256).update(last_loaded_at=now)


async def latest() -> int:
    """The newest generation's number; 0 when none is stored."""
    newest = await RegisterGeneration.all().order_by("-generation").first()
    return newest.generation if newest is not None else 0


async def texts_of(generation: int) -> tuple[list[ContractText], str | None]:
    """The contract texts of ``generation`` in the order they were published, and its school
    list's text."""
    stored = await RegisterGeneration.get(generation=generation)
    rows = {r.sha256: r for r in await AgreementText.filter(sha256__in=stored.versions)}
    texts = [ContractText(rows[h].source, rows[h].text) for h in stored.versions if h in rows]
    return texts, stored.schools


async def history(supplier: str | None = None) -> list[AgreementText]:
    """Every version ever loaded (of ``supplier``), oldest first."""
    query = AgreementText.all()
    if supplier is not None:
        query = query.filter(supplier=supplier)
    return await query.order_by("first_loaded_at", "id")
