"""Fields withheld for lack of the pupil's consent, and fields forwarded transformed, per
transfer."""

from tortoise import fields, migrations
from tortoise.fields.data import JSON_DUMPS, JSON_LOADS
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("gateway", "0008_subjects")]

    initial = False

    operations = [
        ops.AddField(
            model_name="TransferRecord",
            name="fields_withheld",
            field=fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=JSON_LOADS),
        ),
        ops.AddField(
            model_name="TransferRecord",
            name="fields_transformed",
            field=fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=JSON_LOADS),
        ),
    ]
