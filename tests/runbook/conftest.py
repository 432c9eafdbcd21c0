"""A freshly started sandbox for each runbook test, with the faults the test names."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from plbook.sandbox import Sandbox


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """Give a fresh sandbox on the ports environments.yaml names, with the faults the test marks."""
    marker = request.node.get_closest_marker("faults")
    faults = list(marker.args) if marker else []
    with Sandbox(faults=faults) as running:
        yield running
