"""What the register records of an agreement beyond what the gateway enforces: the supplier's
product and contact, the signed document, the model and Privacyconvenant, the review, where the
data is stored and by which sub-processors.

Each fact is either recorded or explicitly not yet recorded (``null`` in the contract file):
``poortwachter check`` names each one still missing, in plain words, without stopping the
gateway. What the gateway enforces (routes, fields, dates, schools) never is optional.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# ISO 3166-1 alpha-2 codes of the EU and the other EEA countries: storage there is not a
# transfer outside the EU under the AVG (chapter V).
EEA = frozenset(
    ("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
     "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO")
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    email: str | None = None
    phone: str | None = None
    role: str | None = None

    def __str__(self) -> str:
        return ", ".join(p for p in (self.name, self.role, self.email, self.phone) if p)


@dataclass(frozen=True, slots=True)
class Signatory:
    name: str
    role: str


@dataclass(frozen=True, slots=True)
class Review:
    status: str  # e.g. "SIVON check passed"
    next_review: date
    by: str | None = None
    reviewed: date | None = None


@dataclass(frozen=True, slots=True)
class Storage:
    eu: bool
    countries: tuple[str, ...]

    @property
    def outside_eu(self) -> tuple[str, ...]:
        return tuple(c for c in self.countries if c not in EEA)


@dataclass(frozen=True, slots=True)
class SubProcessor:
    name: str
    country: str
    purpose: str
    location: str | None = None

    @property
    def outside_eu(self) -> bool:
        return self.country not in EEA

    def __str__(self) -> str:
        return f"{self.name} ({self.country}): {self.purpose}"


@dataclass(frozen=True, slots=True)
class RegisterDetails:
    """The register's facts about one agreement version; None where not yet recorded."""

    product: str | None = None
    contact: Contact | None = None
    bijsluiter_url: str | None = None
    model_version: str | None = None  # "3.0" or "4.0"
    privacyconvenant: str | None = None  # "joined" or "not-joined"
    signed_by: Signatory | None = None
    document_sha256: str | None = None
    document_file: str | None = None  # the signed document beside the contract, if hashed from it
    security_annex: str | None = None
    review: Review | None = None
    storage: Storage | None = None
    sub_processors_recorded: bool = True  # false: the file says null, not yet known

    def missing(self) -> list[tuple[tuple[str, ...], str]]:
        """Each fact not yet recorded: where in the contract file, and what it is, plainly."""
        found: list[tuple[tuple[str, ...], str]] = []
        for value, where, what in (
            (self.product, ["supplier", "product"], "the supplier's product or service"),
            (self.contact, ["supplier", "contact"], "who at the supplier answers for it"),
            (
                self.bijsluiter_url,
                ["supplier", "bijsluiter_url"],
                "the address of the supplier's privacy bijsluiter",
            ),
            (
                self.model_version,
                ["agreement", "model_version"],
                "which Model Verwerkersovereenkomst it follows (3.0 or 4.0)",
            ),
            (
                self.privacyconvenant,
                ["agreement", "privacyconvenant"],
                "whether the supplier joined the Privacyconvenant (joined or not-joined)",
            ),
            (self.signed_by, ["agreement", "signed_by"], "who signed it for the school group"),
            (
                self.document_sha256,
                ["agreement", "document_sha256"],
                "the SHA-256 of the signed document (or the document beside the contract)",
            ),
            (
                self.security_annex,
                ["agreement", "security_annex"],
                "where its security annex (beveiligingsbijlage) is",
            ),
            (
                self.review,
                ["agreement", "review"],
                "its review (e.g. a SIVON check) and when it is next due",
            ),
            (self.storage, ["storage"], "where the supplier stores the data (EU or not, country)"),
        ):
            if value is None:
                found.append((tuple(where), f"not yet recorded: {what}"))
        if not self.sub_processors_recorded:
            found.append((("sub_processors",), "not yet recorded: the supplier's sub-processors"))
        return found
