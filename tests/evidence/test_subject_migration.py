"""Migration 0011: an index written one row per pupil identifier (before 0011) is moved to one
packed row per transfer, and an access request still finds exactly what it found."""

from __future__ import annotations

import uuid
from typing import Any

from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate

from gateway import database
from gateway.evidence import subject_index
from gateway.evidence.models import SubjectsHeld, TransferRecord
from gateway.evidence.subjects import SubjectKey, unpack

KEY = SubjectKey(bytes(range(32)))


async def test_rows_written_before_0011_are_found_after_it(database_url: str) -> None:
    """Two transfers' rows, written as 0010 left the table, are one packed row each after the
    migration, with the same rows and field-sets, and the lookup finds the pupil in both."""
    await migrate(config=database.config(database_url), target="gateway.0010_exchanges")
    first, second = uuid.uuid4(), uuid.uuid4()
    pupil = KEY.subject("leerlingkey", "LL-1")
    other = KEY.subject("basispoort", "BP-2")
    old_rows = [
        (first, pupil, "a" * 32),
        (first, other, "b" * 32),
        (second, pupil, "b" * 32),
    ]
    client = connections.get("default")
    postgres = client.capabilities.dialect == "postgres"
    mark: Any = (lambda n: f"${n}") if postgres else (lambda n: "?")
    for transfer_id, subject, fieldset in old_rows:
        await client.execute_query(
            'INSERT INTO "transfer_subject" ("transfer_id", "subject", "fieldset") '
            f"VALUES ({mark(1)}, {mark(2)}, {mark(3)})",
            [str(transfer_id), subject, fieldset],
        )
    for name, paths in (("a" * 32, ["leerlingen[].voornaam"]), ("b" * 32, ["leerlingen[].x"])):
        await client.execute_query(
            f'INSERT INTO "subject_fieldset" ("id", "paths") VALUES ({mark(1)}, {mark(2)})',
            [name, f'["{paths[0]}"]'],
        )
    await Tortoise.close_connections()

    await database.migrate(database_url)
    await database.connect(database_url)
    try:
        for number, transfer_id in enumerate((first, second)):
            await TransferRecord.create(
                id=transfer_id, started_at="2026-12-01T10:00:00+00:00", method="POST",
                path="/proxy/basispoort/sync", outcome="forwarded", school="99XX",
                supplier="basispoort", records=1 + number,
            )  # fmt: skip
        held = {row.transfer_id: row for row in await SubjectsHeld.all()}
        assert unpack(held[first].subjects, held[first].fieldsets) == sorted(
            [(pupil, "a" * 32), (other, "b" * 32)]
        )
        assert unpack(held[second].subjects, held[second].fieldsets) == [(pupil, "b" * 32)]
        found = await subject_index.transfers_holding(KEY, "LL-1")
        assert [(h.transfer_id, h.fields) for h in found] == [
            (str(first), ("leerlingen[].voornaam",)),
            (str(second), ("leerlingen[].x",)),
        ]
        assert [h.transfer_id for h in await subject_index.transfers_holding(KEY, "BP-2")] == [
            str(first)
        ]
        tables = await connections.get("default").execute_query_dict(
            "SELECT table_name AS name FROM information_schema.tables "
            "WHERE table_name = 'transfer_subject'"
            if postgres
            else "SELECT name FROM sqlite_master WHERE name = 'transfer_subject'"
        )
        assert tables == []  # the per-pupil table is gone
    finally:
        await database.close()
