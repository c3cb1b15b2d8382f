"""TEST DOUBLES of the console's sources that other work implements (the agreement register of
record, the evidence log's checkpoints and proofs). They are fine for *page* tests: what is
tested is how the console shows what a source gives, not the source. Each answers exactly as
its protocol in ``gateway/console/sources.py`` says, from fixed data."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from gateway.console.sources import (
    AgreementEntry,
    Checkpoint,
    Export,
    InclusionProof,
    Verification,
)

SIGNED_AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


class SignedUpTo:
    """An Integrity that signed a checkpoint over the first ``size`` log entries (seq 1 to
    ``size``): a proof for those, none after; ``size=0`` has signed nothing yet."""

    def __init__(self, size: int, signed_at: datetime = SIGNED_AT) -> None:
        self.size = size
        self.signed_at = signed_at

    async def latest_checkpoint(self) -> Checkpoint | None:
        if self.size == 0:
            return None
        root = "q1bU0y4bq5rxyLw7bEhQ0GfNhQ1m0VQZ2qzX0b4xk8E="
        return Checkpoint(
            "poortwachter.opron.nl/log",
            self.size,
            root,
            self.signed_at,
            f"poortwachter.opron.nl/log\n{self.size}\n{root}\n\n— poortwachter Az3x...\n",
        )

    async def last_verification(self) -> Verification | None:
        if self.size == 0:
            return None
        return Verification(
            SIGNED_AT + timedelta(minutes=5), True, self.size, "Alle regels kloppen."
        )

    async def inclusion_proof(self, seq: int) -> InclusionProof | None:
        if not 1 <= seq <= self.size:
            return None
        depth = max(1, (self.size - 1).bit_length())
        hashes = tuple(
            base64.b64encode(hashlib.sha256(f"{seq}/{n}".encode()).digest()).decode()
            for n in range(depth)
        )
        return InclusionProof(seq - 1, self.size, hashes)


def agreement(supplier: str, reference: str, **changes: object) -> AgreementEntry:
    """An agreement in force since 2024, with ``changes``."""
    entry = AgreementEntry(
        supplier=supplier,
        supplier_name=supplier.capitalize(),
        reference=reference,
        version="2024.1",
        status="active",
        signed=date(2024, 1, 10),
        valid_from=date(2024, 2, 1),
        valid_until=None,
        schools=("all",),
        purposes=("lesmateriaal",),
        legal_basis="art. 6 lid 1 sub b AVG",
        retention="tot een jaar na uitschrijving",
        sub_processors=(("Hosting BV", "Nederland"),),
        special_categories=(),
        warnings=(),
        source=f"contracts/{supplier}.yaml",
    )
    return replace(entry, **changes)  # type: ignore[arg-type]


class ReviewedRegister:
    """A RegisterSource whose agreements carry review dates relative to ``today``: one overdue
    (with a bijsluiter and a warning), one due in 10 days, one due in a year, one with a
    bijsluiter that is no web address and no review date; and an article-30 export."""

    def agreements(self, today: date) -> list[AgreementEntry]:
        return [
            agreement(
                "malmberg",
                "MALMBERG-2024",
                review_due=today - timedelta(days=12),
                bijsluiter_url="https://www.malmberg.nl/privacy/bijsluiter.pdf",
                warnings=("De subverwerker is sinds de ondertekening veranderd.",),
            ),
            agreement("noordhoff", "NOORDHOFF-2024", review_due=today + timedelta(days=10)),
            agreement("heutink", "HEUTINK-2024", review_due=today + timedelta(days=365)),
            agreement("zwijsen", "ZWIJSEN-2024", bijsluiter_url="javascript:alert(1)"),
        ]

    def article30(self, today: date) -> Export | None:
        return Export("verwerkingsregister.csv", "text/csv; charset=utf-8", b"verwerking\r\nx\r\n")
