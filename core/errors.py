"""One error hierarchy for the whole product; each class carries an HTTP status."""


class QuisaitError(Exception):
    """Base of every error quisait raises on purpose."""

    status = 500
    code = "internal_error"


class ConfigError(QuisaitError):
    """A setting is unknown, malformed or points at something that does not exist."""

    status = 500
    code = "config_error"


class IndexMismatchError(QuisaitError):
    """An index on disk was built with other parameters (model, schema, analyzer)."""

    status = 503
    code = "index_mismatch"


class LockedError(QuisaitError):
    """Another process holds the indexing lock on the data folder."""

    status = 409
    code = "locked"


class InvalidRecordError(QuisaitError, ValueError):
    """A record does not follow the schema; the message names the field."""

    status = 400
    code = "invalid_record"


class NotFoundError(QuisaitError):
    """No such thing, or nothing the viewer may read (the same answer, on purpose)."""

    status = 404
    code = "not_found"
