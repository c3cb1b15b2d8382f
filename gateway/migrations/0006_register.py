"""The agreement register: every agreement version ever in force (its file's text and SHA-256),
the register's generations for reloads across processes, and the version each transfer ran
under."""

from tortoise import fields, migrations
from tortoise.fields.data import JSON_DUMPS, JSON_LOADS
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("gateway", "0005_console")]

    initial = False

    operations = [
        ops.CreateModel(
            name="AgreementText",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("sha256", fields.CharField(unique=True, max_length=64)),
                ("supplier", fields.CharField(db_index=True, max_length=63)),
                ("reference", fields.CharField(max_length=200)),
                ("version", fields.CharField(max_length=50)),
                ("source", fields.CharField(max_length=300)),
                ("text", fields.TextField(unique=False)),
                ("valid_from", fields.CharField(max_length=10)),
                ("valid_until", fields.CharField(null=True, max_length=19)),
                ("first_loaded_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("last_loaded_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "agreement_text",
                "app": "gateway",
                "pk_attr": "id",
                "table_description": "One agreement version as a gateway loaded it: the contract file's text and its SHA-256.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RegisterGeneration",
            fields=[
                (
                    "generation",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("origin", fields.CharField(max_length=100)),
                (
                    "versions",
                    fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=JSON_LOADS),
                ),
                ("schools", fields.TextField(null=True, unique=False)),
            ],
            options={
                "table": "register_generation",
                "app": "gateway",
                "pk_attr": "generation",
                "table_description": "One state of the register: the agreement versions a start-up or a reload put in force.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="TransferRecord",
            name="agreement_sha256",
            field=fields.CharField(null=True, max_length=64),
        ),
    ]
