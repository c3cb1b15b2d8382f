"""The register of processing activities (AVG article 30) of the agreements: CSV and JSON.

One row per agreement version and purpose: the data categories, recipients and
sub-processors, transfers outside the EU, retention. The CSV is UTF-8 with a byte-order mark
and a header row, so that Excel and LibreOffice open it with its accents intact.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from typing import Any

import msgspec

from gateway.register.agreements import Agreement

COLUMNS = (
    "supplier",
    "supplier_name",
    "product",
    "agreement_reference",
    "agreement_version",
    "agreement_sha256",
    "status",
    "purpose",
    "legal_basis",
    "data_subjects",
    "data_categories",
    "special_categories",
    "recipients",
    "sub_processors",
    "storage",
    "transfers_outside_eu",
    "retention",
    "security_measures",
    "schools",
    "signed",
    "valid_from",
    "valid_until",
)

# Who the data is about, by the payload format a route carries.
SUBJECTS = {"las-sync": "pupils (leerlingen) of the schools in scope, and their groups"}


def rows(agreements: Iterable[Agreement], today: date) -> list[dict[str, Any]]:
    found = []
    for agreement in sorted(agreements, key=lambda a: (a.supplier, a.valid_from, a.version)):
        details = agreement.details
        fields = sorted({path for r in agreement.routes for path in r.policy.allowed})
        storage = details.storage
        processors = (
            "; ".join(str(p) for p in agreement.processors)
            if details.sub_processors_recorded
            else "not yet recorded"
        )
        outside = agreement.outside_eu
        if storage is None and not details.sub_processors_recorded:
            transfers = "not yet recorded"
        elif outside or (storage is not None and not storage.eu):
            transfers = "yes: " + (", ".join(outside) or "outside the EU/EEA")
        else:
            transfers = "none recorded"
        for purpose in agreement.purposes:
            found.append(
                {
                    "supplier": agreement.supplier,
                    "supplier_name": agreement.supplier_name,
                    "product": details.product or "",
                    "agreement_reference": agreement.reference,
                    "agreement_version": agreement.version,
                    "agreement_sha256": agreement.sha256,
                    "status": str(agreement.status_on(today)),
                    "purpose": purpose,
                    "legal_basis": agreement.legal_basis,
                    "data_subjects": "; ".join(
                        sorted({SUBJECTS.get(r.payload, r.payload) for r in agreement.routes})
                    ),
                    "data_categories": "; ".join(fields),
                    "special_categories": "; ".join(
                        f"{s.field} ({s.category}): {s.legal_basis}"
                        for s in agreement.special_categories
                    ),
                    "recipients": agreement.supplier_name,
                    "sub_processors": processors,
                    "storage": "not yet recorded"
                    if storage is None
                    else ("EU/EEA" if storage.eu else "not only EU/EEA")
                    + ": "
                    + ", ".join(storage.countries),
                    "transfers_outside_eu": transfers,
                    "retention": agreement.retention,
                    "security_measures": details.security_annex or "not yet recorded",
                    "schools": ", ".join(agreement.schools.as_list()),
                    "signed": agreement.signed.isoformat(),
                    "valid_from": agreement.valid_from.isoformat(),
                    "valid_until": agreement.valid_until.isoformat()
                    if agreement.valid_until
                    else "",
                }
            )
    return found


def to_csv(found: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in found:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: one starting with = + - @ would be a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_json(found: list[dict[str, Any]]) -> bytes:
    return msgspec.json.format(msgspec.json.encode({"activities": found}), indent=2) + b"\n"
