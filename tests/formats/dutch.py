"""Made-up Dutch school data that holds no personal data of the kinds inspection looks for.

Used to count false positives: names, tussenvoegsels, group names, street names with house
numbers, postcodes, school names, keys, dates and scores, in the shapes a LAS exports them.
Every value is generated from the lists below with a fixed seed, so a count is repeatable.
"""

from __future__ import annotations

import random


def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = _words("""
Sanne Daan Emma Luuk Julia Sem Tess Finn Lotte Bram Noor Jesse Fleur Thijs Anouk Milan Roos
Lars Evi Ruben Noah Liam Lucas Levi Mees Luca Sam Adam Siem Boaz Hugo Gijs Jens Morris Otis
Mila Yara Nora Saar Liv Olivia Nina Lieke Sophie Fenna Maud Jip Lynn Isa Elin Ize Zoë Chloë
Daniël Michaël Noël Anaïs Inès Sofie-Ann Jan-Willem Anne-Fleur Mohammed Mohamed Ahmed Ayoub
Youssef Amir Ibrahim Yassin Rayan Bilal Fatima Aya Yasmina Nour Sara Lina Hiba Salma Malak
Mariam Aisha Emir Eymen Mert Elif Zeynep Ecem Berat Yusuf Kacper Jakub Zofia Oliwia Maja
Nguyen Bao Linh Anh Dewi Ayu Kofi Ama Kwame Tamar Ravi Priya Arjun Kian Dex Xavi Joep Teun
Stijn Pepijn Wouter Koen Roel Femke Marit Jikke Sietske Hylke Wietse Jildou Sjoerd Tjitske
Auke Durk Geertje Hiske Froukje Jelle Klaas Trijntje Grietje Harm Roelof Albertus Hendrik
Johannes Cornelis Wilhelmina Maria Johanna Catharina Elisabeth Jo Bo Ed Ida Ko Ot Ilse
""")

ROEPNAAM_EXTRAS = ["Lotje", "Bas", "Hanneke", "Jopie", "Sjaak", "Mo", "Yas", "Fé", "Lies"]

SURNAMES = [
    *_words("""
Jong Jansen Vries Berg Dijk Bakker Janssen Visser Smit Meijer Boer Mulder Groot Bos Vos
Peters Hendriks Leeuwen Dekker Brouwer Wit Dijkstra Smits Graaf Meer Linden Kok Jacobs Haan
Vermeulen Heuvel Veen Broek Bruijn Bruin Heijden Schouten Beek Willems Vliet Ven Hoekstra Maas
Verhoeven Koster Dam Wal Prins Blom Huisman Peeters Jonge Kuipers Post Kuiper Veenstra Kramer
Brink Scholten Wijk Postma Martens Vink Ruiter Timmermans Groen Gerritsen Jonker Loon Velde
Willemsen Smeets Lange Bosch Dongen Schipper Koning Laan Velden Driessen Doorn Hermans Evers
Meulen Hofman Bosman Wolters Sanders Horst Mol Kuijpers Molenaar Pol Leeuw Verbeek Huizinga
Hoogeveen Wierenga Bouma Zijlstra Hiemstra Jongsma Kloosterman Oosting Drenth Mulderij
Kaya Demir Şahin Öztürk Çelik Arslan Doğan Amrani Idrissi Bouzid Tahiri Ouali
Haddou Ziani Nguyen Tran Pham Kowalski Nowak Wiśniewski Wójcik Kamińska Novák Müller Schmidt
Rossi Ferreira Silva Santos Gonçalves Mensah Owusu Asante Singh Sharma Kumar Suparman Wong
"""),
    *("Y\u0131lmaz", "Ayd\u0131n"),  # with the dotless i of Turkish
]

TUSSENVOEGSELS = [
    "", "", "", "", "van", "de", "van der", "van den", "van de", "ter", "ten", "te", "in 't",
    "van 't", "'t", "d'", "op de", "op den", "uit den", "uit de", "van het", "onder de",
    "le", "la", "von", "el", "al", "ben", "da", "dos", "di",
]  # fmt: skip

GROUP_NAMES = [
    *(f"Groep {n}" for n in range(1, 9)),
    *(f"Groep {n}{c}" for n in range(1, 9) for c in "abcd"),
    *(f"groep {n}{c.upper()}" for n in range(1, 9) for c in "ab"),
    "Groep 1/2", "Groep 1-2", "Groep 1/2a", "Groep 1-2b", "Groep 1/2 C", "Kleutergroep 1/2B",
    "Combinatiegroep 5/6", "Combinatiegroep 7/8", "Combinatiegroep 3-4", "Unit 7-8 B",
    "Unit 5-6 A", "Unit 1-2-3", "Bovenbouw 6/7/8", "Middenbouw 4-5", "Onderbouw 1/2/3",
    "Instroomgroep", "Plusklas", "Schakelklas", "Nieuwkomersgroep", "De Zeesterren",
    "De Dolfijnen", "Groep 3 (juf Anna)", "Groep 8 meester Jan", "Groep 8 2025/2026",
    "groep 7/8 (2025-2026)", "Schakelklas 2025-2026", "OB 1/2 C", "MB 4/5", "BB 7/8",
    "Groep 5a/6b", "Groep 4 t/m 6", "Leerjaar 3", "Klas 2B", "H1A", "V2B", "1T3", "Groep 8 - 1",
    "Groep 1/2 (locatie Wildervank)", "Peuters", "VVE-groep 2", "Taalklas 1",
]  # fmt: skip

GROUP_KEYS = [
    *(f"G-{n}{c}" for n in range(1, 9) for c in "AB"),
    *(f"G{n}{c}" for n in range(1, 9) for c in "AB"),
    "GRP-2025-07",
    "2025-G3A",
    "G-1/2",
    "UNIT-78B",
    "CG-56",
]

STREETS = [
    "Kerkstraat", "Molenweg", "Schoolstraat", "Dorpsstraat", "Julianalaan", "Parklaan",
    "Hoofdstraat", "Stationsweg", "Beatrixlaan", "Wilhelminastraat", "Oude Kerkstraat",
    "Van Heemskerckstraat", "Burg. de Withstraat", "1e Helmersstraat", "2e Oosterparkstraat",
    "Prof. Nolenslaan", "Dr. Ariënsstraat", "Plein 1945", "Laan van 1813", "'t Hoogeland",
    "Veenkoloniaal Museumstraat", "Noorderdiep", "Zuiderdiep", "Boven Westerdiep",
    "Onnemaheerd", "Industrieweg", "Postbus",
]  # fmt: skip

HOUSE_SUFFIXES = ["", "", "", "a", "A", "B", "-2", "-14", " bis", " hs", " III", " rood", "/2"]
TOWNS = [
    "Veendam",
    "Wildervank",
    "Muntendam",
    "Meeden",
    "Zuidbroek",
    "Stadskanaal",
    "Ommelanderwijk",
    "Bareveld",
    "Borgercompagnie",
    "Sappemeer",
    "'s-Hertogenbosch",
    "Den Haag",
    "Ede",
]

SCHOOLS = [
    "Obs Voorbeeld", "Obs De Regenboog", "CBS De Wegwijzer", "OBS 't Schuttersveld",
    "Basisschool De Fontein", "IKC Noorderbreedte", "Daltonschool Veendam", "SBO De Meerpaal",
    "Obs Tiemenschool", "Kindcentrum De Zuiderbreedte", "Obs Oosterhoogebrug",
    "Jenaplanschool 't Kompas", "Montessorischool Op de Kamp", "Obs nr. 3", "School 12",
    "De Ontdekking (locatie 2)", "Obs De Tweemaster", "Brede School Muntendam", "Obs Meeden",
]  # fmt: skip


def full_name(rng: random.Random) -> str:
    return " ".join(
        part
        for part in (rng.choice(FIRST_NAMES), rng.choice(TUSSENVOEGSELS), rng.choice(SURNAMES))
        if part
    )


def house_number(rng: random.Random) -> str:
    return f"{rng.choice([rng.randint(1, 40), rng.randint(1, 250), rng.randint(1, 2500)])}" + (
        rng.choice(HOUSE_SUFFIXES)
    )


def postcode(rng: random.Random) -> str:
    letters = "ABCDEGHJKLMNPRSTVWXZ"
    return f"{rng.randint(1000, 9999)}{rng.choice(['', ' '])}{rng.choice(letters)}" + (
        rng.choice(letters)
    )


def date(rng: random.Random) -> str:
    y, m, d = rng.randint(1975, 2026), rng.randint(1, 12), rng.randint(1, 28)
    hh, mm = rng.randint(0, 23), rng.randint(0, 59)
    return rng.choice(
        [
            f"{y}-{m:02d}-{d:02d}",
            f"{d:02d}-{m:02d}-{y}",
            f"{d}-{m}-{y}",
            f"{d:02d}/{m:02d}/{y}",
            f"{y}-{m:02d}-{d:02d}T{hh:02d}:{mm:02d}:00",
            f"{d:02d}-{m:02d}-{y} {hh:02d}:{mm:02d}",
            f"{y}-{m:02d}-{d:02d} {hh:02d}:{mm:02d}",
            f"{d:02d}-{m:02d}-{y} t/m {d:02d}-{m:02d}-{y + 1}",
            f"{y}-{y + 1}",
            f"{y}/{y + 1}",
        ]
    )


def key(rng: random.Random, number: int) -> str:
    return rng.choice(
        [
            f"LL-{number:06d}",
            f"BP-{number:06d}",
            f"LL{number:06d}",
            f"{number:06d}",
            f"{rng.randint(1000, 9999999)}",
            f"LK-{rng.randint(2015, 2026)}-{number:05d}",
            f"BPS-{rng.randint(1, 9999):04d}",
            f"99XX-{rng.randint(0, 99):02d}",
        ]
    )


def score(rng: random.Random) -> str:
    return rng.choice(
        [
            str(rng.randint(0, 100)),
            f"{rng.randint(0, 100)}/100",
            f"{rng.randint(1, 10)},{rng.randint(0, 9)}",
            f"{rng.randint(100, 600)} (niveau {rng.choice('ABCDE')})",
            f"{rng.randint(10, 99)}-{rng.randint(10, 99)}",
            rng.choice(["I", "II", "III", "IV", "V", "A", "B", "C", "D", "E", "1F", "2F", "1S"]),
        ]
    )


def identifier(rng: random.Random) -> str:
    """Keys of other systems: GUIDs (ESIS and others export them), hashes, timestamps."""
    hexdigits = "0123456789abcdef"
    guid = "-".join("".join(rng.choice(hexdigits) for _ in range(n)) for n in (8, 4, 4, 4, 12))
    return rng.choice(
        [
            guid,
            guid.upper(),
            "".join(rng.choice(hexdigits) for _ in range(64)),
            f"{rng.randint(1_500_000_000, 1_800_000_000)}",
            f"{rng.randint(2015, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}."
            f"{rng.randint(0, 999999):06d}+01:00",
        ]
    )


def corpus(size: int = 1000, seed: int = 2026) -> dict[str, list[str]]:
    """``size`` values per category, by category."""
    rng = random.Random(seed)
    categories = {
        "first name": lambda n: rng.choice(FIRST_NAMES + ROEPNAAM_EXTRAS),
        "full name": lambda n: full_name(rng),
        "tussenvoegsel + surname": lambda n: " ".join(
            p for p in (rng.choice(TUSSENVOEGSELS), rng.choice(SURNAMES)) if p
        ),
        "group name": lambda n: rng.choice(GROUP_NAMES),
        "group key": lambda n: rng.choice(GROUP_KEYS),
        "street and house number": lambda n: f"{rng.choice(STREETS)} {house_number(rng)}",
        "address line": lambda n: (
            f"{rng.choice(STREETS)} {house_number(rng)}, {postcode(rng)} {rng.choice(TOWNS)}"
        ),
        "postcode": lambda n: postcode(rng),
        "school name": lambda n: rng.choice(SCHOOLS),
        "key": lambda n: key(rng, n),
        "date": lambda n: date(rng),
        "score": lambda n: score(rng),
        "identifier": lambda n: identifier(rng),
    }
    return {name: [make(n) for n in range(1, size + 1)] for name, make in categories.items()}
