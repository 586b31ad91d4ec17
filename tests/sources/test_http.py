"""PoliteClient against a real loopback server: spacing, one connection, retries, Retry-After, give-up."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from openpapers.core.errors import FetchError
from openpapers.sources.http import HttpStatusError, PoliteClient, parse_retry_after

TOLERANCE = 0.05  # arrival times include a little network jitter on top of the spaced request starts


def fast_client(**kw: Any) -> PoliteClient:
    options: dict[str, Any] = {"min_interval": 0.0, "backoff_initial": 0.01, "backoff_max": 0.05,
                               "max_retries": 3, "timeout": 5.0}
    options.update(kw)
    return PoliteClient(**options)


def test_default_interval_is_arxivs_three_seconds() -> None:
    with PoliteClient() as client:
        assert client.min_interval == 3.0


def test_request_starts_are_spaced_and_share_one_connection(server: Any) -> None:
    server.replies(server.Reply(200, "ok"))
    with fast_client(min_interval=0.2) as client:
        started = time.monotonic()
        for i in range(4):
            assert client.get(server.url + "/x", params={"i": i}).text == "ok"
        elapsed = time.monotonic() - started
    assert [h.param("i") for h in server.hits] == ["0", "1", "2", "3"]
    assert all(gap >= 0.2 - TOLERANCE for gap in server.gaps()), server.gaps()
    assert elapsed >= 0.6
    assert len({h.client_port for h in server.hits}) == 1  # keep-alive on the single allowed connection


def test_user_agent_is_sent(server: Any) -> None:
    server.replies(server.Reply(200, "ok"))
    with fast_client(user_agent="openpapers-test/1 (mailto:x@example.org)") as client:
        client.get(server.url + "/")
    assert server.hits[0].headers["user-agent"] == "openpapers-test/1 (mailto:x@example.org)"


def test_503_with_retry_after_seconds_is_honoured(server: Any) -> None:
    server.replies(server.Reply(503, "busy", headers={"Retry-After": "1"}), server.Reply(200, "fine"))
    with fast_client() as client:
        assert client.get(server.url + "/oai").text == "fine"
    assert len(server.hits) == 2
    assert server.gaps()[0] >= 1.0 - TOLERANCE


def test_each_wait_is_announced_with_the_time_it_waits_until(server: Any) -> None:
    server.replies(server.Reply(503, "busy", headers={"Retry-After": "1"}), server.Reply(500, "oops"),
                   server.Reply(200, "fine"))
    said: list[str] = []
    with fast_client(notify=said.append) as client:
        before = datetime.now(UTC)
        assert client.get(server.url + "/oai").text == "fine"
    assert len(said) == 2, said
    first, second = said
    assert first.startswith(f"HTTP 503 from {server.url}/oai: Retry-After asks 1 s; waiting 1.0 s, until ")
    assert first.endswith("UTC (retry 1 of 3)")
    until = datetime.strptime(first.split("until ")[1][:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert before.replace(microsecond=0) + timedelta(seconds=1) <= until <= before + timedelta(seconds=3)
    assert "HTTP 500" in second and "backing off" in second and "(retry 2 of 3)" in second


def test_retry_after_http_date_is_parsed_and_capped(server: Any) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(hours=2), usegmt=True)
    server.replies(server.Reply(429, "slow down", headers={"Retry-After": later}), server.Reply(200, "ok"))
    with fast_client(max_retry_after=0.3) as client:
        started = time.monotonic()
        assert client.get(server.url + "/").text == "ok"
        elapsed = time.monotonic() - started
    # The date asks for two hours; the cap makes it 0.3 s, far more than the 0.01 s backoff would give.
    assert server.gaps()[0] >= 0.3 - TOLERANCE and elapsed < 3


def test_persistent_500_gives_up_with_fetch_error_naming_url(server: Any) -> None:
    server.replies(server.Reply(500, "broken"))
    with fast_client(max_retries=2) as client, pytest.raises(FetchError) as info:
        client.get(server.url + "/api/query", params={"search_query": "all:x"})
    assert len(server.hits) == 3
    message = str(info.value)
    assert f"{server.url}/api/query?search_query=all%3Ax" in message and "HTTP 500" in message
    assert "3 attempt" in message


def test_connection_errors_are_retried_then_reported() -> None:
    with socket.socket() as sock:  # find a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/nothing"
    with fast_client(max_retries=1) as client, pytest.raises(FetchError) as info:
        client.get(url)
    assert url in str(info.value) and "ConnectError" in str(info.value)


def test_client_error_is_not_retried(server: Any) -> None:
    server.replies(server.Reply(404, "no such thing"))
    with fast_client() as client, pytest.raises(HttpStatusError) as info:
        client.get(server.url + "/missing")
    assert len(server.hits) == 1
    assert info.value.status == 404 and info.value.body == b"no such thing"
    assert isinstance(info.value, FetchError)


def test_same_host_redirect_is_followed_and_spaced(server: Any) -> None:
    def handler(hit: Any) -> Any:
        if hit.path == "/old":
            return server.Reply(301, "", headers={"Location": "/new?x=1"})
        return server.Reply(200, "moved here")

    server.handler = handler
    with fast_client(min_interval=0.1) as client:
        response = client.get(server.url + "/old")
    assert response.text == "moved here"
    assert [h.path for h in server.hits] == ["/old", "/new"]
    assert server.gaps()[0] >= 0.1 - TOLERANCE


def test_redirect_to_another_host_is_refused(server: Any) -> None:
    server.replies(server.Reply(302, "", headers={"Location": f"http://localhost:{server.port}/elsewhere"}))
    with fast_client() as client, pytest.raises(FetchError, match="another host"):
        client.get(server.url + "/start")
    assert [h.path for h in server.hits] == ["/start"]


def test_parse_retry_after_forms() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now=now) == 0.0  # in the past: no wait
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
