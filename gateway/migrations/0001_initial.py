"""Initial schema: source keys and the transfer log."""

from tortoise import fields, migrations
from tortoise.fields.data import JSON_DUMPS, JSON_LOADS
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="ApiKey",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("client", fields.CharField(max_length=100)),
                ("role", fields.CharField(max_length=10)),
                ("schools", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=JSON_LOADS)),
                ("key_hash", fields.CharField(unique=True, max_length=64)),
                ("prefix", fields.CharField(max_length=12)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "api_key",
                "app": "gateway",
                "pk_attr": "id",
                "table_description": "A key for one source system (a LAS) or for the FG. Only the SHA-256 of the key is kept.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="TransferRecord",
            fields=[
                (
                    "seq",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("id", fields.UUIDField(unique=True)),
                (
                    "started_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "completed_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("source_system", fields.CharField(null=True, max_length=100)),
                ("key_id", fields.IntField(null=True)),
                ("school", fields.CharField(null=True, db_index=True, max_length=6)),
                ("supplier", fields.CharField(null=True, db_index=True, max_length=63)),
                ("agreement_reference", fields.CharField(null=True, max_length=200)),
                ("agreement_version", fields.CharField(null=True, max_length=50)),
                ("method", fields.CharField(max_length=10)),
                ("path", fields.CharField(max_length=2048)),
                ("route", fields.CharField(null=True, max_length=300)),
                ("outcome", fields.CharField(db_index=True, max_length=20)),
                ("status", fields.IntField(null=True)),
                ("upstream_status", fields.IntField(null=True)),
                ("problem", fields.CharField(null=True, max_length=50)),
                ("records", fields.IntField(default=0)),
                (
                    "fields_forwarded",
                    fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=JSON_LOADS),
                ),
                (
                    "fields_stripped",
                    fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=JSON_LOADS),
                ),
                ("body_sha256", fields.CharField(null=True, max_length=64)),
                ("duration_ms", fields.FloatField(null=True)),
            ],
            options={
                "table": "transfer",
                "app": "gateway",
                "pk_attr": "seq",
                "table_description": "One attempt to send data to a supplier, written before anything is sent upstream.",
            },
            bases=["Model"],
        ),
    ]
