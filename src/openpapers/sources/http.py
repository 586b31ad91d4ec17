"""A polite HTTP client for the network sources: one connection, spaced requests, patient retries.

arXiv's terms of use ask harvesters for *one* connection and no more than one request every three seconds, and
both arXiv services answer overload with ``503`` + ``Retry-After``. Breaking those rules gets the whole host
blocked, so every network source goes through :class:`PoliteClient` instead of calling httpx directly:

* request *starts* are at least ``min_interval`` seconds apart (monotonic clock; retries and redirects too);
* ``429``, ``408`` and ``5xx`` answers and connection failures are retried with exponential backoff
  (tenacity), waiting at least as long as the server's ``Retry-After`` asks (seconds or an HTTP date,
  capped so a bogus header cannot stall a run for hours);
* every wait before a retry is announced (``notify``; the CLI prints it): what the server answered, whether it
  sent ``Retry-After``, how long the client waits and until when (UTC), so a harvest obeying a long
  ``503 Retry-After`` is visibly waiting rather than hung;
* redirects are followed only within the same host: a redirect elsewhere is an error, never a silent hop;
* after the last attempt a :class:`~openpapers.core.errors.FetchError` names the URL and the last failure.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any

import httpx
import tenacity

from openpapers import __version__
from openpapers.core.errors import FetchError

DEFAULT_USER_AGENT = f"openpapers/{__version__} (self-hosted research-paper index; polite harvester)"
RETRY_STATUSES = frozenset({408, 429, *range(500, 600)})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 5
_log = logging.getLogger(__name__)


class HttpStatusError(FetchError):
    """The server answered with a status that is not worth retrying (e.g. ``400``).

    Keeps the status and body because some services (the arXiv API) explain the refusal in the body, and the
    caller can turn that into a clearer message.
    """

    def __init__(self, message: str, *, url: str, status: int, body: bytes) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.body = body


class _Retryable(Exception):
    """Internal: one failed attempt that deserves another; ``retry_after`` is the server's wish, if any."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait per a ``Retry-After`` header (delta-seconds or HTTP date); None if unusable."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP dates are GMT by definition
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class PoliteClient:
    """Rate-limited, retrying GET client over a single httpx connection; use it as a context manager.

    ``min_interval`` defaults to arXiv's 3 seconds. Tests pass small intervals, backoffs and caps so they run
    fast, but the spacing logic is the same one production uses.
    """

    def __init__(
        self,
        min_interval: float = 3.0,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: float = 60.0,
        max_retries: int = 5,
        *,
        backoff_initial: float = 5.0,
        backoff_max: float = 120.0,
        max_retry_after: float = 600.0,
        headers: Mapping[str, str] | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        if min_interval < 0 or max_retries < 0:
            raise ValueError("min_interval and max_retries must not be negative")
        self.min_interval = min_interval
        self.max_retries = max_retries
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.max_retry_after = max_retry_after
        self.notify = notify or _log.warning
        self._lock = threading.Lock()
        self._last_start: float | None = None
        self.request_count = 0
        self._client = httpx.Client(
            headers={"User-Agent": user_agent, **(headers or {})},
            timeout=timeout,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            follow_redirects=False,  # we follow same-host redirects ourselves, throttled
        )

    # -- context manager -------------------------------------------------------------------------------------
    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # -- requests --------------------------------------------------------------------------------------------
    def get(self, url: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        """GET ``url`` politely; return the final 2xx response or raise :class:`FetchError`.

        Non-retryable error statuses raise :class:`HttpStatusError` at once (carrying the body); retryable
        ones and connection errors are retried up to ``max_retries`` times before giving up.
        """
        full_url = str(httpx.URL(url, params=dict(params) if params else None))
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Retryable),
            stop=tenacity.stop_after_attempt(self.max_retries + 1),
            wait=self._wait,
            before_sleep=self._announce,
            reraise=False,
        )
        try:
            return retrying(self._attempt, full_url)
        except tenacity.RetryError as exc:
            last = exc.last_attempt.exception()
            reason = last.reason if isinstance(last, _Retryable) else repr(last)
            attempts = exc.last_attempt.attempt_number
            raise FetchError(f"GET {full_url} failed after {attempts} attempt(s): {reason}") from None

    def _wait(self, retry_state: tenacity.RetryCallState) -> float:
        """Exponential backoff with jitter, but never shorter than the (capped) ``Retry-After`` sent."""
        backoff = min(self.backoff_max, self.backoff_initial * 2 ** (retry_state.attempt_number - 1))
        backoff *= 1 + random.random() * 0.25
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        asked = exc.retry_after if isinstance(exc, _Retryable) else None
        if asked is not None:
            return max(min(asked, self.max_retry_after), min(backoff, self.max_retry_after))
        return backoff

    def _announce(self, retry_state: tenacity.RetryCallState) -> None:
        """Say that we wait, why and until when, before tenacity sleeps (a 503 can ask for minutes)."""
        seconds = retry_state.next_action.sleep if retry_state.next_action else 0.0
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        reason = exc.reason if isinstance(exc, _Retryable) else repr(exc)
        asked = exc.retry_after if isinstance(exc, _Retryable) else None
        why = f"Retry-After asks {asked:.0f} s" if asked is not None else "backing off"
        until = datetime.now(UTC) + timedelta(seconds=seconds)
        self.notify(f"{reason}: {why}; waiting {seconds:.1f} s, until {until:%Y-%m-%d %H:%M:%S} UTC "
                    f"(retry {retry_state.attempt_number} of {self.max_retries})")

    def _throttle(self) -> None:
        """Sleep until ``min_interval`` has passed since the previous request *start*; mark this one."""
        with self._lock:
            if self._last_start is not None:
                delay = self._last_start + self.min_interval - time.monotonic()
                while delay > 0:
                    time.sleep(delay)
                    delay = self._last_start + self.min_interval - time.monotonic()
            self._last_start = time.monotonic()
            self.request_count += 1

    def _attempt(self, url: str) -> httpx.Response:
        """One attempt, following same-host redirects (each hop is a throttled request of its own)."""
        current = httpx.URL(url)
        origin = current.host
        for _hop in range(_MAX_REDIRECTS + 1):
            self._throttle()
            try:
                response = self._client.get(current)
            except httpx.TransportError as exc:
                raise _Retryable(f"{type(exc).__name__}: {exc}") from exc
            status = response.status_code
            if status in _REDIRECTS and "location" in response.headers:
                target = current.join(response.headers["location"])
                if target.host != origin:
                    raise FetchError(f"GET {url} redirected to another host ({target}); not following")
                current = target
                continue
            if status in RETRY_STATUSES:
                raise _Retryable(f"HTTP {status} from {current}",
                                 parse_retry_after(response.headers.get("retry-after")))
            if status >= 400:
                raise HttpStatusError(f"GET {current} answered HTTP {status}", url=str(current),
                                      status=status, body=response.content)
            return response
        raise FetchError(f"GET {url}: more than {_MAX_REDIRECTS} redirects")
