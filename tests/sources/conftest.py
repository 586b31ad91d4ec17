"""Fixtures for the network-source tests: a real loopback HTTP server (helpers/loopback.py) and the fast client.

``client`` is the fast PoliteClient the network sources are tested with (short interval and backoff, so retries
take milliseconds).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpers.loopback import LoopbackServer
from openpapers.sources.http import PoliteClient


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    srv = LoopbackServer()
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture
def client() -> Iterator[PoliteClient]:
    with PoliteClient(min_interval=0.01, backoff_initial=0.01, backoff_max=0.05, max_retries=2,
                      timeout=5.0) as c:
        yield c
