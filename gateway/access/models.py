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


class User(Model):
    """A person who signs in to the FG console. Only an argon2id hash of the password is kept."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)  # the sign-in name, case-folded
    role = fields.CharField(max_length=10)  # "fg" or "admin"
    password_hash = fields.CharField(max_length=200)
    created_at = fields.DatetimeField(auto_now_add=True)
    disabled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "console_user"


class LoginEvent(Model):
    """A sign-in, a refused sign-in, a sign-out or an expired session on the FG console.

    A refused sign-in for a name no account has keeps no name: what was typed may be a password.
    """

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(db_index=True)
    user_id = fields.IntField(null=True, db_index=True)
    event = fields.CharField(max_length=20)  # login, login_failed, login_throttled, logout, ...
    address = fields.CharField(max_length=45, null=True)  # the browser's IP address

    class Meta:
        table = "console_login"


class LoginThrottle(Model):
    """Refused sign-ins in a row for one name or one address, and until when the next waits.

    The key is a SHA-256 of the case-folded name or of the address, whether or not an account
    has that name, so that the waiting says nothing about which names exist.
    """

    key = fields.CharField(max_length=64, primary_key=True)
    failures = fields.IntField(default=0)
    last_failed_at = fields.DatetimeField()
    locked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "console_throttle"
