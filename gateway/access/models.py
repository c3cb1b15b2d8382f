"""Database model of access: API keys.

No semicolons in model docstrings: tortoise writes them into the schema as table comments, and
its SQLite schema script splits statements on ``;``.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ApiKey(Model):
    """A key for one source system (a LAS) or for the FG. Only the SHA-256 of the key is kept."""

    id = fields.IntField(primary_key=True)
    client = fields.CharField(max_length=100)
    role = fields.CharField(max_length=10)  # "source" or "fg"
    schools: fields.JSONField[list[str]] = fields.JSONField(
        default=list
    )  # school codes a source key may act for
    key_hash = fields.CharField(max_length=64, unique=True)
    prefix = fields.CharField(max_length=12)  # shown in listings to tell keys apart
    # SHA-256 of the client certificate this key must arrive with (mutual TLS), if bound.
    certificate_sha256 = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_key"
