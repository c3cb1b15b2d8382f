"""The answer to an access request (AVG article 15): one letter, as a page and as a PDF.

``compose`` decides what the letter says, in plain Dutch for a parent; the page
(``access_request.html``) and ``pdf`` only lay it out, so the printed page and the PDF to send
say the same. The letter names no pupil: the parent knows whom they asked about, and a letter
that goes astray then tells a stranger nothing about which child it concerns.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from gateway.console import dutch
from gateway.console.sources import Organisation, SubjectTransfer

TITLE = "Antwoord op uw verzoek om inzage"


@dataclass(frozen=True)
class Row:
    """One transfer as the parent reads it."""

    when: str  # "1 maart 2026, 10:30" in the gateway's zone
    supplier: str  # the supplier's name from the register, else its slug
    fields: tuple[str, ...]  # "voornaam", "groep: naam"
    agreement: str  # "OPRON-BASISPOORT versie 2018.1", or a dash


@dataclass(frozen=True)
class Letter:
    organisation: Organisation | None
    dated: str  # "6 december 2026"
    intro: str
    rows: tuple[Row, ...]
    closing: str
    signature: tuple[str, ...]  # the lines under "Met vriendelijke groet,"

    @property
    def sender(self) -> tuple[str, ...]:
        """The school group's lines at the top, the name first (empty without a config)."""
        o = self.organisation
        if o is None:
            return ()
        return (o.name, *o.address, *(s for s in (o.email, o.phone) if s))


def parent_field(path: str) -> str:
    """A logged field path as a parent reads it: ``leerlingen[].voornaam`` is "voornaam",
    ``leerlingen[].adres.postcode`` "adres: postcode", ``groepen[].naam`` "groepen: naam"."""
    parts = [p.removesuffix("[]").replace("_", " ") for p in path.split(".") if p]
    if len(parts) > 1 and parts[0] == "leerlingen":
        parts = parts[1:]
    return ": ".join(parts) or path


def compose(
    found: Sequence[SubjectTransfer],
    organisation: Organisation | None,
    today: date,
    zone: ZoneInfo,
    supplier_names: Mapping[str, str],
) -> Letter:
    """What the letter says about ``found`` (the transfers that held the pupil, oldest first)."""
    intro = (
        "U vroeg welke gegevens over uw kind de school heeft gegeven aan leveranciers van "
        "lesmateriaal. Die gegevens gaan via de Poortwachter: een systeem van de school dat "
        "alleen doorlaat wat in de afspraken met elke leverancier staat. "
    )
    if not found:
        intro += "Er zijn via de Poortwachter geen gegevens over uw kind aan leveranciers gegeven."
    elif len(found) == 1:
        intro += "Dat is één keer gebeurd:"
    else:
        intro += f"Dat is {dutch.number(len(found))} keer gebeurd:"
    rows = []
    for t in found:
        local = t.started_at.astimezone(zone)
        agreement = t.agreement_reference or dutch.NOTHING
        if t.agreement_reference and t.agreement_version:
            agreement += f" versie {t.agreement_version}"
        labels = tuple(dict.fromkeys(parent_field(f) for f in t.fields))
        rows.append(
            Row(
                when=f"{dutch.day(local)}, {local:%H:%M}",
                supplier=supplier_names.get(t.supplier, t.supplier),
                fields=labels,
                agreement=agreement,
            )
        )
    fg_name = organisation.fg_name if organisation else None
    contact = "de functionaris gegevensbescherming"
    if fg_name:
        contact += f", {fg_name}"
    if organisation and organisation.email:
        contact += f", via {organisation.email}"
    closing = (
        "Elke leverancier mag deze gegevens alleen gebruiken voor wat de afspraken met de school "
        "(de verwerkersovereenkomst) toestaan. Heeft u vragen, of wilt u dat gegevens worden "
        f"verbeterd of verwijderd? Neem dan contact op met {contact}."
    )
    signature: tuple[str, ...] = (fg_name or "De functionaris gegevensbescherming",)
    if organisation:
        signature += (organisation.name,)
    return Letter(organisation, dutch.day(today), intro, tuple(rows), closing, signature)


def pdf(letter: Letter) -> bytes:
    """The letter as an A4 PDF (reportlab; standard fonts, so nothing to embed or install)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    body = ParagraphStyle("body", fontName="Helvetica", fontSize=10.5, leading=14.5)
    small = ParagraphStyle("small", parent=body, fontSize=9.5, leading=12.5)
    bold = ParagraphStyle("bold", parent=small, fontName="Helvetica-Bold")
    heading = ParagraphStyle(
        "heading", parent=body, fontName="Helvetica-Bold", fontSize=14, leading=18
    )

    def text(value: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(value), style)

    story: list[Flowable] = []
    sender = letter.sender
    if sender:
        story.append(
            Paragraph(
                "<b>"
                + escape(sender[0])
                + "</b>"
                + "".join("<br/>" + escape(s) for s in sender[1:]),
                body,
            )
        )
        story.append(Spacer(1, 8 * mm))
    story += [text(letter.dated), Spacer(1, 8 * mm), text(TITLE, heading), Spacer(1, 3 * mm)]
    story += [text(letter.intro), Spacer(1, 4 * mm)]
    if letter.rows:
        header = [text(h, bold) for h in ("Datum", "Leverancier", "Gegevens", "Overeenkomst")]
        table = Table(
            [header]
            + [
                [
                    text(r.when, small),
                    text(r.supplier, small),
                    text(", ".join(r.fields), small),
                    text(r.agreement, small),
                ]
                for r in letter.rows
            ],
            colWidths=[30 * mm, 28 * mm, 56 * mm, 42 * mm],
            hAlign="LEFT",
            repeatRows=1,
        )
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.3, colors.grey),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                    ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        story += [table, Spacer(1, 5 * mm)]
    story += [text(letter.closing), Spacer(1, 4 * mm), text("Met vriendelijke groet,")]
    story += [Spacer(1, 3 * mm), Paragraph("<br/>".join(escape(s) for s in letter.signature), body)]

    footer = TITLE + (f" · {letter.organisation.name}" if letter.organisation else "")

    def number_page(canvas: Canvas, document: object) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8.5)
        canvas.setFillColor(colors.grey)
        canvas.drawString(25 * mm, 12 * mm, f"{footer} · pagina {canvas.getPageNumber()}")
        canvas.restoreState()

    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=22 * mm,
        bottomMargin=22 * mm,
        title=TITLE,
        author=letter.organisation.name if letter.organisation else "",
        subject="AVG artikel 15",
        creator="Poortwachter",
    )
    document.build(story, onFirstPage=number_page, onLaterPages=number_page)
    return out.getvalue()
