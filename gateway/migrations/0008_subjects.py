"""The subject index (issue #11): which transfers held a pupil, by keyed hash of an identifier,
with the field paths sent for that pupil; and the transfer entry's hash over its index rows."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("gateway", "0007_evidence")]

    initial = False

    operations = [
        ops.AddField(
            model_name="TransferRecord",
            name="subjects_sha256",
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.CreateModel(
            name="TransferSubject",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("transfer_id", fields.UUIDField()),
                ("subject", fields.CharField(max_length=32, db_index=True)),
                ("fieldset", fields.CharField(max_length=32)),
            ],
            options={
                "table": "transfer_subject",
                "app": "gateway",
                "pk_attr": "id",
                "table_description": "A pupil a transfer held, by keyed hash: the subject index.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SubjectFieldset",
            fields=[
                (
                    "id",
                    fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32),
                ),
                ("paths", fields.JSONField()),
            ],
            options={
                "table": "subject_fieldset",
                "app": "gateway",
                "pk_attr": "id",
                "table_description": "The field paths sent for a pupil, shared by every row naming the same set.",
            },
            bases=["Model"],
        ),
    ]
