"""The sector's exchanges: each transfer's format (json, xml) and direction (push, pull).

Nullable: entries written before this migration do not say, and a request refused before its
body was read has no format.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("gateway", "0009_filters")]

    initial = False

    operations = [
        ops.AddField(
            model_name="TransferRecord",
            name="format",
            field=fields.CharField(null=True, max_length=10),
        ),
        ops.AddField(
            model_name="TransferRecord",
            name="direction",
            field=fields.CharField(null=True, max_length=10),
        ),
    ]
