"""Unit tests for gateway.formats.xml_profile: the allowlists read from the profile schemas."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lxml import etree

from gateway.formats import xml_profile
from gateway.formats.xml_profile import Profiles

from .conftest import ROOT

PUPIL = "leerlingen/leerling/"

# What the profiles keep of a pupil, written out by hand from the profile schemas and
# shared/standards/README.md (not from the code under test).
SMALLE_SET_PUPIL = {
    "@key",
    "@eckid",
    "achternaam",
    "voorvoegsel",
    "roepnaam",
    "geboortedatum",
    "jaargroep",
    "groep",
    "groep/@key",
    "samengestelde_groepen/samengestelde_groep",
    "samengestelde_groepen/samengestelde_groep/@key",
}
LVS_SET_PUPIL = SMALLE_SET_PUPIL | {"voorletters-1", "geslacht", "start_ondw_jgr3", "bsn_ondwnr-4"}
NEVER = {"bsn", "sofinummer", "onderwijsnummer", "voornamen", "emailadres", "fotourl", "etniciteit",
         "land", "land_vader", "land_moeder", "gewicht", "gewicht_nieuw", "postcodenl",
         "toevoegingen/blok/code", "vestiging", "vestiging/@key", "mutatiedatum"}  # fmt: skip


def pupil_paths(paths: frozenset[str]) -> set[str]:
    return {path.removeprefix(PUPIL) for path in paths if path.startswith(PUPIL)}


@pytest.mark.parametrize("version", ["2.1", "2.2"])
def test_smalle_set_keeps_exactly_its_pupil_fields(profiles: Profiles, version: str) -> None:
    """The Smalle set lets through exactly the pupil fields Edustandaard's profile names."""
    allowlist = profiles.get(version, "smalle-set").uwlr
    assert pupil_paths(allowlist.allowed_paths()) == SMALLE_SET_PUPIL


@pytest.mark.parametrize("version", ["2.1", "2.2"])
def test_lvs_set_keeps_exactly_its_pupil_fields(profiles: Profiles, version: str) -> None:
    """The LVS set adds initials, gender, start of group 3 and the last four BSN digits."""
    allowlist = profiles.get(version, "lvs-set").uwlr
    assert pupil_paths(allowlist.allowed_paths()) == LVS_SET_PUPIL


def test_uwlr_23_smalle_set_is_22_without_date_of_birth(profiles: Profiles) -> None:
    """The derived 2.3 Smalle set differs from 2.2 only by the pupil's date of birth."""
    allowed_22 = profiles.get("2.2", "smalle-set").uwlr.allowed_paths()
    allowed_23 = profiles.get("2.3", "smalle-set").uwlr.allowed_paths()
    assert allowed_22 - allowed_23 == {"leerlingen/leerling/geboortedatum"}
    assert allowed_23 <= allowed_22
    assert profiles.get("2.3", "smalle-set").uwlr.eckid_is_key
    assert not profiles.get("2.2", "smalle-set").uwlr.eckid_is_key


@pytest.mark.parametrize("name", ["uwlr-2.1-smalle-set", "uwlr-2.2-lvs-set", "uwlr-2.3-smalle-set"])
def test_special_and_extra_fields_are_never_allowed(profiles: Profiles, name: str) -> None:
    """No profile lets the full BSN, addresses, origin, photos or vendor blocks of a pupil out."""
    allowed = pupil_paths(profiles.by_name[name].uwlr.allowed_paths())
    known = pupil_paths(profiles.by_name[name].uwlr.known_paths())
    assert known >= NEVER  # the standard knows them, so stripping them is logged by name
    assert not NEVER & allowed


def test_school_and_groups_follow_the_profile(profiles: Profiles) -> None:
    """Outside the pupil, too, the profile's restrictions hold: no vestigingen, no group notes."""
    smalle = profiles.get("2.2", "smalle-set").uwlr.allowed_paths()
    assert {"school/brincode", "groepen/groep/naam", "groepen/groep/@key"} <= smalle
    assert not {p for p in smalle if p.startswith("vestigingen")}
    assert "groepen/groep/omschrijving" not in smalle
    assert "groepen/samengestelde_groep/omschrijving" in smalle
    lvs = profiles.get("2.2", "lvs-set").uwlr.allowed_paths()
    assert "leerkrachten/leerkracht/emailadres" in smalle
    assert "leerkrachten/leerkracht/emailadres" not in lvs


def test_edexml_allowlist_is_the_same_tree_without_a_namespace(profiles: Profiles) -> None:
    """A profile's EDEXML allowlist allows the same paths, keyed by un-namespaced tags."""
    profile = profiles.get("2.2", "smalle-set")
    assert profile.edexml.allowed_paths() == profile.uwlr.allowed_paths()
    assert "leerlingen" in profile.edexml.root.children
    assert f"{{{xml_profile.LEERLINGGEGEVENS}}}leerlingen" in profile.uwlr.root.children


def test_a_changed_profile_schema_changes_the_allowlist(tmp_path: Path, profiles: Profiles) -> None:
    """The allowlist really comes from the file: uncommenting bsn in a copy lets bsn through."""
    target = tmp_path / "uwlr"
    shutil.copytree(ROOT / "schemas" / "uwlr", target)
    elementen = target / "2.2/Schemas/Profiel_smalle_set/Profiel_Smalle_set_EDEXML.elementen.xsd"
    text = elementen.read_text(encoding="utf-8")
    bsn = '<xs:element name="bsn" type="EDEXBsnType" minOccurs="0"/>'
    # move the bsn declaration out of the comment, just before geboortedatum
    text = text.replace("\t\t\t\t" + bsn + "\n", "", 1)
    text = text.replace(
        '<xs:element name="geboortedatum" type="xs:date" minOccurs="0"/>',
        bsn + '<xs:element name="geboortedatum" type="xs:date" minOccurs="0"/>',
        1,
    )
    elementen.write_text(text, encoding="utf-8")
    changed = xml_profile.load(tmp_path).get("2.2", "smalle-set").uwlr
    assert "leerlingen/leerling/bsn" in changed.allowed_paths()
    assert "leerlingen/leerling/bsn" not in profiles.get("2.2", "smalle-set").uwlr.allowed_paths()


def test_every_profile_schema_compiles(profiles: Profiles) -> None:
    """Each profile schema compiles, the 2.1 ones with their imports moved to the front."""
    for profile in profiles.by_name.values():
        assert isinstance(profile.schema(), etree.XMLSchema)
    etree.XMLSchema(xml_profile.schema_document(profiles.full_schema_file))
    etree.XMLSchema(xml_profile.schema_document(profiles.edexml_schema_file))


def test_the_21_profile_files_as_published_do_not_compile(profiles: Profiles) -> None:
    """The fix-up is needed: libxml2 refuses the 2.1 profile as published (imports last)."""
    with pytest.raises(etree.XMLSchemaParseError):
        etree.XMLSchema(etree.parse(str(profiles.get("2.1", "smalle-set").schema_file)))


def test_with_block_opens_one_named_block(profiles: Profiles) -> None:
    """with_block lets one vendor block through under one parent, by type, and no other."""
    base = profiles.get("2.2", "smalle-set").uwlr
    opened = base.with_block("leerlingen/leerling", "OpmerkingGegevensType", ["code", "opmerking"])
    added = opened.allowed_paths() - base.allowed_paths()
    assert added == {
        "leerlingen/leerling/toevoegingen/blok[OpmerkingGegevensType]/code",
        "leerlingen/leerling/toevoegingen/blok[OpmerkingGegevensType]/opmerking",
        "leerlingen/leerling/toevoegingen/blok[OpmerkingGegevensType]/@xsi:type",
    }
    assert opened.has_blocks and not base.has_blocks
    with pytest.raises(xml_profile.ProfileError):
        base.with_block("leerlingen/nergens", "X", ["code"])


def test_unknown_profile_names_what_exists(profiles: Profiles) -> None:
    """Asking for a profile that does not exist says which do."""
    with pytest.raises(KeyError, match=r"uwlr-2\.2-smalle-set"):
        profiles.get("2.3", "lvs-set")
