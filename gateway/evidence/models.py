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
    started_at = fields.DatetimeField()  # indexed as the first column of transfer_hourly
    completed_at = fields.DatetimeField(null=True)
    source_system = fields.CharField(max_length=100, null=True)
    key_id = fields.IntField(null=True)
    school = fields.CharField(max_length=6, null=True)
    supplier = fields.CharField(max_length=63, null=True)
    agreement_reference = fields.CharField(max_length=200, null=True)
    agreement_version = fields.CharField(max_length=50, null=True)
    # SHA-256 of the contract file's text the transfer ran under (register.models.AgreementText)
    agreement_sha256 = fields.CharField(max_length=64, null=True)
    method = fields.CharField(max_length=10)
    path = fields.CharField(max_length=2048)
    route = fields.CharField(max_length=300, null=True)
    outcome = fields.CharField(max_length=20)
    status = fields.IntField(null=True)  # what the caller got
    upstream_status = fields.IntField(null=True)
    problem = fields.CharField(max_length=50, null=True)  # problem type for refusals
    records = fields.IntField(default=0)
    fields_forwarded: fields.JSONField[list[str]] = fields.JSONField(default=list)
    fields_stripped: fields.JSONField[dict[str, int]] = fields.JSONField(default=dict)
    # Per path and kind: values that broke their rule, and identifiers content inspection found.
    fields_invalid: fields.JSONField[dict[str, dict[str, int]]] = fields.JSONField(default=dict)
    fields_inspected: fields.JSONField[dict[str, dict[str, int]]] = fields.JSONField(default=dict)
    # Per path: allowed fields left out for lack of the pupil's consent; per path and
    # transformation: fields forwarded transformed (a pseudonym, a year, four digits).
    fields_withheld: fields.JSONField[dict[str, int]] = fields.JSONField(default=dict)
    fields_transformed: fields.JSONField[dict[str, dict[str, int]]] = fields.JSONField(default=dict)
    body_sha256 = fields.CharField(max_length=64, null=True)
    duration_ms = fields.FloatField(null=True)
    instance = fields.UUIDField(null=True)  # the gateway process that wrote it
    # SHA-256 over the transfer's subject-index rows (gateway.evidence.subjects): the entry
    # commits to which pupils it held without holding them.
    subjects_sha256 = fields.CharField(max_length=64, null=True)
    format = fields.CharField(max_length=10, null=True)  # json, xml; None before the body was read
    direction = fields.CharField(max_length=10, null=True)  # push (to a supplier), pull (by one)

    class Meta:
        table = "transfer"
        # The FG console's reads (gateway/console): newest first within one supplier, school
        # or outcome, and per-hour totals read from the index alone (docs/console.md). They
        # also serve every lookup by supplier, school, outcome or time (migration 0012).
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


class SubjectsHeld(Model):
    """The pupils one transfer held, by keyed hash: the subject index an access request is
    answered from. Written with the transfer's pending entry, before anything leaves.

    One row per transfer, not per pupil: ``subjects`` is the packed rows of
    ``gateway.evidence.subjects`` (per pupil identifier its HMAC-SHA256 under a key kept
    outside the database, 16 bytes, and the place in ``fieldsets`` of the field paths sent for
    that pupil), in order of subject. A row per pupil cost a random insert into an index on the
    subject per identifier, 20 to 40 us each once the index outgrew the cache, on the request
    path. A lookup instead searches the packed rows (docs/access-requests.md). Retention
    removes these rows, never the transfer's entry.
    """

    id = fields.BigIntField(primary_key=True)
    transfer_id = fields.UUIDField()  # no index: only the rare purge looks rows up by it
    subjects = fields.BinaryField()
    fieldsets: fields.JSONField[list[str]] = fields.JSONField()

    class Meta:
        table = "subjects_held"


class SubjectFieldset(Model):
    """The field paths sent for a pupil, shared by every row that names the same set."""

    id = fields.CharField(max_length=32, primary_key=True)
    paths: fields.JSONField[list[str]] = fields.JSONField()

    class Meta:
        table = "subject_fieldset"


class LogEntry(Model):
    """One append-only entry of the transfer log, the evidence (docs/evidence.md).

    Never updated: a transfer's outcome is a second entry naming the first. ``body`` is the
    entry's RFC 8785 canonical JSON, ``leaf_hash`` its RFC 9162 leaf hash. Sequence numbers come
    from the database and may have gaps (rolled-back writes).
    """

    seq = fields.BigIntField(primary_key=True)
    transfer_id = fields.UUIDField(db_index=True)
    kind = fields.CharField(max_length=10)  # begin, outcome or refused
    body = fields.BinaryField()
    leaf_hash = fields.BinaryField()
    written_at = fields.DatetimeField()

    class Meta:
        table = "log_entry"


class LogLeaf(Model):
    """The order in which entries were bound into the Merkle tree, appended by the sealer."""

    leaf_index = fields.BigIntField(primary_key=True, generated=False)
    entry_seq = fields.BigIntField(unique=True)

    class Meta:
        table = "log_leaf"


class LogNode(Model):
    """A perfect subtree of the log's Merkle tree: leaves (index << level) up to the next."""

    id = fields.BigIntField(primary_key=True)
    level = fields.IntField()
    index = fields.BigIntField()
    hash = fields.BinaryField()

    class Meta:
        table = "log_node"
        unique_together = (("level", "index"),)


class LogCheckpoint(Model):
    """A signed checkpoint (c2sp.org/tlog-checkpoint) of the first ``size`` leaves."""

    size = fields.BigIntField(primary_key=True, generated=False)
    root_hash = fields.BinaryField()
    note = fields.TextField()
    signed_at = fields.DatetimeField()

    class Meta:
        table = "log_checkpoint"


class LogVerification(Model):
    """The result of one ``poortwachter verify``, for the FG console."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(db_index=True)
    ok = fields.BooleanField()
    entries = fields.BigIntField()
    detail = fields.TextField()

    class Meta:
        table = "log_verification"
