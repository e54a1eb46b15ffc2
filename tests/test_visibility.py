"""Who may read which group, and who may know a group exists: every rule, then a property test."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.records import COMPANY_FEED, Group, Person
from core.visibility import readable_groups, visible_groups

ALICE = Person(id="alice", name="Alice")  # employee, member of the private and secret groups
BOB = Person(id="bob", name="Bob")  # employee, member of nothing
GUEST = Person(id="gina", name="Gina", guest=True)  # partner, invited to "partners" only
OTHER_GUEST = Person(id="otto", name="Otto", guest=True)  # partner, invited nowhere
DEPARTED = Person(id="dora", name="Dora", status="departed")
KM_LEAD = Person(id="kim", name="Kim", roles=("km_lead",))
ADMIN = Person(id="adam", name="Adam", roles=("admin", "km_lead"))

OPEN = Group(id="open", name="Open", visibility="open")
PARTNERS = Group(id="partners", name="Partners", visibility="open", guests=frozenset({"gina"}))
PRIVATE = Group(
    id="private", name="Private", visibility="private", members=frozenset({"alice", "dora"})
)
SECRET = Group(
    id="secret", name="Secret", visibility="secret", members=frozenset({"alice", "dora"})
)
SECRET_WITH_GUEST = Group(
    id="secret-x",
    name="Secret with a guest",
    visibility="secret",
    members=frozenset({"alice"}),
    guests=frozenset({"gina"}),
)
GROUPS = (OPEN, PARTNERS, PRIVATE, SECRET, SECRET_WITH_GUEST)


def readable(viewer: Person | None) -> frozenset[str]:
    return readable_groups(viewer, GROUPS)


def visible(viewer: Person | None) -> frozenset[str]:
    return visible_groups(viewer, GROUPS)


# -- readable_groups -----------------------------------------------------------------------------


def test_open_group_readable_by_every_employee() -> None:
    assert "open" in readable(BOB)
    assert "open" in readable(ALICE)
    assert "partners" in readable(BOB)


def test_open_group_not_readable_by_uninvited_guest() -> None:
    assert "open" not in readable(GUEST)
    assert "open" not in readable(OTHER_GUEST)


def test_open_group_readable_by_invited_guest() -> None:
    assert "partners" in readable(GUEST)
    assert "partners" not in readable(OTHER_GUEST)


@pytest.mark.parametrize("group", [PRIVATE, SECRET])
def test_private_and_secret_groups_readable_by_members_only(group: Group) -> None:
    assert group.id in readable(ALICE)
    assert group.id not in readable(BOB)
    assert group.id not in readable(GUEST)
    assert group.id not in readable(KM_LEAD)


def test_guest_reads_exactly_the_groups_listing_them() -> None:
    assert readable(GUEST) == {"partners", "secret-x"}
    assert readable(OTHER_GUEST) == frozenset()


def test_guest_listed_as_member_reads_the_group() -> None:
    group = Group(id="g", name="G", visibility="private", members=frozenset({"gina"}))
    assert readable_groups(GUEST, [group]) == {"g"}


def test_company_feed_readable_by_employees_not_guests() -> None:
    assert COMPANY_FEED in readable(BOB)
    assert COMPANY_FEED in readable(ALICE)
    assert COMPANY_FEED not in readable(GUEST)
    assert COMPANY_FEED not in readable(OTHER_GUEST)


def test_employee_reads_open_groups_their_own_and_the_feed() -> None:
    assert readable(BOB) == {"open", "partners", COMPANY_FEED}
    assert readable(ALICE) == {"open", "partners", "private", "secret", "secret-x", COMPANY_FEED}


@pytest.mark.parametrize("viewer", [None, DEPARTED], ids=["nobody", "departed"])
def test_nobody_and_departed_read_nothing(viewer: Person | None) -> None:
    # Dora is still listed as a member of the private and secret groups: fail closed anyway
    assert readable(viewer) == frozenset()
    assert visible(viewer) == frozenset()


def test_departed_guest_reads_nothing() -> None:
    departed_guest = Person(id="gina", name="Gina", guest=True, status="departed")
    assert readable(departed_guest) == frozenset()
    assert visible(departed_guest) == frozenset()


@pytest.mark.parametrize("viewer", [KM_LEAD, ADMIN], ids=["km_lead", "admin"])
def test_roles_grant_nothing_extra(viewer: Person) -> None:
    assert readable(viewer) == readable(BOB)
    assert visible(viewer) == visible(BOB)
    assert "private" not in readable(viewer)
    assert "secret" not in visible(viewer)


def test_no_groups_still_gives_employees_the_feed() -> None:
    assert readable_groups(BOB, []) == {COMPANY_FEED}
    assert readable_groups(GUEST, []) == frozenset()


# -- visible_groups ------------------------------------------------------------------------------


def test_secret_group_invisible_to_non_members() -> None:
    assert "secret" not in visible(BOB)
    assert "secret" not in visible(GUEST)
    assert "secret-x" not in visible(BOB)


def test_secret_group_visible_to_members_and_invited_guests() -> None:
    assert "secret" in visible(ALICE)
    assert "secret-x" in visible(ALICE)
    assert "secret-x" in visible(GUEST)


def test_private_group_visible_by_name_to_employees_not_guests() -> None:
    assert "private" in visible(BOB)
    assert "private" not in readable(BOB)  # its name, not its content
    assert "private" not in visible(GUEST)
    assert "private" not in visible(OTHER_GUEST)


def test_guest_sees_only_groups_listing_them() -> None:
    assert visible(GUEST) == {"partners", "secret-x"}
    assert visible(OTHER_GUEST) == frozenset()
    assert "open" not in visible(GUEST)


def test_employee_visibility() -> None:
    assert visible(BOB) == {"open", "partners", "private"}
    assert visible(ALICE) == {"open", "partners", "private", "secret", "secret-x"}


def test_company_feed_is_not_a_visible_group() -> None:
    # the feed token is a read permission, not a group whose name is listed
    assert COMPANY_FEED not in visible(BOB)


# -- property test -------------------------------------------------------------------------------

PEOPLE_IDS = [f"p{i}" for i in range(6)]

people = st.builds(
    Person,
    id=st.sampled_from(PEOPLE_IDS),
    name=st.just("someone"),
    status=st.sampled_from(["active", "departed"]),
    guest=st.booleans(),
    roles=st.lists(st.sampled_from(["km_lead", "admin"]), max_size=2, unique=True).map(tuple),
)
id_sets = st.frozensets(st.sampled_from(PEOPLE_IDS), max_size=4)
groups = st.lists(
    st.builds(
        Group,
        id=st.sampled_from([f"g{i}" for i in range(8)]),
        name=st.just("group"),
        visibility=st.sampled_from(["open", "private", "secret"]),
        members=id_sets,
        guests=id_sets,
    ),
    max_size=8,
    unique_by=lambda g: g.id,
)


@settings(max_examples=300, deadline=None)
@given(viewer=people, all_groups=groups)
def test_readable_groups_are_visible_and_guests_read_only_where_listed(
    viewer: Person, all_groups: list[Group]
) -> None:
    can_read = readable_groups(viewer, all_groups)
    can_see = visible_groups(viewer, all_groups)
    assert can_read - {COMPANY_FEED} <= can_see
    if viewer.status != "active":
        assert can_read == can_see == frozenset()
    listing = {g.id for g in all_groups if viewer.id in g.members or viewer.id in g.guests}
    if viewer.guest:
        assert can_read <= listing
        assert can_see <= listing
        assert COMPANY_FEED not in can_read
    secret_elsewhere = {g.id for g in all_groups if g.visibility == "secret"} - listing
    assert not (can_see & secret_elsewhere)
    # roles change nothing
    plain = Person(id=viewer.id, name=viewer.name, status=viewer.status, guest=viewer.guest)
    assert readable_groups(plain, all_groups) == can_read
    assert visible_groups(plain, all_groups) == can_see
