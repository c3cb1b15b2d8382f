"""Unit tests for gateway.formats.xml_filter: exactly the allowed XML leaves, and the account."""

from __future__ import annotations

import pytest
from lxml import etree

from gateway.formats import soap, uwlr_samples, xml_filter, xml_profile, xml_safe
from gateway.formats.uwlr_samples import LEERLINGGEGEVENS, XSI, Variant
from gateway.formats.xml_profile import Allowlist, Node, Profiles

from .conftest import FIXTURES

LG = f"{{{LEERLINGGEGEVENS}}}"


def antwoord(pupils: int, variant: Variant | None = None) -> etree._Element:
    variant = variant or Variant()
    return soap.payload(soap.envelope(uwlr_samples.response(pupils, variant)))


def present_paths(element: etree._Element, allowlist: Allowlist, strict: bool = True) -> set[str]:
    """Every leaf element and attribute path in a document, found by walking it independently.

    An element counts as a leaf where the standard's element holds no elements; every other
    element present must at least lie on the way to something allowed.
    """
    known = allowlist.known_paths() | allowlist.allowed_paths()
    allowed = allowlist.allowed_paths()
    found: set[str] = set()

    def walk(el: etree._Element, path: str) -> None:
        for name in el.attrib:
            label = "xsi:type" if name == f"{{{XSI}}}type" else str(name)
            found.add(f"{path}/@{label}" if path else f"@{label}")
        for child in el:
            local = etree.QName(child).localname
            if local == "blok":
                local += f"[{etree.QName(child.get(f'{{{XSI}}}type', '')).localname}]"
            child_path = f"{path}/{local}" if path else local
            if child_path in known:
                found.add(child_path)
            elif strict:
                assert any(p.startswith(child_path + "/") for p in allowed), child_path
            walk(child, child_path)

    data = element if element.tag in ("EDEX", allowlist.tag("leerlinggegevens")) else element[0]
    walk(data, "")
    return found


@pytest.mark.parametrize("name", ["uwlr-2.2-smalle-set", "uwlr-2.2-lvs-set", "uwlr-2.3-smalle-set"])
def test_exactly_the_allowed_paths_remain(profiles: Profiles, name: str) -> None:
    """After filtering a full response, the paths present are exactly the allowed ones."""
    allowlist = profiles.by_name[name].uwlr
    result = xml_filter.response(antwoord(20), allowlist)
    present = present_paths(result.document, allowlist)
    assert present <= allowlist.allowed_paths()
    # everything the profile allows that the sample carries is still there
    original = present_paths(antwoord(20), allowlist, strict=False)
    assert present == original & allowlist.allowed_paths()
    assert result.forwarded == present


def test_values_of_kept_fields_are_unchanged(profiles: Profiles) -> None:
    """A kept field keeps its exact text and a kept attribute its exact value."""
    source = antwoord(5)
    result = xml_filter.response(source, profiles.get("2.2", "smalle-set").uwlr)
    before = source.findall(f".//{LG}leerling")
    after = result.document.findall(f".//{LG}leerling")
    assert [p.get("eckid") for p in before] == [p.get("eckid") for p in after]
    assert [p.findtext(f"{LG}roepnaam") for p in before] == [
        p.findtext(f"{LG}roepnaam") for p in after
    ]
    assert all(p.find(f"{LG}bsn") is None for p in after)


def test_order_of_elements_does_not_matter(profiles: Profiles) -> None:
    """A shuffled response loses exactly what the ordered one loses, and keeps the rest."""
    allowlist = profiles.get("2.2", "smalle-set").uwlr
    ordered = xml_filter.response(antwoord(30), allowlist)
    shuffled = xml_filter.response(antwoord(30, Variant(shuffled=True)), allowlist)
    assert shuffled.stripped == ordered.stripped
    assert shuffled.forwarded == ordered.forwarded
    assert shuffled.pupil_keys == ordered.pupil_keys

    def fields(result: xml_filter.FilteredXML) -> list[dict[str, str | None]]:
        return [
            {etree.QName(c).localname: c.text for c in pupil}
            for pupil in result.document.iter(f"{LG}leerling")
        ]

    assert fields(shuffled) == fields(ordered)


def test_stripped_counts_per_path(profiles: Profiles) -> None:
    """Each stripped field is counted once per pupil under its path; kept ones not at all."""
    result = xml_filter.response(antwoord(12), profiles.get("2.2", "smalle-set").uwlr)
    assert result.stripped["leerlingen/leerling/bsn"] == 12
    assert result.stripped["leerlingen/leerling/voornamen"] == 12
    assert result.stripped["groepen/groep/omschrijving"] == 8
    assert result.stripped["vestigingen"] == 1  # stripped whole, counted once
    assert "leerlingen/leerling/achternaam" not in result.stripped
    assert "vestigingen/vestiging/naam" not in result.stripped


def test_records_and_pupil_keys(profiles: Profiles) -> None:
    """The result counts the pupils and gives their keys, but its repr hides the keys."""
    result = xml_filter.response(antwoord(7), profiles.get("2.2", "smalle-set").uwlr)
    assert result.records == 7
    assert result.pupil_keys == tuple(f"LL{i:06d}" for i in range(7))
    assert "LL000003" not in repr(result)


def test_uwlr_23_takes_the_eckid_as_key(profiles: Profiles) -> None:
    """In UWLR 2.3 a pupil's ECK iD is its key; a pupil without one keeps the LAS key."""
    source = antwoord(3)
    pupils = source.findall(f".//{LG}leerling")
    del pupils[1].attrib["eckid"]
    result = xml_filter.response(source, profiles.get("2.3", "smalle-set").uwlr)
    assert result.pupil_keys == (pupils[0].get("eckid"), "LL000001", pupils[2].get("eckid"))
    assert result.stripped["leerlingen/leerling/geboortedatum"] == 3


def test_toevoegingen_are_stripped_unless_named(profiles: Profiles) -> None:
    """Vendor blocks go everywhere, unless the allowlist names one by its xsi:type."""
    source = antwoord(4, Variant(toevoegingen=True))
    base = profiles.get("2.2", "smalle-set").uwlr
    result = xml_filter.response(source, base)
    assert result.stripped["leerlingen/leerling/toevoegingen"] == 4
    assert result.stripped["school/toevoegingen"] == 1
    assert not list(result.document.iter(f"{LG}toevoegingen"))

    opened = base.with_block("leerlingen/leerling", "OpmerkingGegevensType", ["code", "opmerking"])
    kept = xml_filter.response(source, opened)
    blocks = list(kept.document.iter(f"{LG}blok"))
    assert len(blocks) == 4
    assert blocks[0].get(f"{{{XSI}}}type") == "OpmerkingGegevensType"
    assert kept.stripped["groepen/groep/toevoegingen"] == 8  # not opened there
    assert "leerlingen/leerling/toevoegingen/blok[OpmerkingGegevensType]/opmerking" in (
        kept.forwarded
    )


def test_a_block_of_another_type_is_stripped(profiles: Profiles) -> None:
    """A block whose xsi:type is not the one named is stripped, and its type is not logged."""
    source = antwoord(1, Variant(toevoegingen=True))
    blok = next(next(source.iter(f"{LG}leerling")).iter(f"{LG}blok"))
    blok.set(f"{{{XSI}}}type", "Jansen999999990Type")
    opened = profiles.get("2.2", "smalle-set").uwlr.with_block(
        "leerlingen/leerling", "OpmerkingGegevensType", ["code"]
    )
    result = xml_filter.response(source, opened)
    assert "Jansen" not in repr(result.stripped)
    assert result.stripped["leerlingen/leerling/toevoegingen/blok"] == 1
    assert result.stripped["school/toevoegingen"] == 1  # not opened there: stripped whole
    assert not list(result.document.iter(f"{LG}blok"))
    assert not list(result.document.iter(f"{LG}toevoegingen"))  # no empty wrapper left


def test_unknown_elements_and_attributes_are_counted_without_their_names(
    profiles: Profiles,
) -> None:
    """A name the standard does not know is counted as * or @*, never written down."""
    source = antwoord(2)
    pupil = next(source.iter(f"{LG}leerling"))
    etree.SubElement(pupil, f"{LG}Jansen").text = "999999990"
    etree.SubElement(pupil, "{urn:vendor}extra").text = "x"
    pupil.set("Jansen", "1")
    pupil.find(f"{LG}achternaam").set("geheim", "1")  # type: ignore[union-attr]
    result = xml_filter.response(source, profiles.get("2.2", "smalle-set").uwlr)
    assert result.stripped["leerlingen/leerling/*"] == 2
    assert result.stripped["leerlingen/leerling/@*"] == 1
    assert result.stripped["leerlingen/leerling/achternaam/@*"] == 1
    assert "Jansen" not in repr(result.stripped) + repr(result.forwarded)
    assert b"Jansen" not in xml_filter.serialise(result.document)
    assert b"urn:vendor" not in xml_filter.serialise(result.document)


def test_stray_text_and_nested_elements_in_values_are_stripped(profiles: Profiles) -> None:
    """Text in an element that holds elements, and elements inside a value, do not leave."""
    source = antwoord(1)
    pupil = next(source.iter(f"{LG}leerling"))
    pupil.text = "Jansen"
    pupil[0].tail = "999999990"
    achternaam = pupil.find(f"{LG}achternaam")
    assert achternaam is not None
    etree.SubElement(achternaam, f"{LG}bsn").text = "999999990"
    result = xml_filter.response(source, profiles.get("2.2", "smalle-set").uwlr)
    out = xml_filter.serialise(result.document)
    assert b"999999990" not in out
    assert b">Jansen<" not in out
    assert result.stripped["leerlingen/leerling/text()"] == 2
    assert result.stripped["leerlingen/leerling/achternaam/*"] == 1


def test_empty_elements_are_kept_as_they_came(profiles: Profiles) -> None:
    """An empty allowed element stays (the result is then invalid); an empty forbidden one goes."""
    source = antwoord(2, Variant(empty=True))
    pupil = next(source.iter(f"{LG}leerling"))
    etree.SubElement(pupil, f"{LG}roepnaam")  # empty, and a second one
    result = xml_filter.response(source, profiles.get("2.2", "smalle-set").uwlr)
    assert result.stripped["leerlingen/leerling/voornamen"] == 2  # empty, but forbidden
    kept = next(result.document.iter(f"{LG}leerling"))
    assert [c.text for c in kept.findall(f"{LG}roepnaam")][1] is None


def test_no_changes_answer_passes_empty(profiles: Profiles) -> None:
    """A geenwijzigingen answer passes, emptied of anything put inside it."""
    source = etree.fromstring(
        f'<leerlinggegevens_antwoord xmlns="{LEERLINGGEGEVENS}">'
        "<geenwijzigingen x='1'>Jansen<bsn>1</bsn></geenwijzigingen></leerlinggegevens_antwoord>"
    )
    result = xml_filter.response(source, profiles.get("2.2", "smalle-set").uwlr)
    assert result.records == 0
    assert xml_filter.serialise(result.document).endswith(
        b"<geenwijzigingen/></leerlinggegevens_antwoord>"
    )
    assert result.stripped == {"@*": 1, "text()": 1, "*": 1}


def test_the_input_is_not_changed(profiles: Profiles) -> None:
    """Filtering leaves the parsed response as it was."""
    source = antwoord(3, Variant(toevoegingen=True))
    before = etree.tostring(source)
    xml_filter.response(source, profiles.get("2.2", "smalle-set").uwlr)
    assert etree.tostring(source) == before


def test_wrong_root_is_refused(profiles: Profiles) -> None:
    """A document that is not a leerlinggegevens_antwoord is not filtered as one."""
    with pytest.raises(xml_filter.UnexpectedDocument):
        xml_filter.response(etree.fromstring("<EDEX/>"), profiles.get("2.2", "smalle-set").uwlr)
    with pytest.raises(xml_filter.UnexpectedDocument):
        xml_filter.edexml(etree.fromstring("<x/>"), profiles.get("2.2", "smalle-set").edexml)


def test_edustandaard_example_export_is_filtered(profiles: Profiles) -> None:
    """Edustandaard's example export keeps, per pupil, only Smalle set fields."""
    root = xml_safe.parse((FIXTURES / "EDEXML.Voorbeeld.2.1.xml").read_bytes())
    allowlist = profiles.get("2.2", "smalle-set").edexml
    result = xml_filter.edexml(root, allowlist)
    assert result.records == 3
    assert result.pupil_keys == ("00001", "00002", "12345")
    assert present_paths(result.document, allowlist) <= allowlist.allowed_paths()
    assert result.stripped["leerlingen/leerling/bsn"] == 1
    assert result.stripped["leerlingen/leerling/bsn_ondwnr-4"] == 1
    assert result.stripped["leerlingen/leerling/toevoegingen"] == 1
    assert result.stripped["@xsi:noNamespaceSchemaLocation"] == 1
    out = xml_filter.serialise(result.document)
    assert out.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert b"133456785" not in out and b"Assati" in out and b"Ismael" not in out


def test_filtered_example_export_is_valid_edexml(profiles: Profiles) -> None:
    """The example export, filtered by the LVS set, is still a valid EDEXML 2.1 document."""
    root = xml_safe.parse((FIXTURES / "EDEXML.Voorbeeld.2.1.xml").read_bytes())
    allowlist = profiles.get("2.2", "lvs-set").edexml
    schema = xml_profile.compiled_schema(profiles.edexml_schema_file)
    assert xml_filter.validate(root, schema, allowlist).valid
    result = xml_filter.edexml(root, allowlist)
    assert xml_filter.validate(result.document, schema, allowlist).valid


def test_flemish_example_export_is_filtered(profiles: Profiles) -> None:
    """The Flemish example loses its rijksregisternummer and postnummer under the LVS set."""
    root = xml_safe.parse((FIXTURES / "EDEXML.Voorbeeld.2.1-Vla.xml").read_bytes())
    result = xml_filter.edexml(root, profiles.get("2.2", "lvs-set").edexml)
    assert result.stripped["leerlingen/leerling/rijksregisternummer"] == 1
    assert result.stripped["leerlingen/leerling/postnummerbe"] == 1
    assert b"13345678512" not in xml_filter.serialise(result.document)


@pytest.mark.parametrize(
    ("name", "variant"),
    [
        ("uwlr-2.2-smalle-set", Variant()),
        ("uwlr-2.1-smalle-set", Variant()),
        ("uwlr-2.2-lvs-set", Variant(number="bsn_ondwnr-4")),
        ("uwlr-2.1-lvs-set", Variant(number="bsn_ondwnr-4")),
        ("uwlr-2.3-smalle-set", Variant(toevoegingen=True)),
    ],
)
def test_filtered_response_validates_against_its_profile(
    profiles: Profiles, name: str, variant: Variant
) -> None:
    """A full, ordered response filtered by a profile satisfies that profile's schema."""
    profile = profiles.by_name[name]
    source = antwoord(10, variant)
    result = xml_filter.response(source, profile.uwlr)
    assert xml_filter.validate(result.document, profile.schema(), profile.uwlr).valid
    original = xml_filter.validate(source, profile.schema(), profile.uwlr)
    assert not original.valid  # the LAS sent more than the profile allows
    assert original.kind == "SCHEMAV_ELEMENT_CONTENT"


def test_invalid_response_says_where_but_not_what(profiles: Profiles) -> None:
    """A wrong value is located by kind, line and path; the value itself is not reported."""
    profile = profiles.get("2.2", "smalle-set")
    source = antwoord(4)
    third = source.findall(f".//{LG}leerling")[2]
    birth = third.find(f"{LG}geboortedatum")
    assert birth is not None
    birth.text = "2012-13-45"
    result = xml_filter.response(source, profile.uwlr)
    validity = xml_filter.validate(result.document, profile.schema(), profile.uwlr)
    assert not validity.valid
    assert validity.kind == "SCHEMAV_CVC_DATATYPE_VALID_1_2_1"
    assert validity.path == "leerlingen/leerling[3]/geboortedatum"
    assert "2012-13-45" not in repr(validity)


def test_out_of_order_response_is_invalid_but_filtered(profiles: Profiles) -> None:
    """A shuffled response is filtered all the same; validation says it is out of order."""
    profile = profiles.get("2.2", "smalle-set")
    result = xml_filter.response(antwoord(5, Variant(shuffled=True)), profile.uwlr)
    validity = xml_filter.validate(result.document, profile.schema(), profile.uwlr)
    assert not validity.valid
    assert validity.path is not None and validity.path.startswith("leerlingen/leerling[")


def test_unknown_element_in_an_invalid_document_is_located_as_star(profiles: Profiles) -> None:
    """The path of an error at an element no schema knows writes * for its name."""
    profile = profiles.get("2.2", "smalle-set")
    source = antwoord(2)
    etree.SubElement(source.findall(f".//{LG}leerling")[1], f"{LG}Jansen")
    validity = xml_filter.validate(source, profile.schema(), profile.uwlr)
    assert validity.path is not None
    assert "Jansen" not in validity.path


def test_filter_for_a_node_without_namespace_uses_no_prefix() -> None:
    """A hand-made allowlist works too: the filter needs nothing but Nodes."""
    leaf = Node("naam", "naam", True, True, {}, {})
    root = Node("EDEX", "", True, False, {}, {"naam": leaf})
    result = xml_filter.edexml(
        etree.fromstring("<EDEX><naam>x</naam><y/></EDEX>"), Allowlist(None, root)
    )
    assert xml_filter.serialise(result.document).endswith(b"<EDEX><naam>x</naam></EDEX>")
    assert result.stripped == {"*": 1}
