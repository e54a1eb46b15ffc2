"""The viewer's Scope is the one way to read content.

Outside ``search`` nothing asks the visibility rules (``core.visibility``) or the
Searcher's readable groups directly, and nothing compares an item's group with a set of
groups by hand: every reader goes through ``searcher.scope(viewer)``.  And a scope
answers an unreadable item exactly as a missing one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from search import Scope, Searcher
from tests.web_fixtures import MEMBERS, OUTSIDERS, copy_settings

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "indexer", "search", "expertise", "web", "notify", "quisait")
# the rules themselves, and the package that turns them into scopes
RULE_OWNERS = ("core/visibility.py", "core/__init__.py", "search/")
RULES = {"permitted_groups", "_readable_groups", "known_groups", "readable_groups",
         "visible_groups", "core.visibility"}
# where content is shown to someone (the sample builder and the indexer handle records)
READERS = ("expertise/", "web/", "notify/", "quisait/")


def _sources() -> list[tuple[str, ast.Module]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            found.append((relative, ast.parse(path.read_text(encoding="utf-8"))))
    return found


def _names(tree: ast.AST) -> set[str]:
    """Every name, attribute, imported name and imported module used in ``tree``."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def _group_checks(tree: ast.AST) -> list[int]:
    """Lines comparing ``<something>.group`` with ``in`` / ``not in`` by hand."""
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Compare)
            and isinstance(node.left, ast.Attribute) and node.left.attr == "group"
            and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops)]


def test_nothing_outside_search_asks_the_visibility_rules() -> None:
    offenders = {path: sorted(_names(tree) & RULES) for path, tree in _sources()
                 if not path.startswith(RULE_OWNERS) and _names(tree) & RULES}
    assert offenders == {}


def test_no_hand_written_group_check_outside_search() -> None:
    offenders = {path: lines for path, tree in _sources()
                 if path.startswith(READERS) and (lines := _group_checks(tree))}
    assert offenders == {}


def test_the_check_can_fail() -> None:
    """The two checks above see what they look for (else they would pass vacuously)."""
    planted = ast.parse("allowed = found.permitted_groups(person)\n"
                        "if item.group not in allowed:\n    pass\n")
    assert _names(planted) & RULES == {"permitted_groups"}
    assert _group_checks(planted) == [2]
    assert _names(ast.parse("from core.visibility import readable_groups")) & RULES


@pytest.fixture(scope="module")
def searcher(sample_index: Path, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[Searcher]:
    settings = copy_settings(sample_index, tmp_path_factory.mktemp("scope") / "data")
    with Searcher.open(settings) as opened:
        yield opened


def test_a_scope_answers_an_unreadable_item_as_a_missing_one(searcher: Searcher) -> None:
    for group_id, outsiders in OUTSIDERS.items():
        item_id = next(item.id for item in searcher.catalog.items_by_id(
            row[0] for row in searcher.catalog.db.execute("SELECT id FROM items")).values()
            if item.group == group_id)
        member = searcher.scope(MEMBERS[group_id])
        assert member.item(item_id) is not None and member.can_read(group_id)
        assert member.items([item_id]).keys() == {item_id}
        for outsider in map(searcher.scope, outsiders):
            assert outsider.item(item_id) is None and not outsider.can_read(group_id)
            assert outsider.item(item_id) == outsider.item("no-such-item")
            assert outsider.items([item_id]) == {}


def test_nobody_and_unknown_people_read_and_see_nothing(searcher: Searcher) -> None:
    for viewer in (None, "p-nobody"):
        scope = searcher.scope(viewer)
        assert isinstance(scope, Scope)
        assert scope.viewer is None and scope.readable == scope.visible == frozenset()
        assert scope.search("kubernetes", mode="lexical") == []
        assert scope.suggest("kubernetse") is None
