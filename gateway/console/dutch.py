"""The console's Dutch: labels for the log's words, and times as an Amsterdam reader reads them.

The log keeps UTC and English codes; the FG reads Dutch and Amsterdam time. A date the FG
types means an Amsterdam day, from its midnight to the next (23 or 25 hours when the clocks
change).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)

OUTCOMES = {
    "forwarded": "doorgegeven",
    "blocked": "geblokkeerd",
    "rejected": "geweigerd",
    "upstream_error": "fout bij leverancier",
    "pending": "onderweg",
    "unknown": "onbekend",
}

# What happened to a field in a transfer.
ROLES = {
    "forwarded": "doorgegeven",
    "stripped": "verwijderd",
    "invalid": "ongeldig",
    "inspected": "identificatie gevonden",
}

# Kinds of identifier content inspection finds, and of broken value rules.
KINDS = {
    "bsn": "BSN",
    "iban": "IBAN (rekeningnummer)",
    "eckid": "ECK iD",
    "email": "e-mailadres",
    "phone": "telefoonnummer",
    "type": "verkeerd soort waarde",
    "enum": "niet een van de toegestane waarden",
    "length": "te lang of te kort",
    "pattern": "verkeerde vorm",
    "format": "verkeerd formaat",
    "range": "buiten het toegestane bereik",
    "profile": "voldoet niet aan het UWLR-profiel",
}

CATEGORIES = {
    "bsn": "BSN",
    "religion": "godsdienst",
    "health": "gezondheid",
    "nationality": "nationaliteit of herkomst",
}

AGREEMENT_STATUS = {
    "draft": "concept",
    "pending": "nog niet ingegaan",
    "active": "van kracht",
    "expired": "verlopen",
    "suspended": "opgeschort",
    "terminated": "beëindigd",
}

PROBLEMS = {
    "unauthenticated": "geen geldige sleutel",
    "forbidden": "sleutel mag dit niet",
    "unknown-supplier": "onbekende leverancier",
    "missing-school": "school ontbreekt",
    "school-not-allowed": "sleutel mag niet voor deze school",
    "school-mismatch": "gegevens noemen een andere school",
    "permission-withdrawn": "school trok toestemming in",
    "no-agreement": "geen overeenkomst van kracht",
    "route-not-covered": "overeenkomst dekt dit verzoek niet",
    "invalid-values": "ongeldige waarden, overeenkomst zegt weigeren",
    "forbidden-content": "identificatie gevonden, overeenkomst zegt weigeren",
    "unsupported-media-type": "geen JSON",
    "malformed-body": "onleesbare gegevens",
    "body-too-large": "te groot",
    "too-many-values": "te veel records of waarden",
    "bad-path": "ongeldig pad",
    "bad-query": "onleesbare query",
    "upstream-unreachable": "leverancier onbereikbaar",
    "upstream-timeout": "leverancier antwoordde niet op tijd",
    "log-unavailable": "log niet beschikbaar, niets verstuurd",
    "internal-error": "interne fout, niets verstuurd",
    "rate-limited": "te veel verzoeken",
    "malformed-request": "onleesbaar verzoek",
    "unsafe-xml": "onveilige of te grote XML",
    "invalid-document": "XML voldoet niet aan het profiel, overeenkomst zegt weigeren",
    "bad-school-year": "ongeldig schooljaar",
    "bad-xsd-version": "ongeldige xsdversie",
    "las-fault": "LAS antwoordde met een SOAP-fout",
    "no-source": "geen LAS voor deze school ingesteld",
}

NOTHING = "\u2013"  # an en dash: no value
QUERY_STRIPPED = "?*"  # gateway.transfer.record: query parameters, counted but never named


def field_label(path: str) -> str:
    """A stripped path as the FG reads it: the log's two placeholders spelled out."""
    if path == QUERY_STRIPPED:
        return "queryparameters"
    if path.endswith(".*") or path == "*":
        return f"{path} (velden die het schema niet kent)"
    return path


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """Midnight at the start of ``day`` in ``zone``, as an aware moment."""
    return datetime.combine(day, time.min, tzinfo=zone)


def day_range(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """From the start of ``first`` to the start of the day after ``last``, in ``zone``."""
    return day_start(first, zone), day_start(last + timedelta(days=1), zone)


def moment(value: datetime | None, zone: ZoneInfo) -> str:
    """``3 mei 2025 14:05:09`` in ``zone``."""
    if value is None:
        return NOTHING
    local = value.astimezone(zone)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year} {local:%H:%M:%S}"


def short_moment(value: datetime | None, zone: ZoneInfo) -> str:
    """``3 mei 2025 14:05`` (``3 sep 2025 14:05``): for lists, where seconds crowd."""
    if value is None:
        return NOTHING
    local = value.astimezone(zone)
    return f"{local.day} {MONTHS[local.month - 1][:3]} {local.year} {local:%H:%M}"


def day(value: date | datetime | None, zone: ZoneInfo | None = None) -> str:
    """``3 mei 2025``; a moment is first put in ``zone``."""
    if value is None:
        return NOTHING
    if isinstance(value, datetime):
        value = value.astimezone(zone).date() if zone else value.date()
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def number(value: int | float | None) -> str:
    """``12.345``: Dutch digit grouping; a fraction with a comma."""
    if value is None:
        return NOTHING
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{int(value):,}".replace(",", ".")
