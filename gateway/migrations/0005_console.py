"""The FG console: accounts, sign-ins, sessions, review marks, the scan of field paths and
flags, and indexes on the transfer log for the console's reads."""

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("gateway", "0003_invalid_and_inspected")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ConsoleSession",
            fields=[
                (
                    "token_hash",
                    fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64),
                ),
                ("user_id", fields.IntField(db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("last_seen_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("ended_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("address", fields.CharField(null=True, max_length=45)),
            ],
            options={
                "table": "console_session",
                "app": "gateway",
                "pk_attr": "token_hash",
                "table_description": "A signed-in browser. The cookie holds a random token, this row only its SHA-256.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="FieldPathSeen",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("supplier", fields.CharField(max_length=63)),
                ("role", fields.CharField(max_length=20)),
                ("path", fields.CharField(max_length=300)),
                ("first_seq", fields.BigIntField()),
                (
                    "first_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "field_path_seen",
                "app": "gateway",
                "unique_together": (("supplier", "role", "path"),),
                "pk_attr": "id",
                "table_description": "The first transfer to a supplier that forwarded or stripped a field path.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="FlaggedTransfer",
            fields=[
                ("seq", fields.BigIntField(primary_key=True, unique=True, db_index=True)),
                (
                    "started_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
                ("supplier", fields.CharField(null=True, max_length=63)),
                ("blocked", fields.BooleanField(default=False)),
                ("special", fields.BooleanField(default=False)),
                ("inspected", fields.BooleanField(default=False)),
                ("invalid", fields.BooleanField(default=False)),
            ],
            options={
                "table": "flagged_transfer",
                "app": "gateway",
                "pk_attr": "seq",
                "table_description": "A transfer the review queue or the Overzicht counts, with why: one small row per",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="LoginEvent",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ("user_id", fields.IntField(null=True, db_index=True)),
                ("event", fields.CharField(max_length=20)),
                ("address", fields.CharField(null=True, max_length=45)),
            ],
            options={
                "table": "console_login",
                "app": "gateway",
                "pk_attr": "id",
                "table_description": "A sign-in, a refused sign-in, a sign-out or an expired session on the FG console.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="LoginThrottle",
            fields=[
                (
                    "key",
                    fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64),
                ),
                ("failures", fields.IntField(default=0)),
                ("last_failed_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "locked_until",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "console_throttle",
                "app": "gateway",
                "pk_attr": "key",
                "table_description": "Refused sign-ins in a row for one name or one address, and until when the next waits.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ReviewMark",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("kind", fields.CharField(max_length=20)),
                ("subject", fields.CharField(max_length=400)),
                ("transfer_seq", fields.BigIntField(null=True, db_index=True)),
                ("note", fields.TextField(unique=False)),
                ("user_id", fields.IntField()),
                ("user_name", fields.CharField(max_length=100)),
                ("reviewed_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "review_mark",
                "app": "gateway",
                "unique_together": (("kind", "subject"),),
                "pk_attr": "id",
                "table_description": "An item of the review queue the FG has looked at: who, when, and the FG's note.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ScanMark",
            fields=[
                (
                    "name",
                    fields.CharField(primary_key=True, unique=True, db_index=True, max_length=50),
                ),
                ("seq", fields.BigIntField()),
                ("window", fields.IntField(default=0)),
            ],
            options={
                "table": "console_scan",
                "app": "gateway",
                "pk_attr": "name",
                "table_description": "How far a console scan of the transfer log has read (the last ``seq`` it took in).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="User",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(unique=True, max_length=100)),
                ("role", fields.CharField(max_length=10)),
                ("password_hash", fields.CharField(max_length=200)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "disabled_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "console_user",
                "app": "gateway",
                "pk_attr": "id",
                "table_description": "A person who signs in to the FG console. Only an argon2id hash of the password is kept.",
            },
            bases=["Model"],
        ),
        ops.AddIndex(
            model_name="TransferRecord",
            index=Index(fields=["supplier", "seq"], name="transfer_supplier_seq"),
        ),
        ops.AddIndex(
            model_name="TransferRecord",
            index=Index(fields=["school", "seq"], name="transfer_school_seq"),
        ),
        ops.AddIndex(
            model_name="TransferRecord",
            index=Index(fields=["outcome", "seq"], name="transfer_outcome_seq"),
        ),
        ops.AddIndex(
            model_name="TransferRecord",
            index=Index(
                fields=["started_at", "supplier", "outcome", "records"], name="transfer_hourly"
            ),
        ),
    ]
