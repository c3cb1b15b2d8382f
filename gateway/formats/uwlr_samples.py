"""Realistic UWLR 2.2 leerlinggegevens messages and EDEXML 2.1 exports, all people made up.

``response(n)`` is a HaalLeerlinggegevens SOAP response as an LAS answers it with every EDEXML
field filled in (what a profile must strip), shaped after Edustandaard's example export
``EDEXML.Voorbeeld.2.1.xml``; ``request()`` the supplier's question. The school is the clearly
fake ``99XX``; the ECK iDs have the real form but are random. Options make the kinds of response
seen in the field: elements out of schema order, empty elements, vendor ``toevoegingen`` blocks.
Used by the tests and bench/xmlfilter.py, so both work on the same kind of message.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from lxml import etree

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
LEERLINGGEGEVENS = "http://www.edustandaard.nl/leerresultaten/2/leerlinggegevens"
AUTORISATIE = "http://www.edustandaard.nl/leerresultaten/2/autorisatie"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

# The last school year EDEXML.types.variabel.xsd enumerates; later ones do not validate.
SCHOOLJAAR = "2024-2025"

_FIRST = ["Sanne", "Daan", "Emma", "Luuk", "Julia", "Sem", "Tess", "Finn", "Lotte", "Bram"]
_LAST = [
    ("", "Berg"),
    ("van der", "Veen"),
    ("", "Bakker"),
    ("de", "Vries"),
    ("van", "Dijk"),
    ("ter", "Horst"),
    ("", "Huizinga"),
]
_JAARGROEPEN = ["1", "2", "3", "4", "5", "6", "7", "8"]
_LANDEN = ["NL", "NL", "NL", "MA", "TR", "BE", "DE"]


def _bsn(rng: random.Random) -> str:
    """Nine digits passing the eleven test, like a BSN; random, so nobody's."""
    while True:
        digits = [rng.randrange(10) for _ in range(8)]
        total = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True))
        last = total % 11
        if last < 10 and digits[0] != 0:
            return "".join(map(str, digits)) + str(last)


def _eckid(rng: random.Random) -> str:
    return "https://ketenid.nl/201703/" + "".join(
        rng.choice("0123456789abcdef") for _ in range(128)
    )


def _sub(
    parent: etree._Element, name: str, text: str | None = None, **attributes: str
) -> etree._Element:
    """A child in its parent's namespace (or none, in EDEXML)."""
    namespace = etree.QName(parent).namespace
    element = etree.SubElement(parent, f"{{{namespace}}}{name}" if namespace else name, attributes)
    if text is not None:
        element.text = text
    return element


def _block(parent: etree._Element, code: str, remark: str) -> None:
    """A vendor block as EDEXML's manual shows it: ``xsi:type`` names its extension type."""
    toevoegingen = _sub(parent, "toevoegingen")
    blok = _sub(toevoegingen, "blok")
    blok.set(f"{{{XSI}}}type", "OpmerkingGegevensType")
    _sub(blok, "code", code)
    _sub(blok, "opmerking", remark)


@dataclass(frozen=True, slots=True)
class Variant:
    """How an LAS fills in its answer.

    ``number`` is the one identification number each pupil carries (``bsn``, ``bsn_ondwnr-4``,
    ``onderwijsnummer``...); ``shuffled`` puts each pupil's children in random order; ``empty``
    leaves every pupil's ``voornamen`` and ``emailadres`` empty; ``toevoegingen`` adds a vendor
    block to the school, each group, pupil and teacher.
    """

    seed: int = 20250101
    number: str = "bsn"
    toevoegingen: bool = False
    shuffled: bool = False
    empty: bool = False


def leerlinggegevens(
    pupils: int, variant: Variant = Variant(), *, namespace: str | None = LEERLINGGEGEVENS
) -> etree._Element:
    """The ``leerlinggegevens`` element (``EDEX`` when ``namespace`` is None) for ``pupils``."""
    rng = random.Random(variant.seed)  # noqa: S311 - made-up people, reproducible on purpose
    number, toevoegingen, shuffled, empty = (
        variant.number,
        variant.toevoegingen,
        variant.shuffled,
        variant.empty,
    )
    if namespace is None:
        root = etree.Element("EDEX", nsmap={"xsi": XSI})
    else:
        root = etree.Element(f"{{{namespace}}}leerlinggegevens", nsmap={None: namespace})
    school = _sub(root, "school")
    _sub(school, "schooljaar", SCHOOLJAAR)
    _sub(school, "peildatum", "2024-10-01")
    _sub(school, "brincode", "99XX")
    _sub(school, "dependancecode", "00")
    _sub(school, "schoolkey", "99XX00")
    _sub(school, "aanmaakdatum", "2024-11-25T14:33:33")
    _sub(school, "auteur", "LAS Voorbeeld")
    _sub(school, "xsdversie", "2.2")
    _sub(school, "commentaar", "Voorbeeldexport, alle gegevens verzonnen")
    if toevoegingen:
        _block(school, "schoolinfo", "Contactpersoon: J. de Boer, 06-12345678")
    vestigingen = _sub(root, "vestigingen")
    for key, naam in (("V1", "Hoofdvestiging"), ("V2", "Nevenvestiging")):
        vestiging = _sub(vestigingen, "vestiging", key=key)
        _sub(vestiging, "naam", naam)
    groepen = _sub(root, "groepen")
    for jaargroep in _JAARGROEPEN:
        groep = _sub(groepen, "groep", key=f"G{jaargroep}")
        _sub(groep, "naam", f"Groep {jaargroep}")
        _sub(groep, "jaargroep", jaargroep)
        _sub(groep, "omschrijving", f"Stamgroep {jaargroep}")
        if toevoegingen:
            _block(groep, "lokaal", f"Lokaal {jaargroep}")
        _sub(groep, "mutatiedatum", "2024-08-20T08:00:00")
    for key, naam in (("SG1", "Plusklas"), ("SG2", "Leesclub")):
        samengesteld = _sub(groepen, "samengestelde_groep", key=key)
        _sub(samengesteld, "naam", naam)
        _sub(samengesteld, "omschrijving", f"{naam}, groepsoverstijgend")
    leerlingen = _sub(root, "leerlingen")
    for index in range(pupils):
        _pupil(leerlingen, index, rng, number, toevoegingen, shuffled, empty)
    leerkrachten = _sub(root, "leerkrachten")
    for index, jaargroep in enumerate(_JAARGROEPEN):
        voorvoegsel, achternaam = _LAST[index % len(_LAST)]
        leerkracht = _sub(leerkrachten, "leerkracht", key=f"LK{index}", eckid=_eckid(rng))
        _sub(leerkracht, "achternaam", achternaam)
        if voorvoegsel:
            _sub(leerkracht, "voorvoegsel", voorvoegsel)
        _sub(leerkracht, "voornamen", _FIRST[index % len(_FIRST)])
        _sub(leerkracht, "voorletters-1", _FIRST[index % len(_FIRST)][0])
        _sub(leerkracht, "roepnaam", _FIRST[index % len(_FIRST)])
        _sub(leerkracht, "gebruikersnaam", f"lk{index}")
        _sub(leerkracht, "emailadres", f"lk{index}@school.invalid")
        _sub(leerkracht, "rol", "LRK")
        groepen_lk = _sub(leerkracht, "groepen")
        groep = _sub(groepen_lk, "groep", key=f"G{jaargroep}")
        _sub(groep, "rol", "STA")
        if toevoegingen:
            _block(leerkracht, "contract", "Parttime, 0,6 fte")
        _sub(leerkracht, "mutatiedatum", "2024-08-20T08:00:00")
    return root


def _pupil(
    leerlingen: etree._Element,
    index: int,
    rng: random.Random,
    number: str,
    toevoegingen: bool,
    shuffled: bool,
    empty: bool,
) -> None:
    voorvoegsel, achternaam = rng.choice(_LAST)
    voornaam = rng.choice(_FIRST)
    jaargroep = rng.choice(_JAARGROEPEN)
    leerling = _sub(leerlingen, "leerling", key=f"LL{index:06d}", eckid=_eckid(rng))
    _sub(leerling, "achternaam", achternaam)
    if voorvoegsel:
        _sub(leerling, "voorvoegsel", voorvoegsel)
    _sub(leerling, "voornamen", "" if empty else f"{voornaam} Maria")
    _sub(leerling, "voorletters-1", voornaam[0] + "M")
    _sub(leerling, "roepnaam", voornaam)
    year = 2024 - 4 - int(jaargroep)
    _sub(leerling, "geboortedatum", f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
    _sub(leerling, "geslacht", rng.choice("0129"))
    _sub(leerling, "start_ondw_jgr3", f"{year + 6}-08-20")
    _sub(leerling, "jaargroep", jaargroep)
    _sub(leerling, "groep", key=f"G{jaargroep}")
    samengestelde = _sub(leerling, "samengestelde_groepen")
    _sub(samengestelde, "samengestelde_groep", key=rng.choice(("SG1", "SG2")))
    _sub(leerling, "vestiging", key=rng.choice(("V1", "V2")))
    _sub(leerling, "gebruikersnaam", f"ll{index:06d}")
    _sub(leerling, "emailadres", "" if empty else f"ll{index:06d}@school.invalid")
    _sub(leerling, "fotourl", f"https://school.invalid/foto/{index:06d}.jpg")
    _sub(leerling, "etniciteit", rng.choice("019"))
    _sub(leerling, "land", rng.choice(_LANDEN))
    _sub(leerling, "land_vader", rng.choice(_LANDEN))
    _sub(leerling, "land_moeder", rng.choice(_LANDEN))
    bsn = _bsn(rng)
    _sub(leerling, number, bsn[-4:] if number == "bsn_ondwnr-4" else bsn)
    _sub(leerling, "gewicht_nieuw", rng.choice(("0", "0,3", "1,2")))
    _sub(leerling, "gewicht", rng.choice(("0.00", "0.25")))
    _sub(
        leerling,
        "postcodenl",
        f"{rng.randint(1000, 9999)}{rng.choice('ABCDEFGH')}{rng.choice('KLMNPR')}",
    )
    _sub(leerling, "instroomdatum", f"{year + 4}-08-20")
    if toevoegingen:
        _block(leerling, "zorg", f"{voornaam} heeft extra begeleiding bij rekenen")
    _sub(leerling, "mutatiedatum", "2024-09-07T08:47:34")
    if shuffled:
        children = list(leerling)
        # Its own generator, so a shuffled response carries the same pupils as an ordered one.
        random.Random(index).shuffle(children)  # noqa: S311 - made-up order, not a secret
        leerling[:] = children


def edexml(pupils: int, variant: Variant = Variant()) -> bytes:
    """A plain EDEXML 2.1 export (root ``EDEX``, no namespace) as UTF-8 bytes."""
    root = leerlinggegevens(pupils, variant, namespace=None)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def response(pupils: int, variant: Variant = Variant()) -> bytes:
    """A HaalLeerlinggegevens SOAP 1.1 response carrying ``pupils`` pupils, as UTF-8 bytes."""
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    antwoord = etree.SubElement(
        body, f"{{{LEERLINGGEGEVENS}}}leerlinggegevens_antwoord", nsmap={None: LEERLINGGEGEVENS}
    )
    antwoord.append(leerlinggegevens(pupils, variant))
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def request(
    *,
    brincode: str = "99XX",
    dependancecode: str | None = "00",
    schooljaar: str = SCHOOLJAAR,
    xsdversie: str = "2.2",
    autorisatiesleutel: str = "sleutel-voorbeeld-0001",
    klantcode: str = "UITGEVER-01",
    klantnaam: str = "Voorbeelduitgever",
    laatstontvangengegevens: str | None = None,
) -> bytes:
    """A HaalLeerlinggegevens SOAP 1.1 request with its ``autorisatie`` header, as UTF-8 bytes."""
    envelope = etree.Element(
        f"{{{SOAP_ENV}}}Envelope",
        nsmap={"soap": SOAP_ENV, "aut": AUTORISATIE, "lg": LEERLINGGEGEVENS},
    )
    header = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Header")
    autorisatie = etree.SubElement(header, f"{{{AUTORISATIE}}}autorisatie")
    for name, value in (
        ("autorisatiesleutel", autorisatiesleutel),
        ("klantcode", klantcode),
        ("klantnaam", klantnaam),
    ):
        etree.SubElement(autorisatie, f"{{{AUTORISATIE}}}{name}").text = value
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    verzoek = etree.SubElement(body, f"{{{LEERLINGGEGEVENS}}}leerlinggegevens_verzoek")
    fields = [("schooljaar", schooljaar), ("brincode", brincode)]
    if dependancecode is not None:
        fields.append(("dependancecode", dependancecode))
    fields.append(("xsdversie", xsdversie))
    if laatstontvangengegevens is not None:
        fields.append(("laatstontvangengegevens", laatstontvangengegevens))
    for name, value in fields:
        etree.SubElement(verzoek, f"{{{LEERLINGGEGEVENS}}}{name}").text = value
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
