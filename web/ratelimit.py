"""Rate limits on sign-in and search: an in-process token bucket per client.

API searches are counted per token (its public id), page searches per session
person (or address when signed out), sign-in per address, and API requests with an
unknown, expired or revoked token per address (:func:`check_bad_token`: past
:data:`BAD_TOKENS_PER_MINUTE` failures an address gets 429 for every token until its
bucket refills, so tokens cannot be guessed at speed).  A bucket holds up to
the per-minute rate and refills continuously; an empty one answers 429 with
``Retry-After``.  The table of buckets is bounded (oldest forgotten first).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from flask import Flask, current_app, request, session

from web.errors import RateLimited

MAX_BUCKETS = 10_000
BAD_TOKENS_PER_MINUTE = 30.0


class TokenBuckets:
    """Buckets of ``per_minute`` tokens, one per key; thread-safe."""

    def __init__(self, per_minute: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = per_minute
        self.refill = per_minute / 60.0
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Spend one token of ``key``'s bucket: 0 if allowed, else seconds until one is back."""
        now = self.clock()
        with self._lock:
            level, since = self._buckets.pop(key, (self.capacity, now))
            level = min(self.capacity, level + (now - since) * self.refill)
            wait = 0.0 if level >= 1 else (1 - level) / self.refill
            self._buckets[key] = (level - 1 if wait == 0 else level, now)
            while len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)
        return wait

    def blocked(self, key: str) -> float:
        """Seconds until ``key`` has a token again (0: it has one); spends nothing."""
        now = self.clock()
        with self._lock:
            level, since = self._buckets.get(key, (self.capacity, now))
        level = min(self.capacity, level + (now - since) * self.refill)
        return 0.0 if level >= 1 else (1 - level) / self.refill


def _address() -> str:
    return f"ip:{request.remote_addr or '-'}"


def _token_or_address() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.startswith("qs_"):
        return "token:" + token[3:].partition("_")[0]  # the public id, never the secret
    return _address()


def _session_or_address() -> str:
    person = session.get("person")
    return f"session:{person}" if person else _address()


# endpoint -> (bucket, whose bucket)
LIMITED: dict[str, tuple[str, Callable[[], str]]] = {
    "pages.signin_post": ("signin", _address),
    "api.search": ("search", _token_or_address),
    "api.experts": ("search", _token_or_address),
    "pages.search": ("search", _session_or_address),
}


def check_rate_limit() -> None:
    """Before-request hook: spend a token of the request's bucket, or refuse with 429."""
    limit = LIMITED.get(request.endpoint or "")
    buckets: dict[str, TokenBuckets] = current_app.extensions["quisait_rate_limits"]
    if limit is None or limit[0] not in buckets:
        return
    name, key = limit
    wait = buckets[name].take(key())
    if wait:
        raise RateLimited(f"too many {name} requests; try again in {math.ceil(wait)} s",
                          retry_after=math.ceil(wait))


def check_bad_token(failed: bool) -> None:
    """Around token verification: refuse (429) an address that sent too many bad tokens;
    with ``failed``, count one more for it first."""
    buckets: dict[str, TokenBuckets] = current_app.extensions.get("quisait_rate_limits", {})
    if "bad_token" not in buckets:
        return
    key = _address()
    wait = buckets["bad_token"].take(key) if failed else buckets["bad_token"].blocked(key)
    if wait:
        raise RateLimited(f"too many requests with a bad token from this address; try again "
                          f"in {math.ceil(wait)} s", retry_after=math.ceil(wait))


def configure_rate_limits(app: Flask, signin_per_minute: float,
                          search_per_minute: float) -> None:
    """Buckets for the rates that are on (0: no limit) and the hook that spends them; the
    bad-token limit is on whenever sign-in is limited."""
    rates = {"signin": signin_per_minute, "search": search_per_minute,
             "bad_token": BAD_TOKENS_PER_MINUTE if signin_per_minute > 0 else 0}
    app.extensions["quisait_rate_limits"] = {
        name: TokenBuckets(rate) for name, rate in rates.items() if rate > 0}
    app.before_request(check_rate_limit)
