"""The subject index as one row per transfer (``subjects_held``) instead of one per pupil
identifier (``transfer_subject``): the rows a transfer held, packed in order of subject.

Existing rows are moved, transfer by transfer, before the old table goes; the subjects and
field-sets are the same, so each transfer's ``subjects_sha256`` still matches its rows.
"""

from typing import Any

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

_MOVE_BATCH = 1000


def _packed(rows: list[tuple[str, str]], order: tuple[str, ...]) -> bytes:
    """As ``gateway.evidence.subjects.pack`` made them when this migration was written: per
    row the subject's 16 bytes and its field-set's place in ``order``, 4 bytes big-endian."""
    place = {name: f"{number:08x}" for number, name in enumerate(order)}
    return bytes.fromhex("".join(subject + place[fieldset] for subject, fieldset in rows))


async def _move_rows(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    if postgres:  # HMACs do not compress: storing them as they are spares pglz its attempt
        await client.execute_script(
            'ALTER TABLE "subjects_held" ALTER COLUMN "subjects" SET STORAGE EXTERNAL'
        )
    mark = "$1, $2, $3" if postgres else "?, ?, ?"
    _, found = await client.execute_query(
        'SELECT "transfer_id", "subject", "fieldset" FROM "transfer_subject" '
        'ORDER BY "transfer_id", "subject"'
    )
    held: dict[str, list[tuple[str, str]]] = {}
    for row in found:
        held.setdefault(str(row["transfer_id"]), []).append((row["subject"], row["fieldset"]))
    moved = []
    for transfer_id, rows in held.items():
        order = tuple(sorted({fieldset for _, fieldset in rows}))
        names = "[" + ",".join(f'"{name}"' for name in order) + "]"  # hex names, JSON as is
        moved.append([transfer_id, _packed(rows, order), names])
    insert = f'INSERT INTO "subjects_held" ("transfer_id", "subjects", "fieldsets") VALUES ({mark})'  # noqa: S608
    for start in range(0, len(moved), _MOVE_BATCH):
        await client.execute_many(insert, moved[start : start + _MOVE_BATCH])


class Migration(migrations.Migration):
    dependencies = [("gateway", "0010_exchanges")]

    initial = False

    operations = [
        ops.CreateModel(
            name="SubjectsHeld",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("transfer_id", fields.UUIDField()),
                ("subjects", fields.BinaryField()),
                ("fieldsets", fields.JSONField()),
            ],
            options={
                "table": "subjects_held",
                "app": "gateway",
                "pk_attr": "id",
                "table_description": "The pupils one transfer held, by keyed hash, packed.",
            },
            bases=["Model"],
        ),
        ops.RunPython(_move_rows),
        ops.DeleteModel(name="TransferSubject"),
    ]
