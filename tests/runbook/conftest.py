"""A freshly started sandbox for each runbook test, on free ports, with the faults it names."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from plbook.sandbox import Sandbox, SandboxPorts
from plbook.sandbox.addresses import free_ports
from plbook.sandbox.ports import PORTS_VARIABLE, ports_spec


@pytest.fixture
def sandbox(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """Give a fresh sandbox with the faults the test marks; `plbook run` follows its ports."""
    marker = request.node.get_closest_marker("faults")
    faults = list(marker.args) if marker else []
    ports = SandboxPorts(*free_ports(4))
    # Free ports, so these tests run beside anyone's sandbox on the default ones.
    monkeypatch.setenv(PORTS_VARIABLE, ports_spec(ports))
    with Sandbox(faults=faults, ports=ports) as running:
        yield running
