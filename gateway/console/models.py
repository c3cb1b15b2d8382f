"""Database models of the FG console: sessions, review marks, and the field paths seen so far.

No semicolons in model docstrings: tortoise writes them into the schema as table comments, and
its SQLite schema script splits statements on ``;``.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ConsoleSession(Model):
    """A signed-in browser. The cookie holds a random token, this row only its SHA-256."""

    token_hash = fields.CharField(max_length=64, primary_key=True)
    user_id = fields.IntField(db_index=True)
    created_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True)
    address = fields.CharField(max_length=45, null=True)

    class Meta:
        table = "console_session"


class ReviewMark(Model):
    """An item of the review queue the FG has looked at: who, when, and the FG's note.

    ``kind`` and ``subject`` name the item (a transfer's id, a supplier and field path, a
    supplier and day), ``transfer_seq`` the transfer it is about, if any.
    """

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=20)
    subject = fields.CharField(max_length=400)
    transfer_seq = fields.BigIntField(null=True, db_index=True)
    note = fields.TextField()
    user_id = fields.IntField()
    user_name = fields.CharField(max_length=100)  # as the account was named when it marked
    reviewed_at = fields.DatetimeField()

    class Meta:
        table = "review_mark"
        unique_together = (("kind", "subject"),)


class FieldPathSeen(Model):
    """The first transfer to a supplier that forwarded or stripped a field path."""

    id = fields.IntField(primary_key=True)
    supplier = fields.CharField(max_length=63)
    role = fields.CharField(max_length=20)  # "forwarded" or "stripped"
    path = fields.CharField(max_length=300)
    first_seq = fields.BigIntField()
    first_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "field_path_seen"
        unique_together = (("supplier", "role", "path"),)


class FlaggedTransfer(Model):
    """A transfer the review queue or the Overzicht counts, with why: one small row per
    transfer that was blocked, had special-category fields stripped, or had values found
    invalid or holding identifiers."""

    seq = fields.BigIntField(primary_key=True, generated=False)  # the transfer's seq
    started_at = fields.DatetimeField(db_index=True)
    supplier = fields.CharField(max_length=63, null=True)
    blocked = fields.BooleanField(default=False)
    special = fields.BooleanField(default=False)
    inspected = fields.BooleanField(default=False)
    invalid = fields.BooleanField(default=False)

    class Meta:
        table = "flagged_transfer"


class ScanMark(Model):
    """How far a console scan of the transfer log has read (the last ``seq`` it took in)."""

    name = fields.CharField(max_length=50, primary_key=True)
    seq = fields.BigIntField()
    window = fields.IntField(default=0)  # entries in the RESCAN below seq when it was read

    class Meta:
        table = "console_scan"
