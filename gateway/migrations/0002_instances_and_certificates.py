"""Gateway instances (heartbeats), the instance on each transfer, keys bound to certificates."""

from uuid import uuid4

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("gateway", "0001_initial")]

    initial = False

    operations = [
        ops.CreateModel(
            name="GatewayInstance",
            fields=[
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("host", fields.CharField(max_length=255)),
                ("pid", fields.IntField()),
                ("started_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "heartbeat_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "gateway_instance",
                "app": "gateway",
                "pk_attr": "id",
                "table_description": "A running gateway process, whose heartbeat says it can still complete its pending entries.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="ApiKey",
            name="certificate_sha256",
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name="TransferRecord",
            name="instance",
            field=fields.UUIDField(null=True, db_index=True),
        ),
    ]
