"""Times and numbers as an Amsterdam reader reads them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from gateway.console import dutch

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def test_a_moment_in_summer_and_winter() -> None:
    """UTC noon is 14:00 in July and 13:00 in January in Amsterdam."""
    assert dutch.moment(datetime(2026, 7, 1, 12, tzinfo=UTC), AMSTERDAM) == "1 juli 2026 14:00:00"
    assert (
        dutch.moment(datetime(2026, 1, 1, 12, tzinfo=UTC), AMSTERDAM) == "1 januari 2026 13:00:00"
    )


def test_a_short_moment_for_lists() -> None:
    """Lists show minutes and a three-letter month."""
    value = datetime(2026, 9, 3, 12, 5, 9, tzinfo=UTC)
    assert dutch.short_moment(value, AMSTERDAM) == "3 sep 2026 14:05"


def test_a_late_utc_evening_is_the_next_amsterdam_day() -> None:
    """23:30 UTC on 31 December is New Year's Day in Amsterdam."""
    assert dutch.day(datetime(2025, 12, 31, 23, 30, tzinfo=UTC), AMSTERDAM) == "1 januari 2026"
    assert dutch.day(date(2026, 5, 3)) == "3 mei 2026"


def test_numbers_group_with_dots() -> None:
    """Thousands with a dot, a fraction with a comma, nothing as a dash."""
    assert dutch.number(1234567) == "1.234.567"
    assert dutch.number(2.5) == "2,5"
    assert dutch.number(None) == dutch.NOTHING


def test_the_logs_placeholders_are_spelled_out() -> None:
    """Stripped query parameters and unknown keys read as what they are."""
    assert dutch.field_label("?*") == "queryparameters"
    assert "kent" in dutch.field_label("leerlingen[].*")
    assert dutch.field_label("leerlingen[].bsn") == "leerlingen[].bsn"
