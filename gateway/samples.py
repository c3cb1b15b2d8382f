"""Realistic sample syncs in the reference shape, with every field DOMAIN.md names.

All people are made up; the school is the clearly fake ``99XX``. Used by ``poortwachter demo``,
the tests and the benchmark, so all three push the same kind of payload.
"""

from __future__ import annotations

import random
from typing import Any

_FIRST = [
    "Sanne",
    "Daan",
    "Emma",
    "Luuk",
    "Julia",
    "Sem",
    "Tess",
    "Finn",
    "Lotte",
    "Bram",
    "Noor",
    "Jesse",
    "Fleur",
    "Thijs",
    "Anouk",
    "Milan",
    "Roos",
    "Lars",
    "Evi",
    "Ruben",
]
_LAST = [
    ("", "Berg"),
    ("van der", "Veen"),
    ("", "Bakker"),
    ("de", "Vries"),
    ("", "Smit"),
    ("van", "Dijk"),
    ("", "Mulder"),
    ("de", "Boer"),
    ("", "Huizinga"),
    ("", "Kuipers"),
    ("van", "Dam"),
    ("", "Hoekstra"),
    ("ter", "Horst"),
    ("", "Dijkstra"),
]
_TOWNS = ["Veendam", "Wildervank", "Muntendam", "Meeden", "Zuidbroek", "Stadskanaal"]
_STREETS = ["Kerkstraat", "Molenweg", "Schoolstraat", "Dorpsstraat", "Julianalaan", "Parklaan"]
_GROUPS = [(f"G-{j}{c}", f"Groep {j}{c}", j) for j in range(1, 9) for c in "ab"]


def _date(rng: random.Random, year: int) -> str:
    return f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _address(rng: random.Random) -> dict[str, Any]:
    return {
        "straat": rng.choice(_STREETS),
        "huisnummer": str(rng.randint(1, 180)),
        "toevoeging": rng.choice(["", "", "A", "B"]),
        "postcode": f"96{rng.randint(40, 99)} {rng.choice('ABCDEFGHJK')}{rng.choice('ABCDEFGHJK')}",
        "woonplaats": rng.choice(_TOWNS),
        "land": "NL",
    }


def pupil(rng: random.Random, number: int) -> dict[str, Any]:
    groepskey, groepsnaam, jaargroep = rng.choice(_GROUPS)
    tussenvoegsel, achternaam = rng.choice(_LAST)
    voornaam = rng.choice(_FIRST)
    born = 2022 - jaargroep  # groep 1 at about four
    parent_last = rng.choice(_LAST)
    return {
        "leerlingkey": f"LL-{number:06d}",
        "basispoort_id": f"BP-{number:06d}",
        "eckid": "https://ketenid.nl/201703/"
        + "".join(rng.choice("0123456789abcdef") for _ in range(128)),
        "voornaam": voornaam,
        "roepnaam": voornaam,
        "tussenvoegsel": tussenvoegsel,
        "achternaam": achternaam,
        "geslacht": rng.choice("MVX" if number % 50 == 0 else "MV"),
        "geboortedatum": _date(rng, born),
        "geboorteplaats": rng.choice(_TOWNS),
        "adres": _address(rng),
        "telefoonnummer": f"0599-{rng.randint(100000, 999999)}",
        "email": f"ouder{number}@example.invalid",
        "groepskey": groepskey,
        "groepsnaam": groepsnaam,
        "jaargroep": jaargroep,
        "leerresultaten": [
            {
                "toets": "Rekenen M",
                "datum": "2026-01-20",
                "score": rng.randint(10, 90),
                "niveau": rng.choice("ABCDE"),
            },
            {
                "toets": "Spelling M",
                "datum": "2026-01-22",
                "score": rng.randint(10, 90),
                "niveau": rng.choice("ABCDE"),
            },
        ],
        "absentie": [{"datum": "2026-10-01", "reden": rng.choice(["ziek", "tandarts", "verlof"])}],
        "foto_url": f"https://school.example.invalid/fotos/{number}.jpg",
        "bsn": f"{rng.randint(100000000, 999999999)}",
        "nationaliteit": "NL",
        "tweede_nationaliteit": rng.choice([None, None, "DE", "SY", "PL"]),
        "land_van_herkomst": rng.choice(["NL", "NL", "NL", "SY", "PL"]),
        "zorgverzekering": {
            "maatschappij": rng.choice(["Menzis", "Zilveren Kruis", "CZ"]),
            "polisnummer": str(rng.randint(10000000, 99999999)),
        },
        "godsdienst": rng.choice(["geen", "protestants", "katholiek", "islamitisch"]),
        "medisch": {
            "dyslexie": rng.random() < 0.1,
            "adhd": rng.random() < 0.05,
            "notitie": rng.choice(["", "", "allergie: pinda's", "bril"]),
        },
        "toestemmingen": {"foto_video": rng.random() < 0.8, "klassenlijst": rng.random() < 0.6},
        "notities": rng.choice(["", "gesprek met ouders gepland", "extra begeleiding lezen"]),
        "ouders": [
            {
                "voornaam": rng.choice(["Anna", "Peter", "Maria", "Jan", "Fatima", "Piotr"]),
                "achternaam": parent_last[1],
                "geslacht": rng.choice("MV"),
                "geboortedatum": _date(rng, 1985),
                "geboorteland": rng.choice(["Nederland", "Nederland", "Syrië", "Polen"]),
                "burgerlijke_staat": rng.choice(["gehuwd", "ongehuwd", "gescheiden"]),
                "beroep": rng.choice(["verpleegkundige", "monteur", "docent", "boer"]),
                "opleidingsniveau": rng.choice(["mbo", "hbo", "vmbo", "wo"]),
                "adres": _address(rng),
                "telefoonnummer": f"06-{rng.randint(10000000, 99999999)}",
                "email": f"ouder{number}@example.invalid",
                "iban": f"NL{rng.randint(10, 99)}BANK0{rng.randint(100000000, 999999999)}",
            }
        ],
    }


def sync(pupils: int, *, seed: int = 2026, brin: str = "99XX") -> dict[str, Any]:
    """A LAS sync of ``pupils`` pupils for school ``brin``."""
    rng = random.Random(seed)  # noqa: S311 - made-up people, not secrets
    return {
        "school": {
            "brin": brin,
            "dependance": "00",
            "naam": "Obs Voorbeeld",
            "plaats": "Veendam",
            "basispoort_id": "BPS-0001",
        },
        "groepen": [{"groepskey": k, "naam": n, "jaargroep": j} for k, n, j in _GROUPS],
        "leerlingen": [pupil(rng, number) for number in range(1, pupils + 1)],
    }
