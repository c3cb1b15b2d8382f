"""Database models of the evidence: the transfer log and the gateway instances that write it.

No semicolons in model docstrings: tortoise writes them into the schema as table comments, and
its SQLite schema script splits statements on ``;``.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class TransferRecord(Model):
    """One attempt to send data to a supplier, written before anything is sent upstream.

    It holds no pupil names or values: field paths, counts and a hash of the forwarded body.
    """

    seq = fields.BigIntField(primary_key=True)  # insertion order, for paging
    id = fields.UUIDField(unique=True)  # the X-Transfer-Id the caller sees
    started_at = fields.DatetimeField(db_index=True)
    completed_at = fields.DatetimeField(null=True)
    source_system = fields.CharField(max_length=100, null=True)
    key_id = fields.IntField(null=True)
    school = fields.CharField(max_length=6, null=True, db_index=True)
    supplier = fields.CharField(max_length=63, null=True, db_index=True)
    agreement_reference = fields.CharField(max_length=200, null=True)
    agreement_version = fields.CharField(max_length=50, null=True)
    method = fields.CharField(max_length=10)
    path = fields.CharField(max_length=2048)
    route = fields.CharField(max_length=300, null=True)
    outcome = fields.CharField(max_length=20, db_index=True)
    status = fields.IntField(null=True)  # what the caller got
    upstream_status = fields.IntField(null=True)
    problem = fields.CharField(max_length=50, null=True)  # problem type for refusals
    records = fields.IntField(default=0)
    fields_forwarded: fields.JSONField[list[str]] = fields.JSONField(default=list)
    fields_stripped: fields.JSONField[dict[str, int]] = fields.JSONField(default=dict)
    # Per path and kind: values that broke their rule, and identifiers content inspection found.
    fields_invalid: fields.JSONField[dict[str, dict[str, int]]] = fields.JSONField(default=dict)
    fields_inspected: fields.JSONField[dict[str, dict[str, int]]] = fields.JSONField(default=dict)
    body_sha256 = fields.CharField(max_length=64, null=True)
    duration_ms = fields.FloatField(null=True)
    instance = fields.UUIDField(null=True, db_index=True)  # the gateway process that wrote it
    format = fields.CharField(max_length=10, null=True)  # json, xml; None before the body was read
    direction = fields.CharField(max_length=10, null=True)  # push (to a supplier), pull (by one)

    class Meta:
        table = "transfer"
        # The FG console's reads (gateway/console): newest first within one supplier, school
        # or outcome, and per-hour totals read from the index alone (docs/console.md).
        indexes = (
            Index(fields=("supplier", "seq"), name="transfer_supplier_seq"),
            Index(fields=("school", "seq"), name="transfer_school_seq"),
            Index(fields=("outcome", "seq"), name="transfer_outcome_seq"),
            Index(fields=("started_at", "supplier", "outcome", "records"), name="transfer_hourly"),
        )


class GatewayInstance(Model):
    """A running gateway process, whose heartbeat says it can still complete its pending entries."""

    id = fields.UUIDField(primary_key=True)
    host = fields.CharField(max_length=255)
    pid = fields.IntField()
    started_at = fields.DatetimeField()
    heartbeat_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "gateway_instance"
