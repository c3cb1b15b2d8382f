"""Values that broke their rule, and identifiers content inspection found, per transfer."""

from tortoise import fields, migrations
from tortoise.fields.data import JSON_DUMPS, JSON_LOADS
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("gateway", "0002_instances_and_certificates")]

    initial = False

    operations = [
        ops.AddField(
            model_name="TransferRecord",
            name="fields_invalid",
            field=fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=JSON_LOADS),
        ),
        ops.AddField(
            model_name="TransferRecord",
            name="fields_inspected",
            field=fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=JSON_LOADS),
        ),
    ]
