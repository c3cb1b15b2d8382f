"""Unusual volumes: at least three times a supplier's usual day."""

from __future__ import annotations

from datetime import date, timedelta

from gateway.console.review import unusual

DAY = date(2026, 3, 31)


def history(days: int, per_day: tuple[int, int]) -> dict[date, tuple[int, int]]:
    return {DAY - timedelta(days=n): per_day for n in range(1, days + 1)}


def test_three_times_the_median_is_unusual() -> None:
    """Ten a day for four weeks, then thirty: flagged, with its usual."""
    per_day = {**history(28, (10, 100)), DAY: (30, 100)}
    (found,) = unusual("basispoort", per_day, [DAY])
    assert (found.transfers, found.usual_transfers) == (30, 10)


def test_just_under_is_not() -> None:
    """Twenty-nine against ten is not three times."""
    assert unusual("basispoort", {**history(28, (10, 100)), DAY: (29, 299)}, [DAY]) == []


def test_pupils_count_too() -> None:
    """As many transfers as usual but three times the pupils is unusual."""
    assert unusual("basispoort", {**history(28, (10, 100)), DAY: (10, 300)}, [DAY])


def test_a_new_supplier_has_no_usual_yet() -> None:
    """With fewer than seven days since its first transfer nothing is usual."""
    assert unusual("basispoort", {**history(5, (1, 1)), DAY: (50, 50)}, [DAY]) == []
