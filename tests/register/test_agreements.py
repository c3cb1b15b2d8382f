"""Unit tests for gateway.agreements: agreement status on a day and route matching."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time

import pytest

from gateway.register.agreements import Agreement, Lifecycle, Route, Status
from gateway.register.policy import FieldPolicy
from gateway.register.schools import SchoolScope


def route(method: str = "POST", path: str = "/sync") -> Route:
    return Route(
        method=method,
        path=path,
        payload="las-sync",
        policy=FieldPolicy.from_paths(["leerlingen[].voornaam"]),
        query=frozenset(),
        special_categories=(),
    )


def agreement(
    valid_from: date = date(2026, 1, 1),
    valid_until: date | None = date(2026, 12, 31),
    lifecycle: Lifecycle | None = None,
    routes: tuple[Route, ...] = (),
) -> Agreement:
    return Agreement(
        supplier="basispoort",
        supplier_name="Basispoort",
        reference="OPRON-BASISPOORT",
        version="2026.1",
        signed=date(2025, 12, 1),
        valid_from=valid_from,
        valid_until=valid_until,
        lifecycle=lifecycle,
        schools=SchoolScope.of("all"),
        purposes=("single sign-on",),
        legal_basis="AVG art. 6(1)(e)",
        retention="as long as the school uses it",
        sub_processors=(),
        routes=routes,
        source="contracts/basispoort.yaml",
    )


def test_pending_before_valid_from() -> None:
    """Before valid_from the agreement is pending."""
    assert agreement().status_on(date(2025, 12, 31)) is Status.PENDING


@pytest.mark.parametrize("day", [date(2026, 1, 1), date(2026, 6, 15), date(2026, 12, 31)])
def test_active_between_inclusive_ends(day: date) -> None:
    """From valid_from through valid_until, both days included, the agreement is active."""
    assert agreement().status_on(day) is Status.ACTIVE


def test_expired_after_valid_until() -> None:
    """The day after valid_until the agreement is expired."""
    assert agreement().status_on(date(2027, 1, 1)) is Status.EXPIRED


def test_open_ended_never_expires() -> None:
    """Without valid_until the agreement stays active indefinitely."""
    assert agreement(valid_until=None).status_on(date(2999, 1, 1)) is Status.ACTIVE


@pytest.mark.parametrize("status", [Status.SUSPENDED, Status.TERMINATED])
def test_lifecycle_applies_from_since_on(status: Status) -> None:
    """A suspension or termination applies from its `since` day on, and not the day before."""
    terms = agreement(lifecycle=Lifecycle(status, date(2026, 6, 1), "breach"))
    assert terms.status_on(date(2026, 5, 31)) is Status.ACTIVE
    assert terms.status_on(date(2026, 6, 1)) is status
    assert terms.status_on(date(2026, 12, 31)) is status


def test_lifecycle_overrides_expiry() -> None:
    """After valid_until a terminated agreement reports terminated, not expired."""
    terms = agreement(lifecycle=Lifecycle(Status.TERMINATED, date(2026, 6, 1), "ended early"))
    assert terms.status_on(date(2027, 6, 1)) is Status.TERMINATED


def test_status_values_are_the_logged_strings() -> None:
    """Status members compare equal to their lower-case names."""
    assert Status.ACTIVE == "active"
    assert Status.SUSPENDED == "suspended"


def test_label_names_reference_and_version() -> None:
    """The label is the reference followed by `v<version>`."""
    assert agreement().label == "OPRON-BASISPOORT v2026.1"


def test_route_matches_exact_path() -> None:
    """A route matches its own method and path, with or without a trailing slash."""
    sync = route("POST", "/sync")
    assert sync.matches("POST", "/sync")
    assert sync.matches("POST", "/sync/")


@pytest.mark.parametrize("path", ["/sync/extra", "/syncx", "/api/sync", "sync", "/SYNC", "/sync//"])
def test_route_does_not_match_other_paths(path: str) -> None:
    """Other paths, longer paths, prefixes and different case do not match."""
    assert not route("POST", "/sync").matches("POST", path)


@pytest.mark.parametrize("method", ["PUT", "GET", "post"])
def test_route_method_must_match(method: str) -> None:
    """A route matches only its own method, exactly."""
    assert not route("POST", "/sync").matches(method, "/sync")


def test_route_template_trailing_slash_is_optional() -> None:
    """A template written with a trailing slash matches the path without one too."""
    sync = route("POST", "/sync/")
    assert sync.matches("POST", "/sync")
    assert sync.matches("POST", "/sync/")


def test_route_parameters_match_one_segment() -> None:
    """`{param}` matches exactly one non-empty path segment."""
    pupil = route("GET", "/scholen/{brin}/leerlingen/{key}")
    assert pupil.matches("GET", "/scholen/99XX/leerlingen/LL-000123")
    assert pupil.matches("GET", "/scholen/99XX/leerlingen/LL-000123/")
    assert not pupil.matches("GET", "/scholen/99XX/leerlingen")
    assert not pupil.matches("GET", "/scholen//leerlingen/LL-1")
    assert not pupil.matches("GET", "/scholen/99XX/01/leerlingen/LL-1")
    assert not pupil.matches("GET", "/scholen/99XX/leerlingen/LL-1/extra")


def test_route_literal_segments_are_not_regex() -> None:
    """Characters like `.` in a literal segment match only themselves."""
    export = route("GET", "/export.json")
    assert export.matches("GET", "/export.json")
    assert not export.matches("GET", "/exportxjson")


def test_root_route() -> None:
    """The template `/` matches the root, with or without the slash, and nothing else."""
    root = route("GET", "/")
    assert root.matches("GET", "/")
    assert root.matches("GET", "")
    assert not root.matches("GET", "/sync")


def test_route_for_picks_the_matching_route() -> None:
    """route_for returns the route matching method and path, or None."""
    post, put = route("POST", "/sync"), route("PUT", "/sync")
    terms = agreement(routes=(post, put))
    assert terms.route_for("PUT", "/sync") is put
    assert terms.route_for("POST", "/sync/") is post
    assert terms.route_for("DELETE", "/sync") is None


def test_agreement_is_immutable() -> None:
    """An agreement cannot be changed after it is built."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        agreement().valid_until = None  # type: ignore[misc]


def test_a_draft_is_never_active() -> None:
    """A draft lets nothing through, whatever its dates say."""
    draft = dataclasses.replace(agreement(), draft=True)
    assert draft.status_on(date(2026, 6, 1)) is Status.DRAFT


def test_expiry_at_a_moment_takes_effect_at_that_second() -> None:
    """valid_until with a time: active one second before, expired at the second itself."""
    ending = dataclasses.replace(agreement(), until_time=time(17, 0))
    assert ending.status_at(datetime(2026, 12, 31, 16, 59, 59)) is Status.ACTIVE
    assert ending.status_at(datetime(2026, 12, 31, 17, 0, 0)) is Status.EXPIRED


def test_a_valid_until_day_lasts_through_its_last_second() -> None:
    """valid_until a date: active at 23:59:59 that day, expired at midnight after it."""
    day = agreement()
    assert day.status_at(datetime(2026, 12, 31, 23, 59, 59, 999999)) is Status.ACTIVE
    assert day.status_at(datetime(2027, 1, 1, 0, 0, 0)) is Status.EXPIRED
