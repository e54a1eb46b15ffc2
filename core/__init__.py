"""Shared, dependency-free bottom of quisait: records, settings, visibility rules, errors.

Every stage (indexer -> search -> expertise -> web) may import from here; this
package imports nothing from them.
"""

from core.errors import ConfigError, IndexMismatchError, LockedError, QuisaitError
from core.records import (
    COMPANY_FEED,
    Comment,
    Document,
    Group,
    Person,
    Post,
    Problem,
    Record,
    record_from_dict,
    record_to_dict,
)
from core.settings import Settings, load_settings
from core.visibility import readable_groups, visible_groups

__all__ = [
    "COMPANY_FEED",
    "Comment",
    "ConfigError",
    "Document",
    "Group",
    "IndexMismatchError",
    "LockedError",
    "Person",
    "Post",
    "Problem",
    "QuisaitError",
    "Record",
    "Settings",
    "load_settings",
    "readable_groups",
    "record_from_dict",
    "record_to_dict",
    "visible_groups",
]
