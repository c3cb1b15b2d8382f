"""The filter the address asks for: parsing, messages, and Amsterdam days in SQL."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from gateway.console.filters import FilterError, TransferFilter, parse
from gateway.console.sql import Sql

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def test_parameters_become_a_filter() -> None:
    """Each parameter lands in its field; the school is upper-cased and checked."""
    selected = parse(
        {
            "leverancier": "basispoort",
            "school": "99xx01",
            "uitkomst": "blocked",
            "van": "2026-03-01",
            "tot": "2026-03-31",
            "veld": "leerlingen[].bsn",
            "rol": "stripped",
            "pagina": "3",
        }
    )
    assert selected == TransferFilter(
        "basispoort",
        "99XX01",
        "blocked",
        date(2026, 3, 1),
        date(2026, 3, 31),
        "leerlingen[].bsn",
        "stripped",
        3,
    )


def test_every_problem_is_named_at_once() -> None:
    """All unusable parameters are listed together, in Dutch, without their values."""
    with pytest.raises(FilterError) as caught:
        parse(
            {
                "school": "X1",
                "uitkomst": "gelukt",
                "van": "2026-13-01",
                "pagina": "0",
                "veld": "a b",
                "zoek": "x",
            }
        )
    text = " ".join(caught.value.messages)
    assert len(caught.value.messages) == 6
    assert "X1" not in text and "gelukt" not in text and "zoek" in text


def test_a_period_that_ends_before_it_begins() -> None:
    """``tot`` before ``van`` is refused."""
    with pytest.raises(FilterError):
        parse({"van": "2026-03-02", "tot": "2026-03-01"})


def test_days_are_amsterdam_days() -> None:
    """The last Sunday of March is 23 hours in Amsterdam: from 23:00 UTC to 22:00 UTC."""
    sql = Sql("postgres")
    where = TransferFilter(first_day=date(2026, 3, 29), last_day=date(2026, 3, 29)).where(
        sql, AMSTERDAM
    )
    assert where == "t.started_at >= $1 AND t.started_at < $2"
    start, end = sql.params
    assert start.isoformat() == "2026-03-28T23:00:00+00:00"
    assert end.isoformat() == "2026-03-29T22:00:00+00:00"


def test_the_query_round_trips() -> None:
    """A filter's address parameters parse back to the same filter."""
    selected = TransferFilter(supplier="basispoort", field="school.brin", role="forwarded", page=2)
    assert parse(selected.query()) == selected
    assert "rol" not in TransferFilter(role="stripped").query()  # a role needs a field
