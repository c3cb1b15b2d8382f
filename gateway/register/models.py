"""Database models of the register: every agreement version ever in force, and the register's
generations (which versions each reload put in force).

No semicolons in model docstrings: tortoise writes them into the schema as table comments, and
its SQLite schema script splits statements on ``;``.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AgreementText(Model):
    """One agreement version as a gateway loaded it: the contract file's text and its SHA-256.

    Kept after the file changes or is removed, so that any old transfer can be explained.
    """

    id = fields.IntField(primary_key=True)
    sha256 = fields.CharField(max_length=64, unique=True)  # of the file's text (UTF-8)
    supplier = fields.CharField(max_length=63, db_index=True)
    reference = fields.CharField(max_length=200)
    version = fields.CharField(max_length=50)
    source = fields.CharField(max_length=300)  # the file's name when it was loaded
    text = fields.TextField()
    valid_from = fields.CharField(max_length=10)  # as the contract says: its effective period
    valid_until = fields.CharField(max_length=19, null=True)
    first_loaded_at = fields.DatetimeField()
    last_loaded_at = fields.DatetimeField()

    class Meta:
        table = "agreement_text"


class RegisterGeneration(Model):
    """One state of the register: the agreement versions a start-up or a reload put in force.

    Every gateway process polls the highest generation and loads it when it is new to it.
    """

    generation = fields.IntField(primary_key=True)
    created_at = fields.DatetimeField()
    origin = fields.CharField(max_length=100)  # start-up, contracts reload, SIGHUP
    versions: fields.JSONField[list[str]] = fields.JSONField(default=list)  # sha256 of each text
    schools = fields.TextField(null=True)  # config/schools.yaml's text; null: no such file

    class Meta:
        table = "register_generation"
