"""The subject index's values: keyed hashes of the identifiers a forwarded body holds, per pupil
with the field paths sent, and nothing of the body's values."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
from pathlib import Path

import msgspec
import pytest

from gateway.evidence.subjects import (
    RECORD_BYTES,
    SUBJECT_BYTES,
    SubjectKey,
    SubjectKeyError,
    index,
    loose_mode,
    place_of,
    unpack,
)

KEY = SubjectKey(bytes(range(32)))
ECK = "https://ketenid.nl/201703/" + "ab" * 64


def body(*pupils: dict[str, object], **top: object) -> bytes:
    return msgspec.json.encode({"school": {"brin": "99XX"}, **top, "leerlingen": list(pupils)})


def test_a_subject_is_hmac_sha256_over_kind_and_identifier() -> None:
    """The fast HMAC gives exactly what the standard library's hmac gives, cut to 128 bits."""
    for kind, value in (("leerlingkey", "LL-1"), ("eckid", ECK), ("basispoort", "é" * 70)):
        expected = hmac.new(
            bytes(range(32)), f"{kind}\x00{value}".encode(), hashlib.sha256
        ).hexdigest()
        assert KEY.subject(kind, value) == expected[:32]  # 128 bits


def test_identifiers_are_normalised_before_hashing() -> None:
    """Spaces around any identifier do not matter, nor the case of an ECK iD; a key's case does."""
    assert KEY.subject("leerlingkey", "  LL-1 ") == KEY.subject("leerlingkey", "LL-1")
    assert KEY.subject("eckid", ECK.upper()) == KEY.subject("eckid", ECK)
    assert KEY.subject("leerlingkey", "ll-1") != KEY.subject("leerlingkey", "LL-1")


def test_another_key_gives_other_subjects() -> None:
    """Without the key a subject cannot be recomputed from a guessed identifier."""
    other = SubjectKey(bytes(32))
    assert other.subject("leerlingkey", "LL-1") != KEY.subject("leerlingkey", "LL-1")


def test_each_pupil_is_indexed_by_each_identifier_it_was_sent_with() -> None:
    """One row per identifier forwarded, naming the field paths sent for that pupil."""
    held = index(
        body(
            {"leerlingkey": "LL-1", "eckid": ECK, "voornaam": "Roos"},
            {"leerlingkey": "LL-2", "basispoort_id": "BP-2", "adres": {"postcode": "9999 ZZ"}},
        ),
        KEY,
    )
    rows = dict(held.rows)
    assert set(rows) == {
        KEY.subject("leerlingkey", "LL-1"),
        KEY.subject("eckid", ECK),
        KEY.subject("leerlingkey", "LL-2"),
        KEY.subject("basispoort", "BP-2"),
    }
    first = held.fieldsets[rows[KEY.subject("leerlingkey", "LL-1")]]
    assert first == ("leerlingen[].eckid", "leerlingen[].leerlingkey", "leerlingen[].voornaam")
    second = held.fieldsets[rows[KEY.subject("basispoort", "BP-2")]]
    assert second == (
        "leerlingen[].adres.postcode",
        "leerlingen[].basispoort_id",
        "leerlingen[].leerlingkey",
    )


def test_records_alike_share_one_field_set() -> None:
    """A sync of a thousand pupils with the same fields names one field-set."""
    pupils = [{"leerlingkey": f"LL-{n}", "voornaam": "X"} for n in range(1000)]
    held = index(body(*pupils), KEY)
    assert len(held.rows) == 1000 and len(held.fieldsets) == 1


def test_a_null_or_empty_identifier_is_no_subject() -> None:
    """Only a non-empty string names a pupil."""
    held = index(body({"leerlingkey": "  ", "eckid": None}, {"basispoort_id": 7}), KEY)
    assert held.rows == ()


def test_an_identifier_in_two_records_gets_the_union_of_their_fields() -> None:
    """A pupil listed twice is one row, with every path sent for either record."""
    held = index(body({"leerlingkey": "LL-1", "a": 1}, {"leerlingkey": "LL-1", "b": [1]}), KEY)
    [(_, fieldset)] = held.rows
    assert held.fieldsets[fieldset] == (
        "leerlingen[].a",
        "leerlingen[].b[]",
        "leerlingen[].leerlingkey",
    )


def test_the_index_holds_no_value_of_the_body() -> None:
    """Rows, field-sets and the hash over them hold hashes and paths only."""
    held = index(body({"leerlingkey": "LL-SECRET", "voornaam": "Geheimnaam", "eckid": ECK}), KEY)
    text = json.dumps([held.rows, held.fieldsets, held.sha256])
    for value in ("LL-SECRET", "Geheimnaam", "ketenid", "ab" * 64):
        assert value not in text


def test_the_hash_over_the_rows_changes_with_any_row() -> None:
    """subjects_sha256 commits to who was held and what was sent for them, in any order."""
    a = index(body({"leerlingkey": "LL-1", "x": 1}, {"leerlingkey": "LL-2"}), KEY)
    b = index(body({"leerlingkey": "LL-2"}, {"leerlingkey": "LL-1", "x": 1}), KEY)
    c = index(body({"leerlingkey": "LL-1"}, {"leerlingkey": "LL-2"}), KEY)
    assert a.sha256 == b.sha256 != c.sha256


def test_a_body_without_pupils_holds_none() -> None:
    """No leerlingen, or leerlingen of another shape: no rows."""
    assert index(b'{"school": {}}', KEY).rows == ()
    assert index(b'{"leerlingen": "x"}', KEY).rows == ()


def test_a_key_file_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    """create writes a fresh key readable by its owner only, read gives it back, and a second
    create refuses to replace it."""
    path = tmp_path / "var" / "subject.key"
    made = SubjectKey.create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and not loose_mode(path)
    assert SubjectKey.read(path).secret == made.secret
    with pytest.raises(SubjectKeyError, match="exists already"):
        SubjectKey.create(path)
    assert SubjectKey.read(path).secret == made.secret


def test_a_bad_key_file_is_one_plain_error(tmp_path: Path) -> None:
    """Missing, short or not hex: a SubjectKeyError naming the file, never its contents."""
    with pytest.raises(SubjectKeyError, match="does not exist"):
        SubjectKey.read(tmp_path / "none")
    bad = tmp_path / "bad.key"
    bad.write_text("zz" * 32)
    with pytest.raises(SubjectKeyError, match="is not a subject key") as caught:
        SubjectKey.read(bad)
    assert "zz" not in str(caught.value)
    os.chmod(bad, 0o644)
    assert loose_mode(bad)


def test_subjects_of_covers_every_kind_an_identifier_could_be() -> None:
    """A lookup need not know the kind: a key is tried as leerlingkey and Basispoort id, an
    ECK iD (any case) as an ECK iD only."""
    assert set(KEY.subjects_of("LL-1").values()) == {"leerlingkey", "eckid", "basispoort"}
    assert KEY.subjects_of(" " + ECK.upper()) == {KEY.subject("eckid", ECK): "eckid"}


def test_a_body_that_is_not_json_holds_no_pupils() -> None:
    """Another format's body (XML) is no reason to fail a transfer: it names no pupils here."""
    assert index(b"<leerlingen><leerling key='LL-1'/></leerlingen>", KEY).rows == ()


def test_the_packed_rows_give_back_every_row_and_find_each_subject() -> None:
    """The packed form (one database row per transfer) holds exactly the rows, in order of
    subject; a binary search finds each subject's field-set and nothing else."""
    pupils = [
        {
            "leerlingkey": f"LL-{n}",
            "basispoort_id": f"BP-{n}",
            **({"voornaam": "R"} if n % 3 else {}),
        }
        for n in range(300)
    ]
    held = index(body(*pupils), KEY)
    assert len(held.packed) == len(held.rows) * RECORD_BYTES
    assert unpack(held.packed, held.order) == list(held.rows)
    for subject, fieldset in held.rows:
        place = place_of(held.packed, subject)
        assert place is not None and held.order[place] == fieldset
    assert place_of(held.packed, KEY.subject("leerlingkey", "LL-300")) is None
    assert place_of(held.packed, "0" * 32) is None and place_of(held.packed, "f" * 32) is None
    assert place_of(b"", "0" * 32) is None


def test_a_match_across_two_rows_is_not_a_subject() -> None:
    """Bytes that span the end of one row and the start of the next are no subject: the index's
    database search may return such a row, and the binary search rejects it."""
    held = index(body({"leerlingkey": "LL-1"}, {"leerlingkey": "LL-2"}), KEY)
    straddling = held.packed[10 : 10 + SUBJECT_BYTES].hex()
    assert straddling in held.packed.hex()
    assert place_of(held.packed, straddling) is None
