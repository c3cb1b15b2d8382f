"""Shared fixtures for the XML format tests: the shipped schemas, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.formats import xml_profile

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "edexml"


@pytest.fixture(scope="session")
def profiles() -> xml_profile.Profiles:
    return xml_profile.load(ROOT / "schemas")
