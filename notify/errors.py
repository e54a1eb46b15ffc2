"""The one error delivery raises on purpose: an attempt that failed and may be retried."""

from core.errors import ConfigError, QuisaitError


class DeliveryError(QuisaitError):
    """The receiver (SMTP server, webhook endpoint) refused or could not be reached."""

    status = 502
    code = "delivery_failed"


def require_secret_key(secret_key: str) -> bytes:
    """``secret_key`` as the HMAC key of unsubscribe links and webhooks; ConfigError if empty."""
    if not secret_key:
        raise ConfigError("secret_key is empty: set it (QUISAIT_SECRET_KEY or quisait.toml) "
                          "to sign unsubscribe links and webhooks")
    return secret_key.encode()
