"""Rate limits on sign-in, search and people's writes: an in-process token bucket per
client.

Searches are charged after authentication, to the verified token (its public id) on
the API and to the signed-in person on pages (the address when signed out), so a
forged token naming someone's token id spends nothing of theirs.  Sign-in is
counted per address, and so are API requests with an unknown, expired or revoked
token (:func:`count_bad_token`: past :data:`BAD_TOKENS_PER_MINUTE` failures, the
address's bad tokens get 429 instead of 401 until its bucket refills; a valid token
is never refused, so a flood of bad tokens from a shared address or proxy locks
nobody out).  People's writes (feedback votes, follows and notification settings,
introductions, which send mail, profile changes, official marks) share one bucket per
person, pages and API alike (a second token buys no second quota); connectors' bulk
ingestion and KM curation are not counted here.  Behind reverse proxies the address
is the client's (setting ``trusted_proxies``).  A bucket holds up to the per-minute rate and refills
continuously; an empty one answers 429 with ``Retry-After``.  The table of buckets
is bounded (oldest forgotten first).
"""

from __future__ import annotations

import hmac
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


def _address() -> str:
    return f"ip:{request.remote_addr or '-'}"


def _verified_token() -> str:
    from web.auth import api_viewer  # here: web.auth imports this module

    return "token:" + api_viewer().token_id  # a 401 first for a bad token: it costs nobody


def _verified_person() -> str:
    from web.auth import api_viewer

    return "person:" + api_viewer().id


def _signed_in_person() -> str | None:
    from web.auth import page_viewer

    # a form without the session's CSRF token (a forged cross-site post riding the
    # cookie) costs nobody: web.security.check_csrf refuses it next, with a 403
    expected, sent = session.get("csrf", ""), request.form.get("csrf_token", "")
    if not expected or not hmac.compare_digest(str(expected), sent):
        return None
    viewer = page_viewer()  # the pages refuse writes signed out: no one else to charge
    return f"person:{viewer.id}" if viewer else _address()


def _person_or_address() -> str:
    from web.auth import page_viewer

    viewer = page_viewer()
    return f"person:{viewer.id}" if viewer else _address()


# endpoint -> (bucket, whose bucket: None charges nobody)
LIMITED: dict[str, tuple[str, Callable[[], str | None]]] = {
    "pages.signin_post": ("signin", _address),
    "api.search": ("search", _verified_token),
    "api.experts": ("search", _verified_token),
    "pages.search": ("search", _person_or_address),
    **{f"api.{name}": ("write", _verified_person) for name in (
        "post_feedback", "create_follow", "change_follow", "delete_follow", "put_notifications",
        "my_profile_skill", "my_profile_topic", "my_profile_ranking", "set_mark")},
    **{f"pages.{name}": ("write", _signed_in_person) for name in (
        "feedback", "follow", "change_follow", "notifications", "introduce",
        "profile_skill", "profile_topic", "profile_ranking", "mark_page")},
}


def check_rate_limit() -> None:
    """Before-request hook: spend a token of the request's bucket, or refuse with 429."""
    limit = LIMITED.get(request.endpoint or "")
    buckets: dict[str, TokenBuckets] = current_app.extensions["quisait_rate_limits"]
    if limit is None or limit[0] not in buckets:
        return
    name, whose = limit
    key = whose()
    if key is None:
        return
    wait = buckets[name].take(key)
    if wait:
        raise RateLimited(f"too many {name} requests; try again in {math.ceil(wait)} s",
                          retry_after=math.ceil(wait))


def count_bad_token() -> None:
    """After a token failed verification: count it for the request's address, and refuse
    (429) once the address is past its budget.  Never called for a valid token."""
    buckets: dict[str, TokenBuckets] = current_app.extensions.get("quisait_rate_limits", {})
    if "bad_token" not in buckets:
        return
    wait = buckets["bad_token"].take(_address())
    if wait:
        raise RateLimited(f"too many requests with a bad token from this address; try again "
                          f"in {math.ceil(wait)} s", retry_after=math.ceil(wait))


def configure_rate_limits(app: Flask, signin_per_minute: float,
                          search_per_minute: float, write_per_minute: float = 0.0) -> None:
    """Buckets for the rates that are on (0: no limit) and the hook that spends them; the
    bad-token limit is on whenever sign-in is limited."""
    rates = {"signin": signin_per_minute, "search": search_per_minute,
             "write": write_per_minute,
             "bad_token": BAD_TOKENS_PER_MINUTE if signin_per_minute > 0 else 0}
    app.extensions["quisait_rate_limits"] = {
        name: TokenBuckets(rate) for name, rate in rates.items() if rate > 0}
    app.before_request(check_rate_limit)
