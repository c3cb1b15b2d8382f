"""The transfer log as evidence: append-only entries, the Merkle tree's leaves and nodes, signed
checkpoints and verification results; triggers refuse UPDATE and DELETE on the log's tables
(defence in depth: the proof is the tree and the checkpoints, docs/evidence.md)."""

from typing import Any

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

_TABLES = ("log_entry", "log_leaf", "log_node", "log_checkpoint")

_POSTGRES = [
    """CREATE OR REPLACE FUNCTION log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the transfer log is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
    END $$""",
    *(
        f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
        "FOR EACH ROW EXECUTE FUNCTION log_append_only()"
        for t in _TABLES
    ),
    *(
        f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
        "FOR EACH STATEMENT EXECUTE FUNCTION log_append_only()"
        for t in _TABLES
    ),
]
_SQLITE = [
    f"CREATE TRIGGER {t}_no_{op.lower()} BEFORE {op} ON {t} "
    f"BEGIN SELECT RAISE(ABORT, 'the transfer log is append-only: {op} on {t} refused'); END"
    for t in _TABLES
    for op in ("UPDATE", "DELETE")
]


async def _append_only(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    dialect = client.capabilities.dialect
    statements = _POSTGRES if dialect == "postgres" else _SQLITE if dialect == "sqlite" else []
    for sql in statements:
        await client.execute_query(sql)


class Migration(migrations.Migration):
    dependencies = [("gateway", "0006_register")]

    initial = False

    operations = [
        ops.CreateModel(
            name="LogCheckpoint",
            fields=[
                ("size", fields.BigIntField(primary_key=True, unique=True, db_index=True)),
                ("root_hash", fields.BinaryField()),
                ("note", fields.TextField(unique=False)),
                ("signed_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "log_checkpoint",
                "app": "gateway",
                "pk_attr": "size",
                "table_description": "A signed checkpoint (c2sp.org/tlog-checkpoint) of the first ``size`` leaves.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="LogEntry",
            fields=[
                (
                    "seq",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("transfer_id", fields.UUIDField(db_index=True)),
                ("kind", fields.CharField(max_length=10)),
                ("body", fields.BinaryField()),
                ("leaf_hash", fields.BinaryField()),
                ("written_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "log_entry",
                "app": "gateway",
                "pk_attr": "seq",
                "table_description": "One append-only entry of the transfer log, the evidence (docs/evidence.md).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="LogLeaf",
            fields=[
                ("leaf_index", fields.BigIntField(primary_key=True, unique=True, db_index=True)),
                ("entry_seq", fields.BigIntField(unique=True)),
            ],
            options={
                "table": "log_leaf",
                "app": "gateway",
                "pk_attr": "leaf_index",
                "table_description": "The order in which entries were bound into the Merkle tree, appended by the sealer.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="LogNode",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("level", fields.IntField()),
                ("index", fields.BigIntField()),
                ("hash", fields.BinaryField()),
            ],
            options={
                "table": "log_node",
                "app": "gateway",
                "unique_together": (("level", "index"),),
                "pk_attr": "id",
                "table_description": "A perfect subtree of the log's Merkle tree: leaves (index << level) up to the next.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="LogVerification",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ("ok", fields.BooleanField()),
                ("entries", fields.BigIntField()),
                ("detail", fields.TextField(unique=False)),
            ],
            options={
                "table": "log_verification",
                "app": "gateway",
                "pk_attr": "id",
                "table_description": "The result of one ``poortwachter verify``, for the FG console.",
            },
            bases=["Model"],
        ),
        ops.RunPython(_append_only),
    ]
