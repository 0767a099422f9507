"""Fixtures for the simulator tests; the helpers themselves live in estate.py."""

from __future__ import annotations

import pytest
from estate import Estate, make_estate


@pytest.fixture
def estate() -> Estate:
    return make_estate()
