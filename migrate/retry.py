"""Retries of transient failures (S3 503 SlowDown, resets, timeouts): bounded twice, and counted.

The retry budget, per request and per store:

- one request: at most ``RetryPolicy.attempts`` tries (6), pausing a uniform random time in
  [0, min(10 s, 0.2 s x 2^n)] before try n+1 (full jitter: clients that failed together do not come
  back together), and no new try once ``RetryPolicy.deadline`` (300 s) has passed since the first.
  A refused or timed-out connection is tried at most ``connect_attempts`` times (2): a dead endpoint
  fails within seconds, naming the endpoint.
- one store (all requests of one S3 store in one process): a retry quota, the token bucket of the AWS
  SDKs. It holds ``RetryBudget.capacity`` (500) tokens; a retry takes 5 (10 after a timeout or a
  dropped connection, which cost the server more); every request that succeeds puts 1 back. An empty
  quota stops retries: requests fail at their first transient error (the file is marked failed and the
  next run picks it up) instead of hammering an endpoint that is already failing. So a store never
  makes more than 100 retries beyond what its successes earn back.

Every retry is counted by reason in ``STATS`` (this process), and so are requests refused a retry by
an empty quota; the engine reports a run's counts in ``DatasetReport.retries`` and the run summary.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from migrate.errors import TransientError

T = TypeVar("T")
log = logging.getLogger(__name__)

# Reasons a failure is retried (the keys of the counts), as ``classify`` functions name them.
THROTTLED = "throttled"  # 503 SlowDown, 429 and the like: the server asks us to slow down
SERVER_ERROR = "server_error"  # other 5xx
TIMEOUT = "timeout"  # no answer within the read timeout
CONNECTION = "connection"  # reset, closed or truncated mid-request/answer
CONNECT = "connect"  # refused / connect timeout: tried at most ``connect_attempts`` times
BUDGET_EXHAUSTED = "budget_exhausted"  # not retried: the store's quota was empty
EXPENSIVE = frozenset({TIMEOUT, CONNECTION, CONNECT})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 0.2
    max_delay: float = 10.0
    deadline: float = 300.0  # seconds since the first try after which no new try starts
    connect_attempts: int = 2

    def delay(self, attempt: int) -> float:
        """Full jitter (AWS architecture blog): uniform in [0, min(cap, base * 2**attempt)]."""
        return random.uniform(0, min(self.max_delay, self.base_delay * (2**attempt)))


class RetryBudget:
    """The retry quota of one store (module doc): thread-safe token bucket."""

    capacity = 500
    retry_cost = 5
    expensive_cost = 10  # after a timeout or a dropped connection
    refund = 1

    def __init__(self) -> None:
        self._tokens = self.capacity
        self._lock = threading.Lock()

    @property
    def tokens(self) -> int:
        return self._tokens

    def take(self, reason: str) -> bool:
        """Room for one more retry after a failure of ``reason``? Takes its cost if so."""
        cost = self.expensive_cost if reason in EXPENSIVE else self.retry_cost
        with self._lock:
            if self._tokens < cost:
                return False
            self._tokens -= cost
            return True

    def succeeded(self) -> None:
        if self._tokens < self.capacity:
            with self._lock:
                self._tokens = min(self.capacity, self._tokens + self.refund)


class RetryStats:
    """Retries by reason in this process (thread-safe); ``snapshot`` and ``since`` give a run's share."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, reason: str, n: int = 1) -> None:
        with self._lock:
            self._counts[reason] += n

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def since(self, before: dict[str, int]) -> dict[str, int]:
        """Counts added after ``before`` (a snapshot), zeros left out."""
        now = self.snapshot()
        return {k: v - before.get(k, 0) for k, v in sorted(now.items()) if v - before.get(k, 0)}


STATS = RetryStats()


def merge_counts(*counts: dict[str, int]) -> dict[str, int]:
    out: Counter[str] = Counter()
    for c in counts:
        out.update(c)
    return dict(sorted((k, v) for k, v in out.items() if v))


def retries_total(report: dict[str, Any]) -> int:
    """Retries a dataset's run made (the requests refused one by the spent retry quota not included)."""
    return sum(v for k, v in (report.get("retries") or {}).items() if k != BUDGET_EXHAUSTED)


def retries_text(retries: dict[str, int]) -> str:
    """``12 retries (throttled 8, connection 4)``; requests left unretried by a spent quota named apart."""
    done = {k: v for k, v in retries.items() if k != BUDGET_EXHAUSTED}
    text = f"{sum(done.values()):,} retries of transient failures (" + ", ".join(
        f"{k.replace('_', ' ')} {v:,}" for k, v in sorted(done.items())) + ")" if done else ""
    spent = retries.get(BUDGET_EXHAUSTED)
    if spent:
        text += ("; " if text else "") + f"{spent:,} failure(s) not retried: the retry quota was spent"
    return text


def _default_classify(exc: BaseException) -> str | None:
    return SERVER_ERROR if isinstance(exc, TransientError) else None


def call_with_retry(
    fn: Callable[[], T],
    *,
    policy: RetryPolicy | None = None,
    is_transient: Callable[[BaseException], bool] | None = None,
    classify: Callable[[BaseException], str | None] | None = None,
    budget: RetryBudget | None = None,
    what: str = "operation",
) -> T:
    """``fn()``, retried on transient failures within the policy and the budget (module doc).

    ``classify`` names the reason a failure may be retried (None: never); ``is_transient`` is the
    older yes/no form (a yes counts as a server error).
    """
    policy = policy or RetryPolicy()
    if classify is None:
        check = is_transient
        classify = _default_classify if check is None else (lambda e: SERVER_ERROR if check(e) else None)
    started = time.monotonic()
    connects = 0
    attempt = 0
    while True:
        try:
            result = fn()
        except Exception as exc:
            reason = classify(exc)
            if reason is None:
                raise
            connects += reason == CONNECT
            attempt += 1
            if (attempt >= policy.attempts or (reason == CONNECT and connects >= policy.connect_attempts)
                    or time.monotonic() - started >= policy.deadline):
                raise
            if budget is not None and not budget.take(reason):
                STATS.add(BUDGET_EXHAUSTED)
                log.warning("%s failed (%s); not retried: the store's retry quota is spent", what, reason)
                raise
            STATS.add(reason)
            pause = policy.delay(attempt - 1)
            log.warning("%s failed (%s: %s); retry %d/%d in %.2fs", what, reason, type(exc).__name__,
                        attempt, policy.attempts - 1, pause)
            time.sleep(pause)
            continue
        if budget is not None:
            budget.succeeded()
        return result
