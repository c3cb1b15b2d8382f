"""What the console shows beyond the transfer log, each behind a small interface of its own.

The register, the subject index (which transfers held a pupil) and the log's integrity
(checkpoints, proofs) are each a ``Protocol`` here that a page calls. The register is
``gateway.register.console_view.RegisterView``; the gateway keeps no subject index and signs
no checkpoints yet, and those pages say so in plain Dutch (``None`` below) until a source is
connected in ``gateway/app.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Protocol

import yaml

from gateway.console.dutch import AGREEMENT_STATUS

EXPIRY_WARNING = timedelta(days=60)  # an agreement ending this soon is on the Overzicht
REVIEW_WARNING = timedelta(days=30)  # and one whose review falls due this soon


# The register ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementEntry:
    """One agreement version as the Register page shows it."""

    supplier: str
    supplier_name: str
    reference: str
    version: str
    status: str  # an agreements.Status value
    signed: date
    valid_from: date
    valid_until: date | None
    schools: tuple[str, ...]
    purposes: tuple[str, ...]
    legal_basis: str
    retention: str
    sub_processors: tuple[tuple[str, str], ...]
    special_categories: tuple[tuple[str, str], ...]  # (field path, category)
    warnings: tuple[str, ...]  # in Dutch
    source: str
    review_due: date | None = None  # when the FG should look at it again, if the register says
    bijsluiter_url: str | None = None  # the supplier's privacy bijsluiter, if the register has it
    unrecorded: tuple[str, ...] = ()  # the register's facts not yet recorded, in Dutch

    @property
    def anchor(self) -> str:
        """The id of its row on the Register page (letters, digits and dashes)."""
        return "overeenkomst-" + re.sub(r"[^A-Za-z0-9]+", "-", f"{self.reference}-{self.version}")

    @property
    def status_label(self) -> str:
        return AGREEMENT_STATUS.get(self.status, self.status)

    @property
    def bijsluiter_link(self) -> str | None:
        """The bijsluiter's address if it is a web address (never a ``javascript:`` one)."""
        url = self.bijsluiter_url
        return url if url and re.match(r"https?://[^\s]+\Z", url, re.IGNORECASE) else None

    def review(self, today: date) -> str | None:
        """``overdue`` (the review date has passed), ``due`` (today or within REVIEW_WARNING),
        or None (later, or the register keeps no date)."""
        if self.review_due is None:
            return None
        if self.review_due < today:
            return "overdue"
        return "due" if self.review_due - today <= REVIEW_WARNING else None

    def needs_attention(self, today: date) -> bool:
        """Expired, ending within EXPIRY_WARNING, or its review due or overdue."""
        ending = (
            self.status == "active"
            and self.valid_until is not None
            and self.valid_until - today <= EXPIRY_WARNING
        )
        return self.status == "expired" or ending or self.review(today) is not None


@dataclass(frozen=True)
class Export:
    """A download: its file name, media type and bytes."""

    filename: str
    media_type: str
    body: bytes


class RegisterSource(Protocol):
    def agreements(self, today: date) -> list[AgreementEntry]:
        """Every agreement version, by supplier and then newest first."""
        ...

    def article30(self, today: date) -> Export | None:
        """The register of processing activities (AVG article 30), or None if not kept."""
        ...


# Access requests ------------------------------------------------------------------------

_ECK_ID = re.compile(r"https://ketenid\.nl/[0-9]{6}/[0-9a-f]{128}")
_LEERLINGKEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


@dataclass(frozen=True)
class Pupil:
    """Whom an access request is about: a leerlingkey or an ECK iD."""

    kind: str  # "leerlingkey" or "eckid"
    value: str = field(repr=False)  # never in a log line or a traceback's locals repr

    @classmethod
    def parse(cls, text: str) -> Pupil | None:
        text = text.strip()
        if _ECK_ID.fullmatch(text.lower()):
            return cls("eckid", text.lower())
        if _LEERLINGKEY.fullmatch(text) and not text.lower().startswith("http"):
            return cls("leerlingkey", text)
        return None


@dataclass(frozen=True)
class SubjectTransfer:
    """A transfer that held the pupil: what went where, when, under which agreement."""

    transfer_id: str
    started_at: datetime
    supplier: str
    school: str | None
    fields: tuple[str, ...]
    agreement_reference: str | None
    agreement_version: str | None


class SubjectIndex(Protocol):
    async def transfers_for(self, pupil: Pupil) -> list[SubjectTransfer]:
        """Every transfer that included ``pupil``, oldest first."""
        ...


# Integrity ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: str  # base64, as the checkpoint writes it
    signed_at: datetime
    text: str  # the signed note, for the FG to keep or hand to an auditor


@dataclass(frozen=True)
class Verification:
    at: datetime
    ok: bool
    entries: int
    detail: str  # in Dutch


@dataclass(frozen=True)
class InclusionProof:
    leaf_index: int
    tree_size: int
    hashes: tuple[str, ...]  # base64, from the leaf up


class Integrity(Protocol):
    async def latest_checkpoint(self) -> Checkpoint | None: ...

    async def last_verification(self) -> Verification | None: ...

    async def inclusion_proof(self, seq: int) -> InclusionProof | None: ...


# The school group ------------------------------------------------------------------------


@dataclass(frozen=True)
class Organisation:
    """The school group's details for letters to parents (``config/organisation.yaml``)."""

    name: str
    address: tuple[str, ...] = ()
    email: str | None = None
    phone: str | None = None
    fg_name: str | None = None


class OrganisationError(ValueError):
    """``config/organisation.yaml`` exists but cannot be used; the message says why."""


def load_organisation(path: Path) -> Organisation | None:
    """The school group's details, or None when the file does not exist."""
    if not path.is_file():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise OrganisationError(f"{path}: cannot be read ({type(error).__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise OrganisationError(f"{path}: needs at least name: <the school group's name>")
    address = data.get("address", [])
    strings = (data.get("email"), data.get("phone"), data.get("fg_name"))
    if not (isinstance(address, list) and all(isinstance(a, str) for a in address)) or not all(
        s is None or isinstance(s, str) for s in strings
    ):
        raise OrganisationError(f"{path}: address is a list of lines, the rest are text")
    unknown = sorted(set(data) - {"name", "address", "email", "phone", "fg_name"})
    if unknown:
        raise OrganisationError(f"{path}: unknown key {unknown[0]!r}")
    return Organisation(data["name"], tuple(address), *strings)


@dataclass(frozen=True)
class Sources:
    """Everything the console reads besides the transfer log."""

    register: RegisterSource
    subjects: SubjectIndex | None = None
    integrity: Integrity | None = None
    organisation: Organisation | None = None
    special_paths: dict[str, str] = field(default_factory=dict)  # field path -> category
