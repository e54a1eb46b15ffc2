"""Who may read what: the visibility rules, in one place.

- open groups: every active employee; guests only when invited;
- private and secret groups: members (and invited guests) only;
- secret groups do not even exist for non-members;
- the company feed: every active employee, no guest;
- nobody (``None``), departed people: nothing (fail closed).

Roles (KM lead, admin) grant no read access to content: they see aggregates.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.records import COMPANY_FEED, Group, Person

# ACL tokens that are not groups (the company feed, replies waiting for their thread): a
# group record may never claim one
RESERVED = "@"


def _is_member(viewer: Person, group: Group) -> bool:
    return viewer.id in group.members or viewer.id in group.guests


def readable_groups(viewer: Person | None, groups: Iterable[Group]) -> frozenset[str]:
    """Ids of the groups (and the company feed token) whose content ``viewer`` may read."""
    if viewer is None or viewer.status != "active":
        return frozenset()
    readable = {
        group.id
        for group in groups
        if not group.id.startswith(RESERVED)
        and (_is_member(viewer, group) or (group.visibility == "open" and not viewer.guest))
    }
    if not viewer.guest:
        readable.add(COMPANY_FEED)
    return frozenset(readable)


def visible_groups(viewer: Person | None, groups: Iterable[Group]) -> frozenset[str]:
    """Ids of the groups whose existence (name, description) ``viewer`` may know.

    Employees see every open and private group (private ones by name only) and
    the secret groups they belong to; guests see only the groups they are in.
    """
    if viewer is None or viewer.status != "active":
        return frozenset()
    return frozenset(
        group.id
        for group in groups
        if _is_member(viewer, group) or (not viewer.guest and group.visibility != "secret")
    )
