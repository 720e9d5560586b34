"""Exponential backoff with full jitter for transient failures (S3 503 SlowDown, resets)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from migrate.errors import TransientError

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 0.2
    max_delay: float = 10.0

    def delay(self, attempt: int) -> float:
        """Full jitter (AWS architecture blog): uniform in [0, min(cap, base * 2**attempt)]."""
        return random.uniform(0, min(self.max_delay, self.base_delay * (2**attempt)))


def call_with_retry(
    fn: Callable[[], T],
    *,
    policy: RetryPolicy | None = None,
    is_transient: Callable[[BaseException], bool] = lambda e: isinstance(e, TransientError),
    what: str = "operation",
) -> T:
    policy = policy or RetryPolicy()
    for attempt in range(policy.attempts):
        try:
            return fn()
        except Exception as exc:
            if attempt + 1 >= policy.attempts or not is_transient(exc):
                raise
            pause = policy.delay(attempt)
            log.warning("%s failed (%s); retry %d/%d in %.2fs", what, type(exc).__name__,
                        attempt + 1, policy.attempts - 1, pause)
            time.sleep(pause)
    raise AssertionError("unreachable")
