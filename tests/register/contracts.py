"""Contract texts for the register's tests: the shipped Basispoort contract with every register
fact recorded, changed as a test needs."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
SHIPPED = yaml.safe_load((ROOT / "contracts" / "basispoort.yaml").read_text(encoding="utf-8"))

_NULL = object()

RECORDED: dict[str, Any] = {
    "supplier": {
        "product": "Basispoort",
        "contact": {"name": "Privacy officer", "email": "privacy@example.org"},
        "bijsluiter_url": "https://example.org/privacybijsluiter",
    },
    "agreement": {
        "model_version": "4.0",
        "privacyconvenant": "joined",
        "signed_by": {"name": "A. Bestuurder", "role": "voorzitter college van bestuur"},
        "document_sha256": "ab" * 32,
        "security_annex": "Bijlage 2, beveiligingsbijlage v1",
        "review": {"status": "SIVON check passed", "next_review": "2027-06-30"},
    },
    "storage": {"eu": True, "countries": ["NL"]},
    "sub_processors": [{"name": "Hosting B.V.", "country": "NL", "purpose": "hosting"}],
}


def text(nulls: tuple[str, ...] = (), **changes: Any) -> str:
    """The shipped contract with every register fact recorded, and ``changes`` on top: a key of
    ``agreement`` or ``supplier`` goes there (``None`` removes it), any other key at the top;
    the keys in ``nulls`` are null (not yet recorded)."""
    data = copy.deepcopy(SHIPPED)
    for part in ("supplier", "agreement"):
        data[part].update(RECORDED[part])
    data["storage"] = RECORDED["storage"]
    data["sub_processors"] = RECORDED["sub_processors"]
    changes.update(dict.fromkeys(nulls, _NULL))
    for key, value in changes.items():
        part = next((p for p in ("agreement", "supplier") if key in data[p]), None)
        if key in ("draft", "lifecycle", "valid_until"):
            part = "agreement"
        target = data[part] if part else data
        if value is None and key in target:
            del target[key]
        elif value is _NULL:
            target[key] = None
        else:
            target[key] = value
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
