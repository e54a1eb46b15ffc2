"""API tokens and the app's secret, in ``web.sqlite`` in the data folder (page sessions
and the audit log share the file: :mod:`web.sessions`, :mod:`web.audit`; its schema and
version: :mod:`web.schema`).

A token reads ``qs_<id>_<secret>``.  Only the SHA-256 of the secret is stored;
the row is found by its public id and the hashes compared in constant time, so
neither the database nor response timing gives a usable token away.  Tokens can
expire and be revoked; a token may carry the ``connector`` role (ingestion).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.store import open_store
from web.audit import AuditLog
from web.schema import migrate_web
from web.sessions import SessionStore

TOKEN_PREFIX = "qs_"
TOKEN_ROLES = ("connector",)


@dataclass(frozen=True)
class TokenInfo:
    """What is known about a token (never its secret)."""

    id: str
    person: str
    roles: tuple[str, ...]
    created: datetime
    expires: datetime | None
    revoked: datetime | None

    def valid(self, now: datetime) -> bool:
        return self.revoked is None and (self.expires is None or now < self.expires)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class TokenStore:
    """Tokens, page sessions and the cookie secret of a data folder.  Safe to share
    across threads."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        self.db = open_store(path, "", private=True)
        self.schema_version = migrate_web(self.db)  # the file's tables: web.schema
        self.audit = AuditLog(self.db, self._lock)
        self.sessions = SessionStore(self.db, self._lock)

    @classmethod
    def open(cls, folder: Path) -> TokenStore:
        return cls(folder / "web.sqlite")

    def close(self) -> None:
        self.db.close()

    def secret_key(self) -> str:
        """The key that signs session cookies, made once per data folder."""
        with self._lock:
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('secret_key', ?)",
                            (secrets.token_hex(32),))
            return str(self.db.execute(
                "SELECT value FROM meta WHERE key = 'secret_key'").fetchone()[0])

    def create(self, person: str, expires_days: float | None = None,
               roles: tuple[str, ...] = (), actor: str = "cli") -> tuple[str, TokenInfo]:
        """A new token for ``person``: (the token, shown once; what is stored about it).

        ``actor`` is who asked, for the audit log (the command line by default).
        """
        unknown = set(roles) - set(TOKEN_ROLES)
        if unknown:
            raise ValueError(f"unknown token role(s) {sorted(unknown)} (valid: {TOKEN_ROLES})")
        if expires_days is not None and expires_days <= 0:
            raise ValueError("expiry must be a positive number of days")
        ident, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        expires = now + timedelta(days=expires_days) if expires_days else None
        with self._lock:
            self.db.execute("INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?, NULL)",
                            (ident, person, _digest(secret), json.dumps(sorted(roles)),
                             now.isoformat(), expires.isoformat() if expires else None))
        info = TokenInfo(ident, person, tuple(sorted(roles)), now, expires, None)
        self.audit.record(actor, "token.create", ident,
                          f"for {person}" + (f" roles {','.join(info.roles)}" if roles else ""))
        return f"{TOKEN_PREFIX}{ident}_{secret}", info

    def verify(self, token: str, now: datetime | None = None) -> TokenInfo | None:
        """The token's info if it is genuine, unexpired and not revoked; else None."""
        if not token.startswith(TOKEN_PREFIX) or token.count("_") < 2:
            return None
        ident, _, secret = token[len(TOKEN_PREFIX):].partition("_")
        with self._lock:
            row = self.db.execute("SELECT hash FROM tokens WHERE id = ?", (ident,)).fetchone()
        expected = row[0] if row else _digest("")  # compare anyway: same work either way
        if not hmac.compare_digest(expected, _digest(secret)) or row is None:
            return None
        info = self.info(ident)
        return info if info is not None and info.valid(now or datetime.now(UTC)) else None

    def info(self, ident: str) -> TokenInfo | None:
        rows = self._select("WHERE id = ?", (ident,))
        return rows[0] if rows else None

    def listing(self) -> list[TokenInfo]:
        return self._select("", ())

    def _select(self, where: str, args: tuple[object, ...]) -> list[TokenInfo]:
        sql = f"SELECT id, person, roles, created, expires, revoked FROM tokens {where}"
        with self._lock:
            rows = self.db.execute(sql + " ORDER BY created", args).fetchall()
        return [TokenInfo(i, p, tuple(json.loads(r)), datetime.fromisoformat(c), _moment(e),
                          _moment(v)) for i, p, r, c, e, v in rows]

    def revoke(self, ident: str, actor: str = "cli") -> bool:
        """Revoke a token by its id; False if there is no such live token."""
        with self._lock:
            cursor = self.db.execute(
                "UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL",
                (datetime.now(UTC).isoformat(), ident))
        if cursor.rowcount > 0:
            self.audit.record(actor, "token.revoke", ident)
        return cursor.rowcount > 0
