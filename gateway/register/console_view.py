"""The register as the FG console shows it: ``RegisterSource`` over the register in force.

It reads the gateway's register at each call, so a reload shows at the next page view.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from gateway.console.sources import AgreementEntry, Export
from gateway.register import article30, warnings
from gateway.register.register import AgreementRegister

# The register's facts by where they are in a contract file, as the console names them.
UNRECORDED = {
    "supplier.product": "product",
    "supplier.contact": "contactpersoon bij de leverancier",
    "supplier.bijsluiter_url": "privacybijsluiter",
    "agreement.model_version": "versie van de modelovereenkomst",
    "agreement.privacyconvenant": "deelname aan het Privacyconvenant",
    "agreement.signed_by": "wie tekende",
    "agreement.document_sha256": "vingerafdruk van het getekende document",
    "agreement.security_annex": "beveiligingsbijlage",
    "agreement.review": "beoordeling en volgende beoordelingsdatum",
    "storage": "waar de gegevens staan",
    "sub_processors": "subverwerkers",
}


class RegisterView:
    """The agreement register of record: review dates, bijsluiters, warnings, article 30."""

    def __init__(self, register: Callable[[], AgreementRegister]) -> None:
        self._register = register

    def agreements(self, today: date) -> list[AgreementEntry]:
        found = []
        for agreement in self._register().all():
            review = agreement.details.review
            found.append(
                AgreementEntry(
                    supplier=agreement.supplier,
                    supplier_name=agreement.supplier_name,
                    reference=agreement.reference,
                    version=agreement.version,
                    status=str(agreement.status_on(today)),
                    signed=agreement.signed,
                    valid_from=agreement.valid_from,
                    valid_until=agreement.valid_until,
                    schools=tuple(agreement.schools.as_list()),
                    purposes=agreement.purposes,
                    legal_basis=agreement.legal_basis,
                    retention=agreement.retention,
                    sub_processors=agreement.sub_processors,
                    special_categories=tuple(
                        sorted({(s.field, s.category) for s in agreement.special_categories})
                    ),
                    warnings=tuple(w.dutch for w in warnings.of_agreement(agreement, today)),
                    source=agreement.source,
                    review_due=review.next_review if review is not None else None,
                    bijsluiter_url=agreement.details.bijsluiter_url,
                    unrecorded=tuple(
                        UNRECORDED.get(".".join(where), ".".join(where))
                        for where, _ in agreement.details.missing()
                    ),
                )
            )
        found.sort(key=lambda e: (e.supplier, -e.valid_from.toordinal()))
        return found

    def article30(self, today: date) -> Export | None:
        rows = article30.rows(self._register().all(), today)
        return Export(
            f"verwerkingsregister-{today.isoformat()}.csv",
            "text/csv; charset=utf-8",
            article30.to_csv(rows),
        )
