"""Four single-column indexes on ``transfer`` go: ``started_at``, ``school``, ``supplier`` and
``outcome``. Each is a prefix of an index migration 0005 added for the console
(``transfer_hourly``; ``transfer_school_seq``, ``transfer_supplier_seq``,
``transfer_outcome_seq``; on SQLite, where ``seq`` is the rowid, the same index twice), so no
query needs them, and every transfer's insert and outcome update paid for them.

``instance`` no longer claims an index it never had: the heartbeat sweep looks for pending
transfers, which ``transfer_outcome_seq`` finds.

Only the indexes are dropped: tortoise's AlterField would rebuild the whole table on SQLite.
"""

from typing import Any

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class DropFieldIndex(ops.AlterField):
    """A field loses its single-column index, and nothing else changes: drop the index, if
    it is there (``instance``'s never was: migration 0002's AddField did not make it)."""

    async def database_forward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        if not state_editor:
            return
        model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
        name = state_editor._index_name_for_model(model, Index(fields=(self.name,)))
        await state_editor.client.execute_script(f'DROP INDEX IF EXISTS "{name}"')

    async def database_backward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        if not state_editor:
            return
        model = new_state.apps.get_model(f"{app_label}.{self.model_name}")
        await state_editor.add_index(model, Index(fields=(self.name,)))


class Migration(migrations.Migration):
    dependencies = [("gateway", "0011_subjects_held")]

    initial = False

    operations = [
        DropFieldIndex(
            model_name="TransferRecord",
            name="started_at",
            field=fields.DatetimeField(auto_now=False, auto_now_add=False),
        ),
        DropFieldIndex(
            model_name="TransferRecord",
            name="school",
            field=fields.CharField(null=True, max_length=6),
        ),
        DropFieldIndex(
            model_name="TransferRecord",
            name="supplier",
            field=fields.CharField(null=True, max_length=63),
        ),
        DropFieldIndex(
            model_name="TransferRecord",
            name="outcome",
            field=fields.CharField(max_length=20),
        ),
        DropFieldIndex(
            model_name="TransferRecord",
            name="instance",
            field=fields.UUIDField(null=True),
        ),
    ]
