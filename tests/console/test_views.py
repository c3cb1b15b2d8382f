"""The console's pages over real traffic: what the FG sees, exports and marks."""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from gateway.console import dutch
from gateway.console.models import ReviewMark
from gateway.console.sources import Organisation, Pupil, SubjectIndex, SubjectTransfer
from gateway.evidence.models import LogEntry, TransferRecord
from tests.console.conftest import KNOWN_PUPIL, Console, csrf_token, push_traffic

ZONE = ZoneInfo("Europe/Amsterdam")


async def test_overview_counts_the_last_thirty_days(console: Console) -> None:
    """The Overzicht counts the transfers, pupils and blocked ones it was sent, and lists the
    special-category fields it stripped."""
    await push_traffic(console.gateway)
    async with console.signed_in() as client:
        page = (await client.get("/fg/")).text
    cards = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))
    assert cards["Verstrekkingen"] == "3"
    assert cards["Leerlingen doorgegeven"] == "5"  # 3 + 2 forwarded, none of the blocked one
    assert cards["Geblokkeerd"] == "1"
    assert cards["Met gevonden identificatie"] == "1"
    assert "leerlingen[].bsn" in page and "<svg" in page


async def test_filters_facets_and_the_same_list_as_csv_and_json(console: Console) -> None:
    """An outcome filter narrows the page, the facets count within it, and the CSV and JSON at
    the same address hold exactly the entries of the page."""
    await push_traffic(console.gateway)
    async with console.signed_in() as client:
        page = (await client.get("/fg/verstrekkingen?uitkomst=forwarded")).text
        assert "2 verstrekkingen" in page
        assert re.search(r">doorgegeven</a> <span class=\"count\">2</span>", page)
        listed = set(re.findall(r"/fg/verstrekkingen/([0-9a-f-]{36})", page))
        exported = await client.get("/fg/verstrekkingen.csv?uitkomst=forwarded")
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert exported.headers["content-type"].startswith("text/csv")
        assert {r["id"] for r in rows} == listed and len(rows) == 2
        assert all(r["outcome"] == "forwarded" for r in rows)
        as_json = (await client.get("/fg/verstrekkingen.json?uitkomst=forwarded")).json()
        assert {i["id"] for i in as_json["items"]} == listed
        assert as_json["filter"] == {"uitkomst": "forwarded"}
        api = await console.gateway.transfers(outcome="forwarded")
        assert sorted(as_json["items"], key=lambda i: i["seq"]) == sorted(
            (
                {**i, "time_local": j["time_local"]}
                for i, j in zip(
                    sorted(api, key=lambda i: i["seq"]),
                    sorted(as_json["items"], key=lambda i: i["seq"]),
                    strict=True,
                )
            ),
            key=lambda i: i["seq"],
        )


async def test_a_field_path_filter_finds_where_it_was_stripped(console: Console) -> None:
    """Filtering on a stripped field path finds the forwarded transfers it was taken from,
    and not the blocked one (nothing was filtered there)."""
    await push_traffic(console.gateway)
    async with console.signed_in() as client:
        page = await client.get(
            "/fg/verstrekkingen", params={"veld": "leerlingen[].bsn", "rol": "stripped"}
        )
        assert "2 verstrekkingen" in page.text
        none = await client.get(
            "/fg/verstrekkingen", params={"veld": "leerlingen[].bsn", "rol": "forwarded"}
        )
        assert "0 verstrekkingen" in none.text


async def test_a_bad_filter_is_one_plain_message(console: Console) -> None:
    """A filter value that cannot be used is a Dutch message naming the field, not the value."""
    async with console.signed_in() as client:
        response = await client.get("/fg/verstrekkingen?school=<script>&van=gisteren")
    assert response.status_code == 400
    assert "School: vul een BRIN-code in" in response.text and "Van: een datum" in response.text
    assert "<script>" not in response.text and "gisteren" not in response.text


async def test_the_detail_page_shows_what_happened_to_each_field(console: Console) -> None:
    """A transfer's page names its forwarded fields, the stripped ones with counts and the
    special category, what inspection found, its agreement and its body hash."""
    await push_traffic(console.gateway)
    entry = next(e for e in await console.gateway.transfers() if e["fields_inspected"])
    async with console.signed_in() as client:
        page = (await client.get(f"/fg/verstrekkingen/{entry['id']}")).text
        missing = await client.get("/fg/verstrekkingen/00000000-0000-4000-8000-000000000000")
    assert "leerlingen[].voornaam" in page
    assert "bijzonder persoonsgegeven (BSN)" in page
    assert "groepen[].naam" in page and "<td>BSN</td>" in page
    assert entry["body_sha256"] in page
    assert (
        "OPRON-BASISPOORT versie 2018.1" in page and "#overeenkomst-OPRON-BASISPOORT-2018-1" in page
    )
    assert missing.status_code == 404


async def test_marking_a_queue_item_keeps_who_when_and_the_note(console: Console) -> None:
    """The FG marks the blocked transfer reviewed with a note; it leaves the open queue, shows
    under reviewed with the FG's name, and a second mark changes nothing."""
    await push_traffic(console.gateway)
    blocked = next(e for e in await console.gateway.transfers() if e["outcome"] == "blocked")
    async with console.signed_in() as client:
        queue = (await client.get("/fg/te-beoordelen?soort=blocked")).text
        assert blocked["id"] in queue
        token = await csrf_token(client, "/fg/te-beoordelen")
        form = {
            "csrf": token,
            "soort": "transfer",
            "onderwerp": blocked["id"],
            "notitie": "Sleutel van school 99XX probeerde 98YY: bij de LAS nagevraagd.",
        }
        response = await client.post("/fg/te-beoordelen", data=form)
        assert response.status_code == 303
        assert blocked["id"] not in (await client.get("/fg/te-beoordelen?soort=blocked")).text
        done = (await client.get("/fg/te-beoordelen?soort=blocked&status=beoordeeld")).text
        assert blocked["id"] in done and "Beoordeeld door fg@opron.nl" in done
        again = await client.post("/fg/te-beoordelen", data=form)
        assert again.status_code == 303
    mark = await ReviewMark.get()
    assert (mark.user_name, mark.kind) == ("fg@opron.nl", "transfer")
    assert mark.note.startswith("Sleutel van school") and await ReviewMark.all().count() == 1


async def test_a_note_with_a_bsn_is_refused(console: Console) -> None:
    """A note holding a BSN is not kept: the console writes no pupil identifiers."""
    await push_traffic(console.gateway)
    blocked = next(e for e in await console.gateway.transfers() if e["outcome"] == "blocked")
    async with console.signed_in() as client:
        token = await csrf_token(client, "/fg/te-beoordelen")
        response = await client.post(
            "/fg/te-beoordelen",
            data={
                "csrf": token,
                "soort": "transfer",
                "onderwerp": blocked["id"],
                "notitie": "leerling met BSN 111222333",
            },
        )
    assert response.status_code == 400 and "BSN" in response.text
    assert "111222333" not in response.text
    assert await ReviewMark.all().count() == 0


async def test_new_field_paths_are_in_the_queue(console: Console) -> None:
    """The first transfer's field paths are new: forwarded and stripped paths are queue items."""
    await push_traffic(console.gateway)
    async with console.signed_in() as client:
        page = (await client.get("/fg/te-beoordelen?soort=new_field")).text
    assert "voor het eerst verwijderd bij basispoort" in page
    assert "voor het eerst doorgegeven bij basispoort" in page


async def test_the_register_lists_the_enforced_agreement(console: Console) -> None:
    """The Register shows the shipped agreement in force, what is not yet recorded of it, and
    offers the article-30 export as a CSV holding the agreement."""
    async with console.signed_in() as client:
        page = (await client.get("/fg/register")).text
        export = await client.get("/fg/register/artikel-30")
    assert "OPRON-BASISPOORT versie 2018.1" in page and "van kracht" in page
    assert "nog niet vastgelegd" in page
    assert "Download de artikel-30-export" in page
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert "OPRON-BASISPOORT" in export.content.decode("utf-8-sig")


async def test_access_requests_say_the_index_is_not_there_yet(console: Console) -> None:
    """Without a subject index the page says so; a malformed key is a plain message that does
    not repeat it."""
    state = console.gateway.app.state.console
    state.sources = replace(state.sources, subjects=None)
    async with console.signed_in() as client:
        page = (await client.get("/fg/inzageverzoek")).text
        assert "Zoeken op leerling kan daarom nog niet" in page
        token = await csrf_token(client, "/fg/inzageverzoek")
        bad = await client.post("/fg/inzageverzoek", data={"csrf": token, "leerling": "<b>x y"})
    assert bad.status_code == 400 and "<b>x y" not in bad.text


class OneTransferIndex:
    """A subject index that knows one pupil in one transfer (the seam the evidence log fills)."""

    async def transfers_for(self, pupil: Pupil) -> list[SubjectTransfer]:
        if pupil.value != "LL-000001":
            return []
        return [
            SubjectTransfer(
                "t1",
                datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
                "basispoort",
                "99XX",
                ("leerlingen[].voornaam",),
                "OPRON-BASISPOORT",
                "2018.1",
            )
        ]


async def test_an_access_request_answer_is_a_letter(console: Console) -> None:
    """With a subject index connected, the answer is a letter naming the transfer, in
    Amsterdam time, with the school group's details."""
    state = console.gateway.app.state.console
    state.sources = replace(
        state.sources,
        subjects=OneTransferIndex(),
        organisation=Organisation("Scholengroep OPRON", ("Postbus 1", "9640 AA Veendam")),
    )
    async with console.signed_in() as client:
        token = await csrf_token(client, "/fg/inzageverzoek")
        page = (
            await client.post("/fg/inzageverzoek", data={"csrf": token, "leerling": "LL-000001"})
        ).text
    assert "Antwoord op uw verzoek om inzage" in page
    assert "1 maart 2026, 10:30" in page  # 09:30 UTC is 10:30 in Amsterdam in winter
    assert "Scholengroep OPRON" in page and "<td>voornaam</td>" in page
    # the key is only in the PDF button's form (the page is not cached), not in the letter
    assert page.count("LL-000001") == 1 and 'name="leerling" value="LL-000001"' in page


def pdf_text(body: bytes) -> tuple[int, str]:
    """The number of pages and the text of a PDF, read back by pypdf."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


async def test_the_answer_is_a_pdf_to_send(console: Console, subjects: SubjectIndex) -> None:
    """The letter's PDF, asked by POST, is an attachment named by date only; it reads back as
    the same letter: the school group, each transfer (supplier, Amsterdam time, fields,
    agreement) and the closing, and nowhere the pupil's key."""
    await push_traffic(console.gateway)
    state = console.gateway.app.state.console
    state.sources = replace(
        state.sources,
        organisation=Organisation(
            "Scholengroep OPRON",
            ("Postbus 1", "9640 AA Veendam"),
            "fg@opron.nl",
            None,
            "A. de Vries",
        ),
    )
    found = await subjects.transfers_for(Pupil("leerlingkey", KNOWN_PUPIL))
    assert len(found) == 2
    async with console.signed_in() as client:
        token = await csrf_token(client, "/fg/inzageverzoek")
        form = {"csrf": token, "leerling": KNOWN_PUPIL}
        page = (await client.post("/fg/inzageverzoek", data=form)).text
        assert 'action="/fg/inzageverzoek.pdf"' in page
        response = await client.post("/fg/inzageverzoek.pdf", data=form)
        by_get = await client.get("/fg/inzageverzoek.pdf")
        unknown = await client.post("/fg/inzageverzoek.pdf", data={**form, "leerling": "LL-9"})
        bad = await client.post("/fg/inzageverzoek.pdf", data={**form, "leerling": "<x y>"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    assert re.fullmatch(
        r'attachment; filename="antwoord-inzageverzoek-\d{4}-\d\d-\d\d\.pdf"', disposition
    )
    assert response.headers["cache-control"] == "no-store"
    Path(os.environ.get("POORTWACHTER_PDF", "/dev/null")).write_bytes(response.content)
    pages, text = pdf_text(response.content)
    flat = " ".join(text.split())
    assert pages == 1
    assert "Antwoord op uw verzoek om inzage" in flat and "Dat is 2 keer gebeurd" in flat
    assert "Scholengroep OPRON" in flat and "9640 AA Veendam" in flat and "A. de Vries" in flat
    for t in found:
        assert (
            dutch.day(t.started_at, ZONE) + ", " + f"{t.started_at.astimezone(ZONE):%H:%M}" in flat
        )
    assert flat.count("OPRON-BASISPOORT versie 2018.1") == 2 and "voornaam" in flat
    assert KNOWN_PUPIL not in text and KNOWN_PUPIL.encode() not in response.content
    assert by_get.status_code == 405
    assert unknown.status_code == 200
    assert "geen gegevens over uw kind" in " ".join(pdf_text(unknown.content)[1].split())
    assert bad.status_code == 400 and "<x y>" not in bad.text


class ManyTransfersIndex:
    """A subject index whose one pupil was in ``count`` transfers (for a letter of pages)."""

    def __init__(self, count: int) -> None:
        self.count = count

    async def transfers_for(self, pupil: Pupil) -> list[SubjectTransfer]:
        return [
            SubjectTransfer(
                f"t{n}",
                datetime(2026, 1, 1, 8, 0, tzinfo=UTC) + timedelta(days=n),
                "basispoort",
                "99XX",
                ("leerlingen[].voornaam", "leerlingen[].adres.postcode", "groepen[].naam"),
                "OPRON-BASISPOORT",
                "2018.1",
            )
            for n in range(self.count)
        ]


async def test_a_long_answer_runs_over_pages_with_every_transfer(console: Console) -> None:
    """Eighty transfers fill more than one page; every one of them is in the PDF, with the
    fields in a parent's words."""
    state = console.gateway.app.state.console
    state.sources = replace(state.sources, subjects=ManyTransfersIndex(80))
    async with console.signed_in() as client:
        token = await csrf_token(client, "/fg/inzageverzoek")
        response = await client.post(
            "/fg/inzageverzoek.pdf", data={"csrf": token, "leerling": "LL-000042"}
        )
    pages, text = pdf_text(response.content)
    flat = " ".join(text.split())
    assert pages >= 2 and "Dat is 80 keer gebeurd" in flat
    assert flat.count("OPRON-BASISPOORT versie 2018.1") == 80
    assert "1 januari 2026, 09:00" in flat and "21 maart 2026, 09:00" in flat  # the last
    assert "adres: postcode" in flat and "groepen: naam" in flat


async def test_without_an_index_there_is_no_pdf(console: Console) -> None:
    """Without a subject index the PDF address says so plainly (404), and a POST without the
    form's token is refused before it."""
    state = console.gateway.app.state.console
    state.sources = replace(state.sources, subjects=None)
    async with console.signed_in() as client:
        token = await csrf_token(client, "/fg/inzageverzoek")
        missing = await client.post(
            "/fg/inzageverzoek.pdf", data={"csrf": token, "leerling": "LL-1"}
        )
        forged = await client.post("/fg/inzageverzoek.pdf", data={"leerling": "LL-1"})
    assert missing.status_code == 404 and "nog niet" in missing.text
    assert forged.status_code == 403


async def test_integrity_says_the_log_is_not_signed_yet(console: Console) -> None:
    """Before the first transfer there is no checkpoint yet, and the page says so in Dutch."""
    async with console.signed_in() as client:
        page = (await client.get("/fg/integriteit")).text
    assert "Er is nog geen controlepunt ondertekend." in page
    assert "Het log is nog niet nagerekend." in page


async def test_integrity_shows_the_latest_checkpoint_and_verification(console: Console) -> None:
    """After transfers are sealed and ``verify`` ran: the signed checkpoint (its size, the note
    for an auditor) and the verification's result, from the real sealer and verifier."""
    import asyncio

    from gateway.evidence.sealer import signing_key
    from gateway.evidence.verify import verify

    await push_traffic(console.gateway)
    await console.gateway.app.state.gateway.log.flush()
    source = console.gateway.app.state.console.sources.integrity
    entries = await LogEntry.all().count()
    for _ in range(100):
        checkpoint = await source.latest_checkpoint()
        if checkpoint is not None and checkpoint.size == entries:
            break
        await asyncio.sleep(0.05)
    settings = console.gateway.settings
    signer = signing_key(settings.log_key_file, settings.log_origin, create=False)
    assert (await verify(signer.verifier(), settings.checkpoint_file)).ok
    async with console.signed_in() as client:
        page = (await client.get("/fg/integriteit")).text
    assert checkpoint is not None and f"<dd>{entries}</dd>" in page
    assert "<pre>poortwachter.local/transfer-log\n" in page and checkpoint.root_hash in page
    assert "in orde" in page and f"Alle {entries} verzegelde regels" in page
    first = await TransferRecord.all().order_by("seq").first()
    assert first is not None
    proof = await source.inclusion_proof(first.seq)
    assert proof is not None and proof.leaf_index == 0 and proof.tree_size == entries
