"""What the FG should look at in the register: pure functions of an agreement and the date.

Each warning has a code (for scripts and tests), the API's English and the console's Dutch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gateway.register.agreements import Agreement, Status

EXPIRY_NOTICES = (30, 90)  # days before valid_until: the nearest one that applies is given


@dataclass(frozen=True, slots=True)
class Warning:
    code: str
    detail: str  # English, for the API
    dutch: str  # for the FG console


def of_agreement(agreement: Agreement, today: date) -> list[Warning]:
    """The warnings of one agreement version as it stands ``today``."""
    found: list[Warning] = []
    status = agreement.status_on(today)
    until = agreement.valid_until
    if status is Status.ACTIVE and until is not None:
        left = (until - today).days
        for days in EXPIRY_NOTICES:
            if left <= days:
                found.append(
                    Warning(
                        f"expires-within-{days}-days",
                        f"expires in {left} day(s), on {until}",
                        f"Loopt af over {left} dagen, op {until}.",
                    )
                )
                break
    review = agreement.details.review
    if review is not None and review.next_review < today and status is Status.ACTIVE:
        found.append(
            Warning(
                "review-overdue",
                f"review was due on {review.next_review}",
                f"Beoordeling was op {review.next_review} aan de beurt.",
            )
        )
    special = sorted({f"{s.field} ({s.category})" for s in agreement.special_categories})
    if special:
        found.append(
            Warning(
                "special-categories",
                "allows special-category data: " + ", ".join(special),
                "Staat bijzondere persoonsgegevens toe: " + ", ".join(special) + ".",
            )
        )
    outside = agreement.outside_eu
    storage = agreement.details.storage
    if outside or (storage is not None and not storage.eu):
        where = ", ".join(outside) or "outside the EU"
        found.append(
            Warning(
                "outside-eu",
                f"data is stored or processed outside the EU/EEA: {where}",
                f"Gegevens worden buiten de EU/EER opgeslagen of verwerkt: {where}.",
            )
        )
    lifecycle = agreement.lifecycle
    if status is Status.TERMINATED and lifecycle is not None and not lifecycle.deletion_confirmed:
        found.append(
            Warning(
                "deletion-not-confirmed",
                f"terminated since {lifecycle.since}; the supplier has not confirmed deletion",
                f"Beëindigd sinds {lifecycle.since}; de leverancier heeft de verwijdering "
                "nog niet bevestigd.",
            )
        )
    if status is Status.DRAFT:
        found.append(Warning("draft", "a draft: lets nothing through", "Concept: laat niets door."))
    missing = agreement.details.missing()
    if missing:
        found.append(
            Warning(
                "not-recorded",
                f"{len(missing)} register fact(s) not yet recorded (poortwachter check lists them)",
                f"{len(missing)} gegeven(s) van het register nog niet vastgelegd.",
            )
        )
    return found


def blocked_without_agreement(count: int, last: str | None) -> Warning:
    """Transfers to a supplier refused because no agreement was in force (from the log)."""
    return Warning(
        "traffic-without-agreement",
        f"{count} transfer(s) attempted while no agreement was in force (last at {last})",
        f"{count} doorgifte(n) geprobeerd terwijl er geen overeenkomst van kracht was.",
    )
