"""One viewer's view of the content: the only way to read it.

A :class:`Scope` binds a viewer to the groups they may read (``readable``) and the
groups whose existence they may know (``visible``), computed once by
:meth:`search.Searcher.scope` from the visibility rules (:mod:`core.visibility`).
Everything that shows content takes a scope: searches, facets, spelling suggestions,
similar items, a single item (absent when unreadable, exactly as when missing), the
expert finder; nothing outside ``search`` asks the rules directly.  A scope is built
per request (or per call) and not kept: it reflects memberships when it was made.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.records import Person
from indexer import Item
from search.explore import corrections, did_you_mean, facet_counts, more_like_this
from search.query import ParsedQuery, parse_query

if TYPE_CHECKING:
    from search.engine import Hit, Searcher


@dataclass(frozen=True)
class Scope:
    """A viewer (None: nobody, who reads nothing), what they may read and may see."""

    viewer: Person | None
    readable: frozenset[str]  # ACL tokens whose content the viewer may read
    visible: frozenset[str]  # groups whose existence (name) the viewer may know
    searcher: Searcher = field(repr=False, compare=False)

    @property
    def viewer_id(self) -> str | None:
        return self.viewer.id if self.viewer is not None else None

    def can_read(self, group_id: str) -> bool:
        """Whether content of ``group_id`` (a group or ACL token) is readable."""
        return group_id in self.readable

    def can_see(self, group_id: str) -> bool:
        """Whether the viewer may know that ``group_id`` exists (its name, say)."""
        return group_id in self.visible

    def search(self, query: str | ParsedQuery, mode: str = "hybrid",
               limit: int = 10) -> list[Hit]:
        """The ``limit`` best readable items for ``query`` (see :meth:`Searcher.search`).

        Raises ``QuerySyntaxError`` (a 400) for a query that cannot be read."""
        return self.searcher._search(self, query, mode, limit)

    def facets(self, query: str | ParsedQuery, shown: Iterable[Hit] = ()) -> dict[str, Any]:
        """Counts per group, author, type, tag, language, year and group kind of the
        readable lexical matches and of the ``shown`` hits (those only the semantic side
        found count too, so that the counts add up to what the page shows)."""
        self.searcher._refresh_view()
        return facet_counts(self, query, also=[hit.id for hit in shown])

    def suggest(self, query: str) -> str | None:
        """A corrected query ("did you mean") built only from readable words, or None."""
        self.searcher._refresh_view()
        return did_you_mean(self, query)

    def corrections(self, query: str | ParsedQuery) -> dict[str, str]:
        """Typed word -> the readable word also searched for it: the free words that no
        readable document contains, one letter away from one that some do (empty when
        ``spelling_correction`` is off).  Quoting a word searches it as typed."""
        self.searcher._refresh_view()
        return corrections(self, parse_query(query) if isinstance(query, str) else query)

    def similar(self, item_id: str, limit: int = 10) -> list[Hit]:
        """More like this: readable items similar to ``item_id`` (none when it is not
        readable itself)."""
        self.searcher._refresh_view()
        return more_like_this(self, item_id, limit)

    def item(self, item_id: str) -> Item | None:
        """The item, or None when it does not exist or is not readable (the caller cannot
        tell which: an unreadable item is answered as a missing one)."""
        item = self.searcher.catalog.item(item_id)
        return item if item is not None and item.group in self.readable else None

    def items(self, item_ids: Iterable[str]) -> dict[str, Item]:
        """Id -> item of those of ``item_ids`` that exist and are readable."""
        found = self.searcher.catalog.items_by_id(item_ids)
        return {ident: item for ident, item in found.items() if item.group in self.readable}

    def record_search(self, query: str, hits: list[Hit], mode: str) -> int:
        """Log a search the viewer made (not evaluations or internal calls), with the
        groups they read; the search id for :meth:`Searcher.record_click`, 0 when the log
        is off or the line could not be written."""
        return self.searcher._record_search(self, query, hits, mode)
